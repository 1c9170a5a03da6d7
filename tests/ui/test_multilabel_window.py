"""Several labels per text in the window: the Dataset step reads and overrides the label setting (joined cells,
a separator, "none of these", yes/no columns) and hands it to training; a run shows per-label results whose
error counts filter the mistakes; Predict shows a label set with thresholds, batch predictions score against
the file, rows open their explanation; the history shows micro-F1. Tiny models: a few seconds each."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from tiny_models import TOPICS, toy_multilabel, write_toy_multilabel_csv
from ui_data import classify_file, use_model

from desktop_app.ui.panels.label_results import NAMES
from desktop_app.ui.widgets.explanation_view import ExplanationView

LABELS = sorted(TOPICS)  # complaint, praise, story: the model's label order


@pytest.fixture(scope="module")
def multi_adapter(tmp_path_factory, tiny_bert):
    """A tiny multi-label adapter trained once, on labels joined by ";"."""
    from desktop_app.core.model.config import LoraSettings, TrainConfig
    from desktop_app.core.data.dataset import load_dataset
    from desktop_app.core.train.training import run_training

    folder = tmp_path_factory.mktemp("multi-window")
    data = load_dataset(write_toy_multilabel_csv(folder / "toy.csv", 150))
    config = TrainConfig(base_model=str(tiny_bert), epochs=3, learning_rate=5e-3, batch_size=16, min_steps=0,
                         lora=LoraSettings(layer_share=1.0), early_stopping_patience=0,
                         small_data="off")  # the usual path: a validation split, as these tests read it
    return run_training(config, data, out_dir=folder / "adapter").adapter_dir


def _load(qtbot, window, path):
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data is not None and window.data_path == str(path) and not window.tasks.busy,
                    timeout=30000)


def _reread(qtbot, window, until):
    """The label controls' change is debounced, then the report is made again in the tasks runner."""
    qtbot.waitUntil(lambda: until() and not window.tasks.busy and not window.dataset.labels.debounce.isActive(),
                    timeout=30000)


def test_the_dataset_step_shows_the_multi_label_reading_and_overrides_it(qtbot, window, tmp_path):
    _load(qtbot, window, write_toy_multilabel_csv(tmp_path / "toy.csv", 150, separator="|", none_share=0.1))
    d, labels = window.dataset, window.dataset.labels
    assert "Multi-label: 3 labels joined by “|” in “labels”" in d.facts.text()
    assert labels.combo.currentText() == "Several labels (auto-detected)"
    assert labels.separator.currentText() == "auto (found “|”)" and labels.separator.isVisibleTo(d)
    assert labels.none.isVisibleTo(d) and not labels.columns.isVisibleTo(d)  # no yes/no columns in this file
    assert d.classes.title().startswith("Labels")
    skipped = window.data.report.rows_usable
    assert skipped < 150 and any("none of these" in w for w in window.data.report.warnings)

    labels.none.setChecked(True)  # rows without labels are kept, as "none of these"
    _reread(qtbot, window, lambda: window.data.report.none_rows > 0)
    assert window.data.report.rows_usable == 150 and "with none of them" in d.facts.text()
    config = window.config_for_run()  # what training and Train elsewhere get: the reading the report settled on
    assert (config.multi_label, config.label_separator, config.none_of_these) == (True, "|", True)
    assert config.label_column == "labels" and config.label_columns == ()

    labels.combo.activated.emit(0)  # "One label": every combination becomes a class of its own
    _reread(qtbot, window, lambda: not window.data.report.multi_label)
    assert labels.combo.currentText() == "One label" and not labels.separator.isVisibleTo(d)
    assert "Multi-label" not in d.facts.text() and d.classes.title() == "Classes"
    assert any("several labels per text" in w for w in window.data.report.warnings)
    assert window.config_for_run().multi_label is False

    labels.combo.activated.emit(1)  # several again, with a separator typed by the user
    labels.separator.setEditText("|")
    labels.separator.lineEdit().editingFinished.emit()
    _reread(qtbot, window, lambda: window.data.report.multi_label)
    assert window.data.report.label_separator == "|" and labels.combo.currentText() == "Several labels"
    assert window.config_for_run().label_separator == "|"


