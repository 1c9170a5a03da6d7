"""Issue 20, item 2: the small-data path in the window. Configure says which path the data takes; a small run's
results offer "Would more examples help?", which runs the learning curve for that run's data and settings in the
background, with progress and Cancel, and never shows a curve beside another run or other data."""

import threading
from types import SimpleNamespace

from desktop_app.core.base import events as ev
from desktop_app.core.metrics.reports import ClassMetrics, EvalReport
from desktop_app.core.metrics.score_estimate import CROSS_VALIDATION, ScoreEstimate
from desktop_app.core.train.learning_curve import CurvePoint
from desktop_app.ui import jobs

from ui_data import load as _load  # noqa: E402
from ui_data import write_csv as _write_csv  # noqa: E402

VERDICT = "More examples would likely help: the last 10 examples added 7.5 points."


def _no_estimates(monkeypatch):
    def estimate_job(config, texts, labels=None):
        return lambda emit, cancel: {"seconds_per_epoch": 1.0, "total_seconds": 3.0, "epochs": 3.0, "device": "CPU",
                                     "max_length": 64, "precision": "fp32"}
    monkeypatch.setattr(jobs, "estimate_job", estimate_job)


def _fake_small_training(monkeypatch, gate=None):
    """A training job answering with a small-data run's result (once `gate` is set, if given); the model is
    never prepared."""
    def train_job(config, examples, validation_path, out_dir):
        def job(emit, cancel):
            if gate is not None:
                gate.wait(10)
            report = EvalReport(["neg", "pos"], len(examples), 0.8, 0.8, 0.8,
                                [ClassMetrics("neg", 0.8, 0.8, 0.8, 20), ClassMetrics("pos", 0.8, 0.8, 0.8, 20)],
                                [[16, 4], [4, 16]], [])
            estimate = ScoreEstimate(CROSS_VALIDATION, len(examples), config.folds,
                                     {"accuracy": 0.825, "macro_f1": 0.812}, {"accuracy": 0.061, "macro_f1": 0.05})
            return SimpleNamespace(status="completed", validation=report, steps=60, epochs=8.0, train_seconds=6.0,
                                   samples_per_s=100.0, device="CPU", config=config, adapter_dir=None,
                                   estimate=estimate)
        return job

    def classifier_from_result_job(result):
        def job(emit, cancel):
            raise ev.Cancelled()  # no model in these tests: Predict stays as it was
        return job
    monkeypatch.setattr(jobs, "train_job", train_job)
    monkeypatch.setattr(jobs, "classifier_from_result_job", classifier_from_result_job)


def _fake_curve(monkeypatch, wait_for_cancel=False, release=None):
    """learning_curve.learning_curve replaced: records what it was given, reports progress, answers at once (or
    waits for Cancel, or for `release` while ignoring Cancel)."""
    calls = []

    def learning_curve(config, examples, emit=None, cancel=None):
        calls.append((config, examples))
        emit(ev.StepProgress(5, 20, 1.0, 0.5, 1e-4, 1.0, 3.0, 10.0))
        while wait_for_cancel:
            ev.checkpoint(cancel)
            threading.Event().wait(0.01)
        if release is not None:
            release.wait(10)
        points = [CurvePoint(s, int(40 * s), m, 0.05) for s, m in ((0.25, 0.6), (0.5, 0.7), (0.75, 0.75), (1.0, 0.825))]
        return points, VERDICT
    monkeypatch.setattr("desktop_app.core.train.learning_curve.learning_curve", learning_curve)
    return calls


def _small_run(qtbot, window, tmp_path, monkeypatch, folds=4, during=None):
    """A small run trained in the window; `during()` is called while it runs."""
    _no_estimates(monkeypatch)
    gate = threading.Event()
    _fake_small_training(monkeypatch, gate)
    _load(qtbot, window, _write_csv(tmp_path / "small.csv", n=40))
    window.configure.folds.setValue(folds)
    window.start_training()
    qtbot.waitUntil(lambda: window.trainer.busy, timeout=10000)
    if during is not None:
        during()
    gate.set()
    qtbot.waitUntil(lambda: window.result is not None and not window.trainer.busy and not window.tasks.busy,
                    timeout=10000)
    return window.training.curve_box


def test_configure_says_which_path_the_data_takes_across_the_threshold(qtbot, window, tmp_path, monkeypatch):
    _no_estimates(monkeypatch)
    note = window.configure.plan_note
    assert "once a dataset is loaded" in note.text()
    _load(qtbot, window, _write_csv(tmp_path / "small.csv", n=40))
    assert note.text() == ("40 examples: LoRA Studio trains on all of them and estimates accuracy by 5-fold "
                           "cross-validation.")
    assert "6 models will train" in window.configure.epochs_note.text()
    window.configure.folds.setValue(3)  # a setting the sentence depends on
    assert "3-fold cross-validation" in note.text()
    window.configure.small_data.setCurrentIndex(window.configure.small_data.findData("off"))
    assert note.text() == "40 examples: LoRA Studio holds 15% out to measure each epoch and keeps the best one."
    window.configure.small_data.setCurrentIndex(window.configure.small_data.findData("auto"))
    path = _write_csv(tmp_path / "large.csv", n=900)
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data_path == str(path) and not window.tasks.busy, timeout=30000)
    assert note.text().startswith("900 examples: LoRA Studio holds 15% out")
    window.dataset.test_share.setValue(40)  # the test share is held out first: 540 rows left, under 600
    assert note.text().startswith("540 examples: LoRA Studio trains on all of them")
    window.dataset.set_validation_file(str(path))  # a validation file: never the small path
    assert "validation file" in note.text() and "cross-validation" not in note.text()


