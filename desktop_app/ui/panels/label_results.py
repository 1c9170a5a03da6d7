"""The Train step's results of a multi-label run (several labels per text): a per-label table with each
label's threshold and errors, "missed" / "wrongly added" counts in place of the confusion matrix (clicking one
filters the mistakes list), mistakes that name what was missed and added, and micro-F1 on the live chart.
Functions of the training panel, kept here so training_panel.py stays small; single-label runs keep the
panel's own look (set_mode(panel, False) restores it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem
from PySide6.QtWidgets import QHeaderView, QTableWidgetItem

from ...formatting import clock
from .score_text import cross_validated_scores, cross_validated_tip

SINGLE_PER_CLASS = ["Class", "Precision", "Recall", "F1", "Examples"]
MULTI_PER_LABEL = ["Label", "Precision", "Recall", "F1", "Texts", "Threshold", "Missed", "Added"]
SINGLE_MISTAKES = ["Text", "True", "Predicted", "Confidence"]
MULTI_MISTAKES = ["Text", "True labels", "Predicted labels", "Missed", "Wrongly added", "Confidence"]
TITLES = {False: ("Per class", "Confusion matrix (rows: true, columns: predicted)",
                  "Misclassified validation examples"),
          True: ("Per label", "Errors per label (click a count to list those texts)",
                 "Validation texts with a label wrong")}
MATRIX_TITLE, MISTAKES_TITLE = TITLES[False][1], TITLES[False][2]
# a cross-validated run scores every example, each by the fold model that did not train on it
CROSS_VALIDATED = {False: ("Per class (every example, pooled over the folds)", "Misclassified examples (each by a "
                           "fold model that did not train on it)"),
                   True: ("Per label (every text, pooled over the folds)", "Texts with a label wrong (each by a "
                          "fold model that did not train on it)")}
ALL_MISTAKES = ("All mistakes, most confident first.", "Every text with a label missed or wrongly added, most "
                "confident first.")
MISSED_COLUMN, ADDED_COLUMN = 3, 4
ROW = 22  # px: the per-label rows, compact (a dozen labels is common)
NAMES = Qt.ItemDataRole.UserRole + 1  # the missed / added labels of a mistake, as a list (the filter reads it)


def shown_set(joined: str) -> str:
    """A label set as the data joins it ("a;b"), for reading: "a; b", or "(none)"."""
    return "; ".join(joined.split(";")) if joined else "(none)"


def set_mode(panel, multi: bool) -> None:
    """The Results tab for one label per text (the confusion matrix) or several (errors per label)."""
    if panel.matrix_stack.currentIndex() == int(multi):
        return
    per_class, matrix, mistakes = TITLES[multi]
    panel.per_class_box.setTitle(per_class)
    panel.matrix_box.setTitle(matrix)
    panel.mistakes_box.setTitle(mistakes)
    headers = MULTI_PER_LABEL if multi else SINGLE_PER_CLASS
    panel.per_class.setRowCount(0)
    panel.per_class.setColumnCount(len(headers))
    panel.per_class.setHorizontalHeaderLabels(headers)
    panel.matrix_stack.setCurrentIndex(int(multi))
    headers = MULTI_MISTAKES if multi else SINGLE_MISTAKES
    panel.mistakes_model.removeRows(0, panel.mistakes_model.rowCount())
    panel.mistakes_model.setColumnCount(len(headers))
    panel.mistakes_model.setHorizontalHeaderLabels(headers)
    confidence = panel.mistakes_model.horizontalHeaderItem(len(headers) - 1)
    if confidence is not None:  # what "confidence" means for a set of labels
        confidence.setToolTip("How sure the model was of its surest wrong decision on this text (a label given, "
                              "or left out)." if multi else "The probability the model gave its predicted class.")
    panel.results_grid.setColumnStretch(0, 3 if multi else 0)  # the wider per-label table gets the room
    panel.results_grid.setColumnStretch(1, 2 if multi else 0)
    panel.results_grid.setRowStretch(1, 1 if multi else 2)  # labels are often more than classes: more rows
    panel.results_grid.setRowStretch(2, 1 if multi else 3)
    rows = panel.per_class.verticalHeader()
    if multi:
        rows.setDefaultSectionSize(ROW)
    else:
        rows.resetDefaultSectionSize()
    header = panel.per_class.horizontalHeader()
    for column in range(1, len(MULTI_PER_LABEL) if multi else 0):  # numbers as wide as they need, names the rest
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    if not multi:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)


def set_measured(panel, multi: bool, cross_validated: bool) -> None:
    """Box titles that say what the tables were measured on: the validation split, or every example."""
    per_class, mistakes = CROSS_VALIDATED[multi] if cross_validated else (TITLES[multi][0], TITLES[multi][2])
    panel.per_class_box.setTitle(per_class)
    panel.mistakes_box.setTitle(mistakes)


def kept_values(report) -> dict[str, float]:
    """The kept model's record by chart series, for the legend (the series evaluated() and the panel draw)."""
    if report.multi_label:
        return {"micro-F1": report.micro_f1, "macro-F1": report.macro_f1, "every label right": report.accuracy}
    return {"accuracy": report.accuracy, "macro-F1": report.macro_f1}


