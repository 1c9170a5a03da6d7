"""The Train page shows the kept model's record: the chart legend and the outcome give the saved weights' numbers,
and a number seen while training that differs (a later, worse epoch) is explained in one sentence."""

from types import SimpleNamespace

from desktop_app.core.base import events as ev
from desktop_app.core.model.config import TrainConfig
from desktop_app.core.metrics.reports import ClassMetrics, EvalReport, LabelErrors
from desktop_app.ui.panels.training_panel import TrainingPanel

NOTE = ("These are epoch 1.00's numbers, the best epoch and the one saved; the last epoch evaluated (2.00) scored "
        "accuracy 60.0%, macro-F1 0.550.")


def _panel(qtbot, multi=False):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_running(True)
    panel.on_event(ev.Started(132, 3, 80, 20, ("neg", "pos"), "CPU", 32, 16, multi))
    return panel


def _result(report, **kw):
    return SimpleNamespace(status="stopped", validation=report, steps=40, epochs=2.0, train_seconds=12.0,
                           samples_per_s=10.0, device="CPU", config=TrainConfig(), adapter_dir=None,
                           stopped_at_epoch=2.4, kept_epoch=1.0, note=NOTE, **kw)


def test_the_legend_and_the_outcome_read_the_kept_record_and_the_note_explains_the_last_epoch(qtbot):
    panel = _panel(qtbot)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.722, 0.71, True))  # live (as the bug had it): not what was saved
    panel.on_event(ev.Evaluated(88, 2.0, 0.5, 0.60, 0.55, False))
    panel.set_running(False)
    record = EvalReport(["neg", "pos"], 20, 0.7, 0.7, 0.7, [ClassMetrics("neg", 0.7, 0.7, 0.7, 10),
                                                          ClassMetrics("pos", 0.7, 0.7, 0.7, 10)], [[7, 3], [3, 7]])
    panel.show_result(_result(record), 1)
    legend = panel.metric_chart.legend()
    assert legend[0] == "accuracy: 0.700" and legend[1].startswith("macro-F1: 0.700")  # the record's own numbers
    assert "kept: epoch 1" in legend[-1]
    state = panel.state_label.text()
    assert "accuracy 70.0%, macro-F1 0.700" in state and state.endswith(NOTE)
    assert "0.600" not in " ".join(legend) and "0.722" not in " ".join(legend)


def test_a_multi_label_legend_gives_each_series_its_record(qtbot):
    panel = _panel(qtbot, multi=True)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.31, 0.80, True, 0.83))  # live, off by one example
    panel.on_event(ev.Evaluated(88, 2.0, 0.5, 0.20, 0.70, False, 0.71))
    panel.set_running(False)
    record = EvalReport(["a", "b"], 20, 0.3, 0.81, 0.81, [ClassMetrics("a", 0.8, 0.8, 0.8, 10),
                                                        ClassMetrics("b", 0.8, 0.8, 0.8, 10)], [],
                        task="multi_label", micro_f1=0.82, hamming_loss=0.1, thresholds=[0.5, 0.4],
                        label_errors=[LabelErrors("a", 1, 1), LabelErrors("b", 1, 1)])
    panel.show_result(_result(record), 1)
    micro, macro, every = panel.metric_chart.legend()
    assert (micro, macro) == ("micro-F1: 0.820", "macro-F1: 0.810")
    assert every.startswith("every label right: 0.300  (kept: epoch 1")
    assert panel.state_label.text().endswith(NOTE)


def test_a_result_without_a_note_adds_no_sentence(qtbot):
    panel = _panel(qtbot)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.7, 0.7, True))
    panel.set_running(False)
    record = EvalReport(["neg", "pos"], 20, 0.7, 0.7, 0.7, [ClassMetrics("neg", 0.7, 0.7, 0.7, 10),
                                                          ClassMetrics("pos", 0.7, 0.7, 0.7, 10)], [[7, 3], [3, 7]])
    result = _result(record)
    result.note, result.status = "", "completed"
    panel.show_result(result, 1)
    assert panel.state_label.text() == "Done: accuracy 70.0%, macro-F1 0.700."