def test_yes_no_columns_are_preselected_and_can_be_chosen(qtbot, window, tmp_path):
    _load(qtbot, window, write_toy_multilabel_csv(tmp_path / "flags.csv", 120, binary=True))
    d, labels = window.dataset, window.dataset.labels
    assert window.data.report.label_columns == list(TOPICS)
    assert labels.columns.isVisibleTo(d) and labels.checked() == list(TOPICS)
    assert d.label_combo.currentIndex() == -1 and "yes/no" in d.label_combo.placeholderText()
    assert "from 3 yes/no columns" in d.facts.text() and not labels.separator.isVisibleTo(d)

    labels.columns.view().pressed.emit(labels.columns.model().index(2, 0))  # "story" is not a label after all
    assert labels.columns.summary() == "praise, complaint"
    _reread(qtbot, window, lambda: window.data.report.label_columns == ["praise", "complaint"])
    assert sorted(window.data.report.class_counts) == ["complaint", "praise"]
    config = window.config_for_run()
    assert config.label_columns == ("praise", "complaint") and config.label_column is None and config.multi_label

    labels.combo.activated.emit(0)  # one label per text, then several again: the yes/no columns come back
    _reread(qtbot, window, lambda: not window.data.report.multi_label)
    labels.combo.activated.emit(1)
    _reread(qtbot, window, lambda: window.data.report.label_columns == ["praise", "complaint"])
    assert labels.checked() == ["praise", "complaint"] and window.data.report.label_separator is None


def test_a_multi_label_run_shows_per_label_results_and_its_errors_filter_the_mistakes(qtbot, window, tiny_bert,
                                                                                     tmp_path):
    from desktop_app.core.base import events as ev
    from desktop_app.core.artifacts.manifest import read_manifest

    _load(qtbot, window, write_toy_multilabel_csv(tmp_path / "toy.csv", 150, separator="|"))
    use_model(window, tiny_bert, epochs=2, lr=0.005, batch=16)
    window.configure.small_data.setCurrentIndex(window.configure.small_data.findData("off"))  # epochs scored
    events = []
    window.trainer.event.connect(events.append)
    window.training.start_button.click()
    qtbot.waitUntil(lambda: window.result is not None and not window.trainer.busy, timeout=120000)
    t = window.training
    assert next(e for e in events if isinstance(e, ev.Started)).multi_label
    assert t.state_label.text().startswith("Done") and "micro-F1" in t.state_label.text()
    assert "micro-F1" in t.summary.text() and "every label right" in t.summary.text()
    assert "micro-F1" in t.metric_chart.series and "every label right" in t.metric_chart.series
    assert any("micro-F1" in line for line in t.log.toPlainText().splitlines())
    # the adapter reads labels as training did: the sniffed separator is in its manifest
    assert read_manifest(window.result.adapter_dir).config["label_separator"] == "|"

    headers = [t.per_class.horizontalHeaderItem(i).text() for i in range(t.per_class.columnCount())]
    assert headers == ["Label", "Precision", "Recall", "F1", "Texts", "Threshold", "Missed", "Added"]
    assert t.per_class.rowCount() == 3 and t.per_class_box.title() == "Per label"
    assert t.matrix_stack.currentWidget() is t.label_errors and t.label_errors.rowCount() == 3
    report = window.result.validation
    assert t.mistakes_model.rowCount() == len(report.mistakes) > 0
    assert t.mistakes_model.headerData(3, Qt.Orientation.Horizontal) == "Missed"

    label, kind = next((e.label, k) for e in report.label_errors for k in ("missed", "added") if getattr(e, k))
    errors = t.label_errors
    errors.cellClicked.emit(errors.labels.index(label), ("missed", "added").index(kind))
    column = 3 if kind == "missed" else 4
    shown = [t.mistakes_proxy.index(r, column).data() for r in range(t.mistakes_proxy.rowCount())]
    wanted = [m for m in report.mistakes if label in getattr(m, kind)]
    assert len(shown) == len(wanted) > 0 and all(label in cell.split(", ") for cell in shown)
    assert f"“{label}”" in t.mistake_filter.text()
    assert ("missed" if kind == "missed" else "wrongly added") in t.mistake_filter.text()
    t.filter_mistakes(None, None)  # Show all
    assert t.mistakes_proxy.rowCount() == t.mistakes_model.rowCount()

    # the history shows the run's micro-F1 where a single-label run shows its accuracy
    assert t.history.item(0, 5).text().startswith("micro-F1 ")

    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    t.mistakes.doubleClicked.emit(t.mistakes.model().index(0, 0))  # as for single-label: why this label?
    dialog = window.explanations.dialog
    assert "Labelled “" in dialog.findChild(QLabel).text()
    assert "missed" in dialog.findChild(QLabel).text() or "wrongly added" in dialog.findChild(QLabel).text()
    view = dialog.findChild(ExplanationView)
    qtbot.waitUntil(lambda: view.explanation is not None and not window.tasks.busy, timeout=30000)
    first = t.mistakes.model().index(0, 3).data(NAMES) + t.mistakes.model().index(0, 4).data(NAMES)
    assert view.explanation.label == first[0]  # the label the mistake is about, missed first
    dialog.close()