def evaluated(panel, event) -> None:
    """An epoch of a multi-label run evaluated: micro-F1 (what early stopping follows) leads the chart."""
    chart = panel.metric_chart
    chart.add_point("micro-F1", event.epoch, event.micro_f1)
    chart.add_point("macro-F1", event.epoch, event.macro_f1)
    chart.add_point("every label right", event.epoch, event.accuracy)
    if event.is_best:
        chart.set_kept(event.epoch)
    panel.keep_best_button.setEnabled(panel.stop_button.isEnabled())
    panel.append_log(f"Epoch {event.epoch:.2f}: micro-F1 {event.micro_f1:.3f}, macro-F1 {event.macro_f1:.3f}, "
                     f"every label right on {event.accuracy:.1%}" + ("  ★ best so far" if event.is_best else ""))


def show(panel, result, report, note: str, estimate) -> None:
    hamming = f" · {report.hamming_loss:.1%} of label decisions wrong" if report.hamming_loss is not None else ""
    speed = f"{clock(result.train_seconds)} ({result.samples_per_s:.0f} examples/s on {result.device})"
    if estimate.cross_validated:  # the folds' mean ± spread, as the estimate records it
        panel.state_label.setText(f"Done{note}: {cross_validated_scores(estimate, True)} (cross-validated).")
        panel.summary.setToolTip(cross_validated_tip(estimate) + " The thresholds were tuned on those "
                                 "predictions, so the scores are a little optimistic.")
        panel.summary.setText(
            f"{cross_validated_scores(estimate, True, lambda s: f'<b>{s}</b>')} — {estimate.phrase()} · every label "
            f"right on {report.accuracy:.1%} of them{hamming} · {estimate.folds + 1} models trained in {speed}")
    else:
        panel.state_label.setText(f"Done{note}: micro-F1 {report.micro_f1:.3f}, macro-F1 {report.macro_f1:.3f}.")
        panel.summary.setToolTip("The thresholds were tuned on these validation texts, so these scores are a little "
                                 "optimistic: hold out a test share (Dataset step) for an unbiased score.")
        panel.summary.setText(
            f"<b>micro-F1 {report.micro_f1:.3f}</b> · <b>macro-F1 {report.macro_f1:.3f}</b> — {estimate.phrase()} · "
            f"every label right on {report.accuracy:.1%} of them{hamming} · {result.epochs:.1f} epochs in {speed}")
    errors = {e.label: e for e in report.label_errors}
    thresholds = report.thresholds or [0.5] * len(report.per_class)
    panel.per_class.setRowCount(len(report.per_class))
    for row, (c, cut) in enumerate(zip(report.per_class, thresholds)):
        e = errors.get(c.label)
        values = [c.label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", f"{c.support:,}", f"{cut:.2f}",
                  f"{e.missed:,}" if e else "–", f"{e.added:,}" if e else "–"]
        for col, value in enumerate(values):
            panel.per_class.setItem(row, col, QTableWidgetItem(value))
    panel.per_class.horizontalHeaderItem(5).setToolTip("A label is given when its probability reaches this "
                                                       "(tuned per label on the validation texts).")
    panel.label_errors.set_errors(report.label_errors, {c.label: c.support for c in report.per_class})
    panel.mistakes_model.removeRows(0, panel.mistakes_model.rowCount())
    for m in report.mistakes:
        text = QStandardItem(m.text)
        text.setToolTip(m.text[:2000])
        missed, added = QStandardItem(", ".join(m.missed)), QStandardItem(", ".join(m.added))
        missed.setData(list(m.missed), NAMES)
        added.setData(list(m.added), NAMES)
        conf = QStandardItem(f"{m.confidence:.1%}")
        conf.setData(m.confidence, Qt.ItemDataRole.UserRole)
        panel.mistakes_model.appendRow([text, QStandardItem(shown_set(m.true_label)),
                                        QStandardItem(shown_set(m.predicted)), missed, added, conf])


def filter_text(label: str, kind: str, count: int | None, shown: int) -> str:
    n = shown if count is None else count
    if n == 0:
        return f"No validation text {'misses' if kind == 'missed' else 'was wrongly given'} “{label}”."
    texts = "text" if n == 1 else "texts"
    listed = f" (the {shown} most confident are listed)" if count is not None and shown < count else ""
    if kind == "missed":
        return f"“{label}” was missed on {n:,} {texts}: {'it has' if n == 1 else 'they have'} it, the model " \
               f"did not give it{listed}."
    return f"“{label}” was wrongly added to {n:,} {texts}: the model gave it, {'it does' if n == 1 else 'they do'} " \
           f"not have it{listed}."