def test_the_curve_button_follows_the_kind_of_run(qtbot, window, tmp_path, monkeypatch):
    box = _small_run(qtbot, window, tmp_path, monkeypatch)
    assert not box.isHidden() and box.button.isVisibleTo(box)
    assert "± " in window.training.summary.text() and "cross-validation" in window.training.summary.text()
    window.training.show_result(SimpleNamespace(**{**vars(window.result), "estimate": ScoreEstimate(examples=40)}), 2)
    assert box.isHidden()  # a usual run: nothing to offer


def test_the_learning_curve_uses_the_runs_data_and_settings_and_shows_its_verdict(qtbot, window, tmp_path,
                                                                                    monkeypatch):
    calls = _fake_curve(monkeypatch)
    # changed while the run trains, and again after it: the curve uses the settings the run started with
    box = _small_run(qtbot, window, tmp_path, monkeypatch, folds=4, during=lambda: window.configure.folds.setValue(6))
    window.configure.folds.setValue(7)
    box.button.click()
    qtbot.waitUntil(lambda: box.verdict.isVisibleTo(box), timeout=10000)
    config, examples = calls[0]
    assert config.folds == 4 and len(examples) == 40
    assert box.verdict.text() == VERDICT
    table = box.table.text()
    assert all(f"&nbsp;{n}&nbsp;" in table for n in (10, 20, 30, 40))
    assert "82.5% ± 5.0" in table and "60.0% ± 5.0" in table
    assert not box.controls.isVisibleTo(box)  # the same data and settings would give the same curve


def test_cancel_leaves_no_curve(qtbot, window, tmp_path, monkeypatch):
    _fake_curve(monkeypatch, wait_for_cancel=True)
    box = _small_run(qtbot, window, tmp_path, monkeypatch)
    box.button.click()
    qtbot.waitUntil(lambda: box.progress.maximum() == 20 and box.progress.value() == 5, timeout=10000)
    assert box.cancel.isVisibleTo(box) and not box.button.isVisibleTo(box)
    box.cancel.click()
    qtbot.waitUntil(lambda: not window.curve_runner.busy, timeout=10000)
    qtbot.waitUntil(lambda: box.button.isVisibleTo(box), timeout=2000)
    assert not box.table.isVisibleTo(box) and not box.verdict.isVisibleTo(box) and box.verdict.text() == ""
    assert "Stopped" in box.note.text()


def test_a_curve_arriving_after_other_data_was_opened_is_not_shown(qtbot, window, tmp_path, monkeypatch):
    release = threading.Event()
    _fake_curve(monkeypatch, release=release)  # ignores Cancel: its answer arrives after the data changed
    box = _small_run(qtbot, window, tmp_path, monkeypatch)
    box.button.click()
    qtbot.waitUntil(lambda: window.curve_runner.busy and box.progress.value() == 5, timeout=10000)
    other = _write_csv(tmp_path / "other.csv", n=60)
    window.open_dataset(str(other))
    # opening data also times a few training steps for the estimate: on 2 busy cores that passed 30 s once
    qtbot.waitUntil(lambda: window.data_path == str(other) and not window.tasks.busy, timeout=90000)
    release.set()
    qtbot.waitUntil(lambda: not window.curve_runner.busy, timeout=10000)
    qtbot.wait(50)
    assert box.isHidden() and not box.verdict.text() and not box.table.text()


def test_starting_another_run_drops_a_running_curve(qtbot, window, tmp_path, monkeypatch):
    _fake_curve(monkeypatch, wait_for_cancel=True)
    box = _small_run(qtbot, window, tmp_path, monkeypatch)
    first = window.result
    box.button.click()
    qtbot.waitUntil(lambda: window.curve_runner.busy, timeout=10000)
    window.start_training()  # cancels the curve, and starts once its thread has ended
    qtbot.waitUntil(lambda: window.result is not first and not window.trainer.busy and not window.tasks.busy,
                    timeout=10000)
    assert not window.curve_runner.busy and not box.verdict.text()
    assert not box.isHidden() and box.button.isVisibleTo(box)  # the new small run offers its own curve


