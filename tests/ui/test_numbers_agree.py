"""Issue 23's walk: every number the window shows about a run counts what the run will really do. The time
estimate measures the rows the run trains on, the ones the epochs line counts."""

from desktop_app.core.data.dataset import prepare_training_data
from desktop_app.ui import jobs

from ui_data import load as _load  # noqa: E402
from ui_data import write_csv as _write_csv  # noqa: E402


def _recording_estimates(monkeypatch):
    measured = []

    def estimate_job(config, texts, labels=None):
        measured.append((config, list(texts), labels))
        return lambda emit, cancel: {"seconds_per_epoch": 1.0, "total_seconds": 3.0, "epochs": 3.0, "device": "CPU",
                                     "max_length": 64, "precision": "fp32"}
    monkeypatch.setattr(jobs, "estimate_job", estimate_job)
    return measured


def _measure(qtbot, window, measured):
    measured.clear()
    window.estimate.start()
    qtbot.waitUntil(lambda: bool(measured) and not window.estimator.busy, timeout=10000)
    return measured[-1]


def test_the_estimate_measures_the_rows_the_usual_run_trains_on(qtbot, window, tmp_path, monkeypatch):
    measured = _recording_estimates(monkeypatch)
    _load(qtbot, window, _write_csv(tmp_path / "usual.csv", n=800))
    window.dataset.test_share.setValue(10)
    qtbot.wait(50)
    config = window.config_for_run()
    splits = prepare_training_data(window.data.examples, config)
    assert not splits.plan.small and len(splits.train) < 800 * 0.8
    _, texts, labels = _measure(qtbot, window, measured)
    assert sorted(texts) == sorted(splits.train.texts) and labels is None  # validation and test shares held out
    assert window.configure.train_size == len(splits.train)  # the epochs line counts the same rows


def test_the_estimate_measures_every_row_left_on_the_small_data_path(qtbot, window, tmp_path, monkeypatch):
    measured = _recording_estimates(monkeypatch)
    _load(qtbot, window, _write_csv(tmp_path / "small.csv", n=120))
    window.dataset.test_share.setValue(10)
    qtbot.wait(50)
    splits = prepare_training_data(window.data.examples, window.config_for_run())
    assert splits.plan.small
    _, texts, labels = _measure(qtbot, window, measured)
    assert sorted(texts) == sorted(splits.train.texts)  # the test share held out, no validation share
    assert sorted(labels) == sorted(splits.train.labels)
    assert window.configure.train_size == len(splits.train)


def _cut_message(window):
    found = [window.dataset.messages.item(i).text() for i in range(window.dataset.messages.count())]
    return next((text for text in found if "longer than" in text), "")


def test_the_dataset_pages_texts_cut_are_those_the_configured_length_cuts(qtbot, window, tmp_path, monkeypatch):
    """The Dataset page counted the texts longer than the preset's cap (15, "the 256-token limit") where Configure
    said the run reads 104 tokens (99 cut): it now counts at the length Configure says, and follows it."""
    from desktop_app.core.model import text
    from desktop_app.core.model.config import preset

    _recording_estimates(monkeypatch)
    monkeypatch.setattr(text, "token_counting", lambda base_model=None: (
        lambda texts: [len(t) for t in texts], 512))  # a "token" per character: lengths spread over ~30..300
    words = lambda i: 39 if i % 50 == 0 else 20 if i % 12 == 5 else 5  # noqa: E731 - 4 long, 17 middling
    rows = ["text,label"] + [f"{'word ' * words(i)}number {i},{'ab'[i % 2]}" for i in range(200)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    _load(qtbot, window, tmp_path / "d.csv")
    lengths = window.data.token_lengths
    used = window.configure.max_length.value()  # automatic: the length the run will use
    assert f"<b>{used} tokens will be used</b>" in window.configure.length_note.text()
    cut = sum(n > used for n in lengths)
    assert used < 256 and 0 < cut < len(lengths)  # the texts decide a length shorter than the preset's cap
    message = _cut_message(window)
    assert message.startswith(f"{cut} texts (") and f"longer than the {used} tokens" in message
    window.configure.set_config(preset("balanced").with_overrides(max_length=32))  # typed: exactly 32
    assert "<b>32 tokens will be used</b>" in window.configure.length_note.text()
    assert _cut_message(window).startswith(f"{sum(n > 32 for n in lengths)} texts (")
    window.configure.set_config(preset("balanced").with_overrides(max_length=400))  # longer than every text
    assert not _cut_message(window)



def test_configure_and_the_status_bar_name_the_threads_training_starts_on(qtbot, settings, tmp_path, monkeypatch):
    """They named the CPU's cores ("CPU, 2 threads") beside an estimate and a run on 1 thread (another program
    held a core): both now name the threads training would start on (threads.initial_threads, named as
    preparation.prepare_model names them), and follow the estimate's fresher reading."""
    from desktop_app.core.model import devices
    from desktop_app.core.model import threads
    from desktop_app.ui.main_window import MainWindow

    monkeypatch.setattr(devices, "list_devices", lambda: [  # 4 cores here, and no GPU
        devices.DeviceInfo("cuda", "NVIDIA GPU", False, "no NVIDIA GPU or driver was found"),
        devices.DeviceInfo("cpu", "CPU, 4 threads", True)])
    monkeypatch.setattr(threads, "initial_threads", lambda *a, **k: 1)  # another program keeps 3 of them busy
    win = MainWindow(settings=settings, runs_dir=tmp_path / "runs")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.warmed_up, timeout=60000)
    try:
        assert "Automatic uses: <b>CPU, 1 thread</b>" in win.configure.device_note.text()
        assert win.device_label.text() == "Device: CPU, 1 thread"
        win.estimate._done(win.estimate.generation, win.configure.config(), {  # prepared as training prepares
            "seconds_per_epoch": 1.0, "total_seconds": 3.0, "epochs": 3.0, "device": "CPU, 3 threads",
            "max_length": 64, "precision": "fp32"})
        assert "Automatic uses: <b>CPU, 3 threads</b>" in win.configure.device_note.text()
        assert win.device_label.text() == "Device: CPU, 3 threads"
    finally:
        for r in win.runners:
            r.shutdown()


def test_training_names_the_cpu_with_the_threads_it_starts_on():
    from desktop_app.core.model.devices import DeviceInfo
    from desktop_app.core.train.preparation import in_use

    assert in_use(DeviceInfo("cpu", "CPU, 4 threads"), 1).name == "CPU, 1 thread"
    assert in_use(DeviceInfo("cpu", "CPU, 4 threads"), 2).name == "CPU, 2 threads"
    gpu = DeviceInfo("cuda", "NVIDIA RTX 4060, 8 GB")
    assert in_use(gpu, 1) is gpu
