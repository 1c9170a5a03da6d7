""""Would more examples help?" on the Train results of a small-data run: a button, then progress and Cancel,
then the cross-validated score on 25/50/75/100% of the examples and the core's verdict. Emits intents only;
the window runs the job (ui/learning_curve.py). Compact on purpose: it sits above the per-class table and the
confusion matrix, which need the height on a 1000x650 window."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ...formatting import clock

INVITE = "Cross-validates on 25–100% of your examples: about 4× the training time."
WHY = ("A score still rising from 75% to 100% of the examples means more examples would likely help; a flat one "
       "that they would help little (check the labels instead).")


class _Wrapped(QLabel):
    """A word-wrapped label whose minimum height is the height its text needs at its width: the page is sized
    by minimums (flow.py), which ignore a wrapped label's height-for-width, and words then overlapped."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        need = self.heightForWidth(self.width())
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)


class CurveBox(QWidget):
    start_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self.controls = QWidget()
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(0, 0, 0, 0)
        self.button = QPushButton("Would more examples help?")
        self.button.setToolTip(f"Scores 25, 50, 75 and 100% of your examples by cross-validation, with the "
                               f"settings this run used. {WHY}")
        self.button.clicked.connect(self.start_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_requested)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.progress.setMaximumWidth(220)
        self.note = QLabel(INVITE)  # one line: it never wraps, and is cut rather than widen the page
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.button)
        row.addWidget(self.cancel)
        row.addWidget(self.progress)
        row.addWidget(self.note, 1)
        column.addWidget(self.controls)
        self.answer = QWidget()  # the curve: the points, and the verdict beside them
        answer = QHBoxLayout(self.answer)
        answer.setContentsMargins(0, 0, 0, 0)
        self.table = QLabel()
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setToolTip("Each share's cross-validated score: mean ± spread over the folds.")
        self.verdict = _Wrapped()
        answer.addWidget(self.table)
        answer.addSpacing(12)
        answer.addWidget(self.verdict, 1)
        column.addWidget(self.answer)
        self.clear()

    def clear(self) -> None:
        """Hidden, no progress, no curve: a result of other data or another run is never left here."""
        self.setVisible(False)
        self._idle(INVITE)
        self.table.clear()
        self.verdict.clear()

    def _idle(self, note: str) -> None:
        self.controls.setVisible(True)
        self.answer.setVisible(False)
        self.button.setVisible(True)
        self.cancel.setVisible(False)
        self.progress.setVisible(False)
        self.note.setText(note)

    def offer(self) -> None:
        """After a small-data run: the button, and what it does."""
        self.clear()
        self.setVisible(True)

    def set_running(self) -> None:
        self.answer.setVisible(False)
        self.button.setVisible(False)
        self.cancel.setVisible(True)
        self.cancel.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setMaximum(0)  # busy until the first step (the model loads first)
        self.note.setText("Loading the model…")

    def set_progress(self, step: int, total: int, eta_s: float | None) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(step)
        self.note.setText(f"Scoring 25, 50, 75 and 100% of your examples · {clock(eta_s)} left")

    def set_stopping(self) -> None:
        self.cancel.setEnabled(False)
        self.note.setText("Stopping…")

    def show_stopped(self, text: str = "Stopped: no curve was made.") -> None:
        self._idle(text)

    def show_curve(self, rows: list[int], scores: list[str], metric: str, verdict: str) -> None:
        """`scores`: each point's "mean ± spread", formatted by the caller as the headline's are."""
        cells = "".join(f"<td align='right'>&nbsp;&nbsp;{n:,}&nbsp;</td>" for n in rows)
        values = "".join(f"<td align='right'>&nbsp;&nbsp;<b>{escape(s)}</b>&nbsp;</td>" for s in scores)
        self.table.setText(f"<table cellspacing='0'><tr><td>Examples</td>{cells}</tr><tr><td>"
                           f"{escape(metric[:1].upper() + metric[1:])}</td>{values}</tr></table>")
        self.verdict.setText(verdict)
        self.controls.setVisible(False)  # seeded: the same data and settings give the same curve again
        self.answer.setVisible(True)