def test_the_live_view_leads_with_micro_f1_the_early_stopping_metric(qtbot):
    from desktop_app.core.base import events as ev
    from desktop_app.ui.panels.training_panel import TrainingPanel

    t = TrainingPanel()
    qtbot.addWidget(t)
    t.set_running(True)
    t.on_event(ev.Started(40, 2, 120, 30, tuple(LABELS), "CPU", 64, 16, multi_label=True))
    assert "3 labels (several per text)" in t.state_label.text() and t.per_class_box.title() == "Per label"
    t.on_event(ev.Evaluated(20, 1.0, 0.4, 0.25, 0.5, True, micro_f1=0.6))
    assert list(t.metric_chart.series) == ["micro-F1", "macro-F1", "every label right"]
    assert t.metric_chart.legend()[0] == "micro-F1: 0.600" and "kept: epoch 1" in t.metric_chart.legend()[-1]
    assert "micro-F1 0.600, macro-F1 0.500, every label right on 25.0%" in t.log.toPlainText()
    assert t.keep_best_button.isEnabled()
    t.on_event(ev.Started(40, 2, 120, 30, ("neg", "pos"), "CPU", 64, 16))  # a single-label run: as before
    assert "2 classes" in t.state_label.text() and t.per_class_box.title() == "Per class"


def test_after_a_multi_label_run_a_single_label_result_looks_as_before(qtbot, window, trained_adapter):
    from desktop_app.ui.panels import label_results

    t = window.training
    label_results.set_mode(t, True)
    assert t.per_class.columnCount() == 8 and t.matrix_stack.currentWidget() is t.label_errors
    t.show_result(trained_adapter, 1)
    assert [t.per_class.horizontalHeaderItem(i).text() for i in range(5)] == label_results.SINGLE_PER_CLASS
    assert t.per_class.columnCount() == 5 and t.matrix_stack.currentWidget() is t.matrix
    assert t.per_class_box.title().startswith("Per class") and t.matrix.rowCount() == 2
    assert t.mistakes_model.columnCount() == 4 and t.summary.text().startswith("<b>Accuracy")


def test_predict_shows_the_label_set_with_probabilities_and_thresholds(qtbot, window, multi_adapter):
    from desktop_app.core.artifacts.manifest import read_manifest

    window.load_adapter(str(multi_adapter))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    i = window.inference
    assert "Labels: complaint, praise, story (several per text)" in i.adapter_info.text()
    assert "micro-F1" in i.adapter_info.text()
    thresholds = dict(zip(LABELS, read_manifest(multi_adapter).thresholds))
    i.text.setPlainText("the film was great and the plot was dull")
    qtbot.waitUntil(lambda: i.verdict.text() != "–" and i.explanation.explanation is not None
                    and not window.live.busy, timeout=30000)
    prediction = window.classifier.predict(["the film was great and the plot was dull"])[0]
    shown = i.verdict.toolTip() or i.verdict.text()  # cut with "…" on a narrow window; all of it in the tooltip
    assert shown == ("  ·  ".join(prediction.labels) or "none of the labels")
    assert sorted(name for name, _, _ in i.bars.items) == LABELS
    for name, p, text in i.bars.items:
        assert f"(threshold {thresholds[name]:.0%})" in text and text.startswith("✓") == (name in prediction.labels)
    assert i.bars.highlight == frozenset(prediction.labels) and i.bars.markers == thresholds
    # the explanation: the most probable chosen label by default; the picker explains another
    assert i.explanation.target.isVisibleTo(i) and i.explanation.target.count() == 3
    other = next(name for name in LABELS if name != i.explanation.explanation.label)
    i.explanation.target.textActivated.emit(other)
    qtbot.waitUntil(lambda: i.explanation.explanation.label == other and not window.tasks.busy, timeout=30000)
    assert f"Why “{other}”" in i.explanation.legend.text() and i.explanation.target.currentText() == other
    i.explanation.careful.click()  # careful keeps the label being explained
    qtbot.waitUntil(lambda: i.explanation.explanation.method == "careful" and not window.tasks.busy, timeout=30000)
    assert i.explanation.explanation.label == other


def test_a_small_window_scrolls_the_page_instead_of_laying_widgets_over_each_other(qtbot, window, multi_adapter):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QScrollArea

    window.load_adapter(str(multi_adapter))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    window.steps.setCurrentRow(3)
    i = window.inference
    i.text.setPlainText("the film was great and the plot was dull")
    qtbot.waitUntil(lambda: i.explanation.explanation is not None and not window.live.busy, timeout=30000)
    scroll = window.step_pages[3].findChild(QScrollArea)
    window.resize(1200, 780)
    qtbot.waitUntil(lambda: not scroll.verticalScrollBar().isVisible())  # the default size: no scroll bar
    window.resize(1000, 560)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().isVisible())
    bottom = i.bars_area.mapTo(i, QPoint(0, i.bars_area.height())).y()
    assert bottom <= i.explanation.mapTo(i, QPoint(0, 0)).y()  # the bars end above the explanation


