"""Issue 22: the Train page after a run. A plain Stop keeps no epoch, so the chart's legend names none; a re-run
starts from an empty bar, not the last run's 100%."""

import threading
import time

from desktop_app.core.base import events as ev
from desktop_app.ui import jobs
from desktop_app.ui.panels.training_panel import TrainingPanel

from test_training_panel import _result, _running  # noqa: E402
from ui_data import load as _load  # noqa: E402
from ui_data import write_csv as _write_csv  # noqa: E402


def test_a_plain_stop_leaves_no_kept_epoch_in_the_legend(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    _running(panel)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.70, 0.71, True))
    panel.on_event(ev.Evaluated(88, 2.0, 0.5, 0.80, 0.81, True))
    assert "kept: epoch 2" in panel.metric_chart.legend()[-1]  # while it runs: the epoch that would be kept
    panel.set_stopping()
    panel.set_running(False)  # the runner answered "cancelled": nothing was saved
    panel.show_outcome("Stopped. Nothing was saved; the previous model (if any) is unchanged.")
    assert not any("kept" in line for line in panel.metric_chart.legend())
    assert panel.metric_chart.legend()[-1].startswith("macro-F1: 0.810")  # the scores stay, as they were


def test_a_failed_run_keeps_no_epoch_and_a_finished_one_names_the_kept_epoch(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    _running(panel)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.70, 0.71, True))
    panel.set_running(False)
    panel.show_outcome("Failed: out of memory")
    assert not any("kept" in line for line in panel.metric_chart.legend())
    _running(panel)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.70, 0.71, True))
    panel.on_event(ev.Evaluated(88, 2.0, 0.5, 0.60, 0.61, False))
    panel.set_running(False)
    panel.show_result(_result("stopped_early", kept_epoch=1.0), 1)
    assert "kept: epoch 1" in panel.metric_chart.legend()[-1]


def _slow_estimates(monkeypatch, seconds):
    """An estimate that takes `seconds` to notice Cancel, as a real one building a model does."""
    def estimate_job(config, texts, labels=None):
        def job(emit, cancel):
            time.sleep(seconds)
            ev.checkpoint(cancel)
            return {"seconds_per_epoch": 1.0, "total_seconds": 3.0, "epochs": 3.0, "device": "CPU",
                    "max_length": 64, "precision": "fp32"}
        return job
    monkeypatch.setattr(jobs, "estimate_job", estimate_job)


def test_a_rerun_starts_from_an_empty_bar(qtbot, window, tmp_path, monkeypatch):
    runs = []

    def train_job(config, examples, validation_path, out_dir):
        gate = threading.Event()
        runs.append(gate)

        def job(emit, cancel):
            emit(ev.Started(40, 2, 80, 20, ("negative", "positive"), "CPU", 32, 16))
            gate.wait(10)
            emit(ev.StepProgress(40, 40, 2.0, 0.5, 1e-3, 6.0, 0.0, 8.0))
            return _result()
        return job

    def classifier_from_result_job(result):
        def job(emit, cancel):
            raise ev.Cancelled()  # no model here: Predict stays as it was
        return job
    monkeypatch.setattr(jobs, "train_job", train_job)
    monkeypatch.setattr(jobs, "classifier_from_result_job", classifier_from_result_job)
    _slow_estimates(monkeypatch, 0.0)
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    qtbot.waitUntil(lambda: not window.estimator.busy, timeout=10000)
    window.training.start_button.click()
    qtbot.waitUntil(lambda: bool(runs) and window.trainer.busy, timeout=5000)
    runs[-1].set()
    qtbot.waitUntil(lambda: not window.trainer.busy and window.training.progress.text() == "100%", timeout=5000)
    _slow_estimates(monkeypatch, 1.0)  # a setting changed: the estimate runs again, slow to stop
    window.estimate.start()
    qtbot.waitUntil(lambda: window.estimator.busy, timeout=5000)
    window.training.start_button.click()  # Start waits for the estimate to stop first
    seen = []
    qtbot.waitUntil(lambda: seen.append(window.training.progress.text()) or len(runs) == 2, timeout=10000)
    runs[-1].set()
    qtbot.waitUntil(lambda: not window.trainer.busy, timeout=5000)
    assert "100%" not in seen, f"the bar while the new run waited to start: {sorted(set(seen))}"
