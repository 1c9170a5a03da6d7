"""Issue 23's walk: every number the window shows about a run counts what the run will really do. The time
estimate measures the rows the run trains on, the ones the epochs line counts."""

from desktop_app.core.dataset import prepare_training_data
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
    assert window.configure._train_size == len(splits.train)  # the epochs line counts the same rows


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
    assert window.configure._train_size == len(splits.train)
