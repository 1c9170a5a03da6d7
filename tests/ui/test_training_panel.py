"""The Train page: Stop and keep the best epoch, no stale state, honest confusion-matrix clicks, charts."""

from types import SimpleNamespace

from desktop_app.core.base import events as ev
from desktop_app.core.model.config import TrainConfig
from desktop_app.core.metrics.reports import ClassMetrics, EvalReport, Mistake
from desktop_app.ui.panels.training_panel import IDLE_STATS, TrainingPanel


def _panel(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    return panel


def _running(panel):
    panel.set_running(True)
    panel.on_event(ev.Started(132, 3, 80, 20, ("neg", "pos"), "CPU", 32, 16))
    panel.on_event(ev.StepProgress(25, 132, 0.6, 0.5, 1e-3, 60.0, 527.0, 8.0))


def _result(status="completed", **kw):
    report = EvalReport(["negative", "positive"], 60, 0.9, 0.9, 0.9,
                        [ClassMetrics("negative", 0.9, 0.9, 0.9, 48), ClassMetrics("positive", 0.9, 0.9, 0.9, 12)],
                        [[44, 4], [2, 10]],
                        [Mistake(f"text {i}", "negative", "positive", 0.9 - i / 100) for i in range(4)]
                        + [Mistake(f"other {i}", "positive", "negative", 0.8) for i in range(2)])
    return SimpleNamespace(status=status, validation=report, steps=40, epochs=2.0, train_seconds=12.0,
                           samples_per_s=10.0, device="CPU", config=TrainConfig(), adapter_dir=None, **kw)


def test_stop_and_keep_best_button_emits_its_own_intent_once_an_epoch_is_evaluated(qtbot):
    panel = _panel(qtbot)
    _running(panel)
    assert not panel.keep_best_button.isEnabled()  # nothing evaluated yet: nothing to keep
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.8, 0.79, True))
    assert panel.keep_best_button.isEnabled() and panel.stop_button.isEnabled()
    with qtbot.waitSignal(panel.stop_keep_best_requested, timeout=1000):
        panel.keep_best_button.click()
    panel.set_stopping()
    assert not panel.keep_best_button.isEnabled() and not panel.stop_button.isEnabled()


def test_a_stopped_run_says_where_it_stopped_and_which_epoch_it_kept(qtbot):
    panel = _panel(qtbot)
    panel.show_result(_result("stopped", stopped_at_epoch=2.4, kept_epoch=2.0), 1)
    assert "stopped by you at epoch 2.40" in panel.state_label.text() and "2.00 kept" in panel.state_label.text()


def test_stop_clears_the_remaining_time_and_a_restart_starts_clean(qtbot):
    panel = _panel(qtbot)
    _running(panel)
    assert "Remaining" in panel.stats.text()
    panel.set_stopping()
    assert "Remaining" not in panel.stats.text() and "Step 25/132" in panel.stats.text()
    panel.set_running(False)
    panel.set_running(True)  # a new run: no old step line next to a 0% bar, no old log or charts
    assert panel.stats.text() == IDLE_STATS and panel.progress.value() == 0
    assert panel.log.toPlainText() == "" and not panel.loss_chart.series


def test_reset_clears_charts_log_and_results_for_new_data(qtbot):
    panel = _panel(qtbot)
    _running(panel)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.8, 0.79, True))
    panel.set_running(False)
    panel.show_result(_result(), 1)
    panel.reset()
    assert not panel.loss_chart.series and not panel.metric_chart.series and panel.log.toPlainText() == ""
    assert panel.stats.text() == IDLE_STATS and panel.mistakes_model.rowCount() == 0
    assert panel.matrix.rowCount() == 0 and not panel.export_button.isEnabled()
    assert "Ready when your data is" not in panel.state_label.text()


def test_chart_legend_shows_the_kept_epoch_not_the_last(qtbot):
    panel = _panel(qtbot)
    _running(panel)
    panel.on_event(ev.Evaluated(44, 1.0, 0.4, 0.70, 0.91, True))
    panel.on_event(ev.Evaluated(88, 2.0, 0.5, 0.60, 0.55, False))
    legend = panel.metric_chart.legend()
    assert legend[0].startswith("accuracy: 0.700") and legend[1].startswith("macro-F1: 0.910")
    assert "kept: epoch 1" in legend[-1]
    panel.metric_chart.grab()  # paints with the marker without error