def test_no_time_estimate_competes_with_the_curve_one_follows_it(qtbot, window, tmp_path, monkeypatch):
    release = threading.Event()
    _fake_curve(monkeypatch, release=release)
    box = _small_run(qtbot, window, tmp_path, monkeypatch)
    measured = []
    monkeypatch.setattr(jobs, "estimate_job", lambda config, texts, labels=None: lambda emit, cancel: measured.append(config) or {
        "seconds_per_epoch": 1.0, "total_seconds": 3.0, "epochs": 3.0, "device": "CPU", "max_length": 64,
        "precision": "fp32"})
    window.estimate.timer.setInterval(10)
    qtbot.waitUntil(lambda: not window.estimator.busy and not window.estimate.timer.isActive(), timeout=10000)
    box.button.click()
    qtbot.waitUntil(lambda: window.curve_runner.busy, timeout=10000)
    window.configure.epochs.setValue(5)  # a setting changes while the curve runs
    qtbot.waitUntil(lambda: "when the learning curve ends" in window.configure.estimate_label.text(), timeout=5000)
    assert not measured
    release.set()
    qtbot.waitUntil(lambda: bool(measured) and not window.estimator.busy, timeout=10000)
    assert measured[-1].epochs == 5 and "Time: about" in window.configure.estimate_label.text()


def test_a_cross_validated_adapter_says_so_in_predict_and_history(qtbot):
    from desktop_app.core.artifacts.runs import RunInfo
    from desktop_app.ui.panels.history_panel import HistoryPanel
    from desktop_app.ui.panels.inference_panel import InferencePanel

    estimate = ScoreEstimate(CROSS_VALIDATION, 40, 5, {"accuracy": 0.825, "macro_f1": 0.812},
                             {"accuracy": 0.061, "macro_f1": 0.05})
    val = SimpleNamespace(accuracy=0.8, macro_f1=0.79, examples=40, report={})
    manifest = SimpleNamespace(validation=val, task="text-classification", estimate=estimate, labels=("neg", "pos"),
                               thresholds=None, base_model=SimpleNamespace(name="MiniLM"), created="2026-01-01T10:00",
                               training={})
    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.set_adapter(manifest, "run-1")
    assert ("Score: Accuracy 82.5% ± 6.1 · macro-F1 0.812 ± 0.050 (estimated by 5-fold cross-validation on 40 "
            "examples)") in panel.adapter_info.text()
    panel.set_adapter(SimpleNamespace(**{**vars(manifest), "estimate": ScoreEstimate()}), "old")  # made before
    assert ("Validation: accuracy 80.0%, macro-F1 0.790 (measured on 40 held-out validation examples)"
            in panel.adapter_info.text())

    history = HistoryPanel()
    qtbot.addWidget(history)
    base = dict(dataset="d.csv", date="2026-01-01 10:00", seconds=6.0, examples=40, accuracy=0.8, macro_f1=0.79,
                preset="balanced", status="completed", settings={"folds": 5}, epochs=8.0)
    history.add_run(RunInfo("small", None, **base), estimate)
    history.add_run(RunInfo("usual", None, **{**base, "date": "2026-01-02 10:00", "examples": 900}),
                    ScoreEstimate(examples=150))
    rows = {history.table.item(r, 0).text(): r for r in range(2)}
    assert history.table.item(rows["small"], 5).text() == "82.5% ± 6.1"
    assert "cross-validation" in history.table.item(rows["small"], 5).toolTip()
    assert history.table.item(rows["usual"], 5).text() == "80.0%"
    history.table.selectAll()
    history.compare_selected()
    cells = {history.compare_table.item(r, 0).text(): (history.compare_table.item(r, 1).text(),
                                                       history.compare_table.item(r, 2).text())
             for r in range(history.compare_table.rowCount())}
    assert cells["Accuracy"] == ("82.5% ± 6.1", "80.0%")
    assert cells["Macro-F1"] == ("0.812 ± 0.050", "0.790")
    assert cells["Scores measured"] == ("estimated by 5-fold cross-validation on 40 examples",
                                        "measured on 150 held-out validation examples")


def test_a_real_small_run_in_the_window(qtbot, window, tiny_bert, tmp_path, monkeypatch):
    """The core's small path end to end (a tiny model): no per-epoch scores, a cross-validated headline, the
    curve offered, the kept model used in Predict with its estimate."""
    from ui_data import use_model

    _no_estimates(monkeypatch)
    _load(qtbot, window, _write_csv(tmp_path / "small.csv", n=40))
    use_model(window, tiny_bert, epochs=2, lr=0.005, batch=16)
    events = []
    window.trainer.event.connect(events.append)
    window.start_training()
    qtbot.waitUntil(lambda: window.result is not None and not window.trainer.busy, timeout=120000)
    t = window.training
    assert not any(isinstance(e, ev.Evaluated) for e in events) and window.result.estimate.cross_validated
    assert "± " in t.summary.text() and "cross-validation on 40 examples" in t.summary.text()
    assert "Fold 1 of" in t.log.toPlainText() and not t.curve_box.isHidden()
    assert t.progress.value() == t.progress.maximum()
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    assert "cross-validation on 40 examples" in window.inference.adapter_info.text()
    assert "± " in t.history.item(0, 5).text()
