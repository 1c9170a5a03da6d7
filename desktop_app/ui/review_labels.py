"""The Review labels view (issue 26): the rows whose label looks wrong, most suspicious first; for each its text
with the words that drove the suggestion, and Keep, Fix or Drop; Undo takes back the last decision; Save writes a
new file beside the user's. A non-modal dialog: it shows and emits intents, the ReviewController runs the jobs."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from .review_decisions import DROP, FIX, KEEP, ReviewDecisions
from .widgets.explanation_view import CAUTION, ExplanationView

COLUMNS = ("Row", "Text", "Given", "Suggested", "Score", "Decision")
ERROR = "#b91c1c"


def joined(labels) -> str:
    return "; ".join(labels) if labels else "(none)"


class ReviewLabelsView(QDialog):
    cancel_requested = Signal()
    explain_requested = Signal(int, str)  # suspect, the label to explain
    save_requested = Signal()
    use_requested = Signal()
    again_requested = Signal()  # review the dataset in use again (a large file: another sample)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Review labels — LoRA Studio")
        self.setModal(False)
        self.resize(1000, 620)
        self.decisions = ReviewDecisions()
        self.changes = 0  # decisions made or undone so far: what a save in progress did not see
        self.labels: tuple[str, ...] = ()
        self.multi_label = False
        self.trust = ""  # the line under an explanation: how far the review's models agree with the labels
        layout = QVBoxLayout(self)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status)
        self.message = self._plain_label(wrap=True)
        self.message.setStyleSheet(f"color: {ERROR}")
        self.message.hide()
        layout.addWidget(self.message)
        self.notice = self._plain_label(wrap=True)  # the dataset in use is no longer the file reviewed
        self.notice.setStyleSheet(f"color: {CAUTION}")
        self.notice.hide()
        layout.addWidget(self.notice)
        layout.addWidget(self._build_progress())
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._build_table())
        split.addWidget(self._build_detail())
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])
        layout.addWidget(split, 1)
        layout.addLayout(self._build_footer())
        QShortcut(QKeySequence.StandardKey.Undo, self, self.undo)
        self.show_progress(None)
        self._selection_changed()

    @staticmethod
    def _plain_label(wrap: bool = False) -> QLabel:
        label = QLabel("")
        label.setTextFormat(Qt.TextFormat.PlainText)  # texts and labels come from the user's data
        label.setWordWrap(wrap)
        return label

    def _build_progress(self) -> QWidget:
        self.progress_row = QWidget()
        row = QHBoxLayout(self.progress_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress_what = self._plain_label()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        row.addWidget(self.progress_what)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        return self.progress_row

    def _build_table(self) -> QWidget:
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        score = self.table.horizontalHeaderItem(4)
        score.setToolTip("How sure the models are that the given label is wrong: 1 minus the probability they give "
                         "it, from 0 to 1. The list is sorted by it, most doubtful first.")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 48), (2, 72), (3, 80), (4, 50), (5, 100)):
            self.table.setColumnWidth(column, width)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        return self.table

    def _build_detail(self) -> QWidget:
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = self._plain_label(wrap=True)
        layout.addWidget(self.heading)
        self.explanation = ExplanationView()
        self.explanation.careful.hide()  # the fast explanation is enough to see what drove a suggestion
        self.explanation.target_requested.connect(lambda label: self._explain(label))
        layout.addWidget(self.explanation, 1)
        fix_row = QHBoxLayout()
        fix_row.addWidget(QLabel("Fix to:"))
        self.fix_label = QComboBox()  # one label per text
        fix_row.addWidget(self.fix_label, 1)
        self.fix_boxes: list[QCheckBox] = []  # several labels per text
        self.fix_boxes_row = QHBoxLayout()
        fix_row.addLayout(self.fix_boxes_row)
        layout.addLayout(fix_row)
        buttons = QHBoxLayout()
        self.keep_button, self.fix_button, self.drop_button = (QPushButton(t) for t in ("Keep (K)", "Fix (F)",
                                                                                         "Drop (D)"))
        self.keep_button.setToolTip("The given label is right: leave the row as it is (key K).")
        self.fix_button.setToolTip("Give the row the label chosen above (key F).")
        self.drop_button.setToolTip("Leave the row out of the new file (key D).")
        for key, kind in (("K", KEEP), ("F", FIX), ("D", DROP)):
            QShortcut(QKeySequence(key), self, lambda kind=kind: self.decide(kind))
        self.keep_button.clicked.connect(lambda: self.decide(KEEP))
        self.fix_button.clicked.connect(lambda: self.decide(FIX))
        self.drop_button.clicked.connect(lambda: self.decide(DROP))
        self.undo_button = QPushButton("Undo")
        self.undo_button.setToolTip("Take back the last decision (Ctrl+Z).")
        self.undo_button.clicked.connect(self.undo)
        for button in (self.keep_button, self.fix_button, self.drop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        layout.addLayout(buttons)
        return side

    def _build_footer(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.saved = self._plain_label(wrap=True)
        self.save_button = QPushButton("Save as new file")
        self.save_button.setToolTip("Writes your file with these fixes, without the dropped rows, as a new file "
                                    "beside it (“…-reviewed.csv”). Your file is not changed.")
        self.save_button.clicked.connect(self.save_requested)
        self.use_button = QPushButton("Use this file")
        self.use_button.setToolTip("Open the new file as the dataset to train on.")
        self.use_button.clicked.connect(self.use_requested)
        self.use_button.hide()
        self.again_button = QPushButton("Review again")
        self.again_button.setToolTip("Review the dataset in use from the start (a large file: another sample). "
                                     "Decisions not saved are dropped.")
        self.again_button.clicked.connect(self.again_requested)
        self.again_button.hide()
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row.addWidget(self.saved, 1)
        row.addWidget(self.again_button)
        row.addWidget(self.save_button)
        row.addWidget(self.use_button)
        row.addWidget(close)
        return row

    # -- set by the controller ----------------------------------------------
    def start(self, what: str) -> None:
        """A review begins: what was shown goes."""
        self.show_review(None)
        self.show_message("")
        self.show_saved("")
        self.explanation.clear("")  # nothing to explain until the suspects are listed
        self.again_button.hide()
        self.status.setText(what)
        self.show_progress(0, 0, "Loading the base model…")

    def set_source(self, name: str) -> None:
        """The file the review on screen is of: in the title, so it is never mistaken for another."""
        self.setWindowTitle(f"Review labels — {name} — LoRA Studio" if name else "Review labels — LoRA Studio")

    def show_notice(self, line: str) -> None:
        self.notice.setText(line)
        self.notice.setVisible(bool(line))

    def show_progress(self, done: int | None, total: int = 0, what: str = "") -> None:
        """done None: no work running (the progress row hides)."""
        self.progress_row.setVisible(done is not None)
        if done is not None:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress_what.setText(what)
            self.cancel_button.setEnabled(True)

    def show_message(self, sentence: str, hint: str = "") -> None:
        self.message.setText(f"{sentence} {hint}".strip())
        self.message.setVisible(bool(sentence))

    def set_status(self, line: str) -> None:
        self.status.setText(line)

    def show_review(self, review) -> None:
        """The suspects, most suspicious first (None: none shown)."""
        suspects = review.suspects if review is not None else []
        self.decisions = ReviewDecisions(suspects)
        self.labels = tuple(review.labels) if review is not None else ()
        self.multi_label = bool(review is not None and review.multi_label)
        # what the explanations rest on: the review's models, measured by its folds (they have no saved score)
        self.trust = (f"The review's models agree with {review.agreement:.0%} of your labels." if review is not None
                      else "")
        self.again_button.setVisible(review is not None)
        self._fill_fix_choices()
        self.explanation.set_targets(list(self.labels) if self.multi_label else None)
        self.table.setRowCount(len(suspects))
        for i, s in enumerate(suspects):
            cells = (str(s.row + 1), " ".join(s.text.split()), joined(s.given), joined(s.suggested),
                     f"{s.score:.2f}", "")
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if column == 1:
                    item.setToolTip(s.text[:2000])
                if column in (0, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, column, item)
        self.save_button.setEnabled(bool(suspects))
        fm = self.table.fontMetrics()
        widest = max((fm.horizontalAdvance(joined((name,))) for name in self.labels), default=0)
        for column in (2, 3):  # the whole label, not "entertai…"
            self.table.setColumnWidth(column, max(72, min(220, widest + 24)))
        if suspects:
            self.table.selectRow(0)
        self._selection_changed()

    def show_explanation(self, at: int, explanation) -> None:
        """An explanation for suspect `at`: shown only while that row is still the one selected."""
        if at == self.current():
            self.explanation.show_explanation(explanation, self.trust)

    def explanation_failed(self, at: int, sentence: str) -> None:
        if at == self.current() and self.explanation.explanation is None:
            self.explanation.clear(f"No explanation: {sentence}")

    def show_saved(self, line: str, can_use: bool = False, unchanged: bool = True) -> None:
        """can_use: a file was just saved: Save waits for another decision (a second click would only write the
        same rows again, under another name), unless one was made while the file was written."""
        self.saved.setText(line)
        self.use_button.setVisible(can_use)
        if can_use and unchanged:
            self.save_button.setEnabled(False)

    def set_again_target(self, name: str) -> None:
        """The dataset in use is another file (`name`): the button says it reviews that one, not this."""
        self.again_button.setText(f"Review {name}" if name else "Review again")

    # -- read by the controller ---------------------------------------------
    def current(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def chosen_labels(self) -> tuple[str, ...]:
        if self.multi_label:
            return tuple(box.text() for box in self.fix_boxes if box.isChecked())
        return (self.fix_label.currentText(),) if self.fix_label.currentText() else ()

    # -- decisions ------------------------------------------------------------
    def decide(self, kind: str) -> None:
        at = self.current()
        if at is None:
            return
        self.decisions.decide(at, kind, self.chosen_labels() if kind == FIX else ())
        self._show_decision(at)
        self.changes += 1
        self.save_button.setEnabled(True)
        if at + 1 < self.table.rowCount():  # on to the next suspect
            self.table.selectRow(at + 1)
        self._update_buttons()

    def undo(self) -> None:
        at = self.decisions.undo()
        if at is not None:
            self._show_decision(at)
            self.changes += 1
            self.save_button.setEnabled(True)
            self.table.selectRow(at)
        self._update_buttons()

    def _show_decision(self, at: int) -> None:
        item = self.table.item(at, 5)
        if item is not None:
            item.setText(self.decisions.describe(at))

    def _fill_fix_choices(self) -> None:
        self.fix_label.clear()
        self.fix_label.addItems(list(self.labels))
        self.fix_label.setVisible(not self.multi_label)
        for box in self.fix_boxes:
            self.fix_boxes_row.removeWidget(box)
            box.deleteLater()
        self.fix_boxes = [QCheckBox(name) for name in self.labels] if self.multi_label else []
        for box in self.fix_boxes:
            self.fix_boxes_row.addWidget(box)

    def _selection_changed(self) -> None:
        at = self.current()
        suspect = self.decisions.suspects[at] if at is not None and at < len(self.decisions.suspects) else None
        if suspect is None:
            self.heading.setText("Choose a row to see its text and why another label is suggested."
                                 if self.decisions.suspects else "")
            self.explanation.clear()
        else:
            self.heading.setText(f"Row {suspect.row + 1}: labelled “{joined(suspect.given)}”, the models suggest "
                                 f"“{joined(suspect.suggested)}” (score {suspect.score:.2f}).")
            decided = self.decisions.decided.get(at)
            fix = decided.labels if decided is not None and decided.kind == FIX else suspect.suggested
            if self.multi_label:
                for box in self.fix_boxes:
                    box.setChecked(box.text() in fix)
            elif fix:
                self.fix_label.setCurrentText(fix[0])
            self.explanation.clear("Explaining…")
            target = (suspect.suggested or suspect.given or self.labels[:1] or ("",))[0]
            self._explain(target)
        self._update_buttons()

    def _explain(self, label: str) -> None:
        at = self.current()
        if at is not None and label:
            self.explain_requested.emit(at, label)

    def _update_buttons(self) -> None:
        chosen = self.current() is not None
        for button in (self.keep_button, self.fix_button, self.drop_button):
            button.setEnabled(chosen)
        self.undo_button.setEnabled(self.decisions.can_undo)