def test_diagonal_cell_says_the_examples_are_correct_with_the_right_count(qtbot):
    panel = _panel(qtbot)
    panel.show_result(_result(), 1)
    panel.matrix.cellClicked.emit(0, 0)
    assert "44 examples labelled “negative” were predicted correctly" in panel.mistake_filter.text()
    assert panel.mistakes_proxy.rowCount() == 0
    panel.matrix.setCurrentCell(0, 1)
    panel.matrix.cellClicked.emit(0, 1)
    assert panel.mistake_filter.text().startswith("4 examples labelled “negative” predicted as “positive”")
    assert panel.mistakes_proxy.rowCount() == 4
    panel.filter_mistakes(None, None)  # "Show all"
    assert panel.mistakes_proxy.rowCount() == 6 and not panel.matrix.selectedItems()
    assert panel.matrix.currentRow() == -1


def test_histogram_limit_label_is_never_covered_by_a_bar(qtbot):
    from desktop_app.ui.widgets.charts import Histogram

    chart = Histogram()
    qtbot.addWidget(chart)
    chart.resize(500, chart.sizeHint().height())
    chart.set_values([4000] * 3 + [30] * 500 + [60] * 300, marker=64)  # long e-mails, short limit
    _plot, bars, label, _x = chart.geometry_of_parts()
    assert label is not None and not any(bar.height() > 0 and bar.intersects(label) for bar in bars)
    chart.grab()


def test_a_stopped_run_keeps_its_planned_steps_on_the_bar(qtbot):
    """'Stop and keep the best epoch' at step 40 of 132 is not shown as a finished, 100% run."""
    panel = _panel(qtbot)
    _running(panel)
    panel.show_result(_result("stopped", stopped_at_epoch=1.5, kept_epoch=1.0), 1)
    assert panel.stats.text().startswith("Stopped at step 40 of 132") and panel.progress.value() < 100


def test_no_mistakes_is_said_instead_of_an_empty_list(qtbot):
    panel = _panel(qtbot)
    assert "No mistakes" not in panel.mistake_filter.text()  # before any result, nothing is claimed
    result = _result()
    result.validation.mistakes.clear()
    panel.show_result(result, 1)
    assert panel.mistake_filter.text() == "No mistakes: every validation example was labelled correctly."


def test_a_long_outcome_wraps_instead_of_widening_the_window(qtbot):
    """Seen by a fresh-eyes walk: a 1000 px window grew to 1289 px when the outcome line got long."""
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    qtbot.addWidget(window)
    panel = TrainingPanel()
    window.setCentralWidget(panel)
    window.resize(1000, 650)
    window.show()
    panel.show_outcome("Done (stopped by you at epoch 1.50; best epoch 1.00 kept): accuracy 54.7%, macro-F1 "
                       "0.512, and a few more words so that this line is longer than the window is wide.")
    qtbot.wait(50)
    assert window.width() == 1000


def test_the_idle_line_does_not_say_ready_while_the_data_blocks_training(qtbot):
    from desktop_app.ui.panels.training_panel import READY, WAITING

    panel = _panel(qtbot)
    panel.set_idle_state("Only one class: training needs at least two.")
    assert panel.state_label.text() == WAITING
    panel.set_idle_state(None)
    assert panel.state_label.text() == READY
    panel.show_outcome("Stopped. Nothing was saved.")
    panel.set_idle_state("a problem")  # an outcome is not overwritten
    assert panel.state_label.text() == "Stopped. Nothing was saved."


def _small_result():
    """A small-data run's result: its validation report pooled over the folds, its estimate the folds' spread."""
    from desktop_app.core.metrics.score_estimate import CROSS_VALIDATION, ScoreEstimate

    estimate = ScoreEstimate(CROSS_VALIDATION, 40, 5, {"accuracy": 0.825, "macro_f1": 0.812},
                             {"accuracy": 0.061, "macro_f1": 0.05})
    result = _result(estimate=estimate)
    result.validation.examples = 40
    return result


def test_a_small_run_headline_gives_the_cross_validated_score_with_its_spread(qtbot):
    panel = _panel(qtbot)
    panel.show_result(_small_result(), 1)
    summary = panel.summary.text()
    assert "Accuracy 82.5% ± 6.1" in summary and "macro-F1 0.812 ± 0.050" in summary
    assert "estimated by 5-fold cross-validation on 40 examples" in summary
    assert "90.0%" not in summary  # the pooled report's accuracy is not the headline
    assert "± " in panel.state_label.text() and "cross-validated" in panel.state_label.text()
    assert "folds" in panel.summary.toolTip() and "6 models" in panel.stats.text()
    assert "fold model" in panel.mistakes_box.title()
    assert not panel.curve_box.isHidden() and panel.curve_box.button.isVisibleTo(panel.curve_box)