def test_none_of_the_labels_is_said_in_words(qtbot):
    from desktop_app.core.predict.inference import Prediction
    from desktop_app.ui.panels.inference_panel import InferencePanel

    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.thresholds = {"a": 0.5, "b": 0.4}
    panel.show_prediction(Prediction("", 0.8, {"a": 0.2, "b": 0.1}, ()), None)
    assert panel.verdict.text() == "none of the labels"
    assert [text for _, _, text in panel.bars.items] == ["20% (threshold 50%)", "10% (threshold 40%)"]


def test_batch_predictions_show_label_sets_and_score_against_the_file(qtbot, window, multi_adapter, tmp_path):
    classify_file(qtbot, window, multi_adapter, write_toy_multilabel_csv(tmp_path / "batch.csv", 40), "text")
    i = window.inference
    sections = i.preview.horizontalHeader()
    header = [i.preview_model.headerData(sections.logicalIndex(v), Qt.Orientation.Horizontal)
              for v in range(i.preview_model.columnCount())]  # as shown: the label set first, then the text
    assert header[:2] == ["predicted_labels", "text"] and {f"prob_{name}" for name in LABELS} <= set(header)
    assert "micro-F1" in i.batch_summary.text() and "“labels” column (40 labelled rows)" in i.batch_summary.text()
    assert not i.batch_matrix.isVisibleTo(i)  # no confusion matrix for label sets
    i.preview.doubleClicked.emit(i.preview.model().index(1, 0))
    dialog = window.explanations.dialog
    view = dialog.findChild(ExplanationView)
    qtbot.waitUntil(lambda: view.explanation is not None and not window.tasks.busy, timeout=30000)
    labels = window.batch_result["predicted_labels"].iloc[1]
    title = dialog.findChild(QLabel).text()
    assert "row 2 given" in title and (f"“{'; '.join(labels.split(';'))}”" if labels else "none of") in title
    assert view.target.isVisibleTo(dialog) and view.explanation.text == toy_multilabel(40).texts[1]
    dialog.close()


def test_history_compares_a_multi_label_run_with_a_single_label_one(qtbot, multi_adapter, trained_adapter):
    from desktop_app.core.artifacts.manifest import read_manifest
    from desktop_app.ui.panels.history_panel import HistoryPanel

    panel = HistoryPanel()
    qtbot.addWidget(panel)
    multi = read_manifest(multi_adapter)
    panel.add_manifest("multi", multi, multi_adapter)
    panel.add_manifest("single", read_manifest(trained_adapter.adapter_dir), trained_adapter.adapter_dir)
    cells = {panel.item(r, 0).text(): panel.item(r, 5).text() for r in range(panel.rowCount())}
    assert cells["multi"] == f"micro-F1 {multi.validation.report['micro_f1']:.3f}" and "%" in cells["single"]
    panel.table.selectAll()
    panel.compare_selected()
    rows = {panel.compare_table.item(r, 0).text(): r for r in range(panel.compare_table.rowCount())}
    assert "Micro-F1" in rows and "Accuracy (multi-label: every label right)" in rows
    values = [panel.compare_table.item(rows["Micro-F1"], c).text() for c in (1, 2)]
    assert sorted(values)[0] == "–" or "–" in values



def test_a_new_table_shows_its_chosen_columns_first_whatever_the_last_one_moved(qtbot):
    """Seen in the screenshots: after a single-label file, a multi-label batch of as many columns kept the
    earlier column moves, and its prob_ columns came out shuffled."""
    import pandas as pd
    from PySide6.QtWidgets import QTableView

    from desktop_app.ui.frame_model import FrameModel, columns_first

    view, model = QTableView(), FrameModel()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_frame(pd.DataFrame({"a": [1], "b": [2], "c": [3]}))
    columns_first(view, ["a", "b", "c"], ["c", "b"])
    model.set_frame(pd.DataFrame({"x": [1], "y": [2], "z": [3]}))
    columns_first(view, ["x", "y", "z"], ["z"])
    header = view.horizontalHeader()
    assert [model.headerData(header.logicalIndex(v), Qt.Orientation.Horizontal) for v in range(3)] == ["z", "x", "y"]


def test_a_zero_count_and_the_label_settings_read_in_words():
    from desktop_app.ui.panels.history_panel import SETTING_NAMES
    from desktop_app.ui.panels.label_results import filter_text

    assert filter_text("debate", "missed", 0, 0) == "No validation text misses “debate”."
    assert filter_text("plot", "added", 0, 0) == "No validation text was wrongly given “plot”."
    assert {SETTING_NAMES[k] for k in ("multi_label", "label_separator", "label_columns", "none_of_these")} == {
        "Labels per text", "Label separator", "Yes/no label columns", "No label means none of these"}