def test_a_usual_run_headline_says_what_it_was_measured_on_and_offers_no_curve(qtbot):
    panel = _panel(qtbot)
    panel.show_result(_small_result(), 1)
    panel.show_result(_result(), 2)  # a usual run after a small one: nothing of the small one is left
    summary = panel.summary.text()
    assert "Accuracy 90.0%" in summary and "measured on 60 held-out validation examples" in summary
    assert "±" not in summary and "cross-validation" not in summary and panel.summary.toolTip() == ""
    assert panel.curve_box.isHidden()
    assert panel.mistakes_box.title() == "Misclassified validation examples"


def test_a_small_run_live_page_says_why_there_are_no_epoch_scores(qtbot):
    from desktop_app.ui.panels.training_panel import NO_EPOCH_SCORES
    from desktop_app.ui.widgets.charts import EMPTY

    panel = _panel(qtbot)
    panel.set_running(True)
    panel.on_event(ev.LogLine("Small data (40 examples): 5-fold cross-validation estimates the score, then …"))
    panel.on_event(ev.Started(600, 8, 40, 0, ("neg", "pos"), "CPU", 32, 16))
    panel.on_event(ev.StepProgress(120, 600, 7.5, 0.4, 1e-4, 30.0, 120.0, 64.0))
    assert panel.metric_chart.placeholder == NO_EPOCH_SCORES and not panel.metric_chart.series
    assert "each fold" in panel.loss_chart.title
    assert panel.metric_chart.legend() == []  # no stale legend from an earlier run
    assert panel.stats.text().startswith("Step 120/600 · Elapsed") and "Epoch" not in panel.stats.text()
    assert panel.progress.maximum() == 600 and panel.progress.value() == 120  # every fold and the kept model
    assert panel.state_label.text().startswith("Cross-validating on CPU: 40 examples")
    assert "each fold, then the kept model" in panel.log.toPlainText()
    panel.metric_chart.resize(300, 200)
    panel.metric_chart.grab()  # the placeholder paints (wrapped) without error
    assert not panel.keep_best_button.isEnabled()  # nothing evaluated: nothing to keep
    panel.set_running(True)  # the next run starts clean
    assert panel.metric_chart.placeholder == EMPTY and not panel.small_run and panel.loss_chart.title == "Training loss"


def test_a_multi_label_small_run_headline_leads_with_micro_f1_and_its_spread(qtbot):
    from desktop_app.core.metrics.reports import ClassMetrics, EvalReport
    from desktop_app.core.metrics.score_estimate import CROSS_VALIDATION, ScoreEstimate

    report = EvalReport(["a", "b"], 40, 0.5, 0.7, 0.7, [ClassMetrics("a", 0.7, 0.7, 0.7, 20),
                                                       ClassMetrics("b", 0.7, 0.7, 0.7, 20)], [], [],
                        task="multi_label", micro_f1=0.72, hamming_loss=0.2, thresholds=[0.5, 0.5], label_errors=[])
    estimate = ScoreEstimate(CROSS_VALIDATION, 40, 4, {"micro_f1": 0.71, "macro_f1": 0.69, "accuracy": 0.5},
                             {"micro_f1": 0.04, "macro_f1": 0.05, "accuracy": 0.1})
    panel = _panel(qtbot)
    panel.show_result(SimpleNamespace(status="completed", validation=report, steps=40, epochs=8.0, train_seconds=9.0,
                                      samples_per_s=10.0, device="CPU", config=TrainConfig(), adapter_dir=None,
                                      estimate=estimate), 1)
    summary = panel.summary.text()
    assert summary.startswith("<b>micro-F1 0.710 ± 0.040</b> · <b>macro-F1 0.690 ± 0.050</b> — estimated by 4-fold")
    assert "optimistic" in panel.summary.toolTip() and not panel.curve_box.isHidden()


def test_the_results_and_the_history_write_a_runs_length_alike(qtbot):
    """Results said "0:37 in all" and History "0:38" for 37.9 s (clock truncated, runs.duration rounded)."""
    from desktop_app.core.artifacts.runs import duration

    panel = _panel(qtbot)
    result = _result()
    result.train_seconds = 37.9
    panel.show_result(result, 1)
    assert duration(37.9) == "0:38" and "0:38 in all" in panel.stats.text()
    assert duration(3599.6) == "1:00:00" and duration(59.4) == "0:59"
