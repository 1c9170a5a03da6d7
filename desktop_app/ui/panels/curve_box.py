""""Would more examples help?" on the Train results of a small-data run: a button, then progress and Cancel,
then the cross-validated score on 25/50/75/100% of the examples and the core's verdict. Emits intents only;
the window runs the job (ui/learning_curve.py)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QPushButton

from ...formatting import clock

INVITE = ("Scores the model again, by cross-validation, on 25, 50, 75 and 100% of your examples: a score still "
          "rising at 100% means more examples would likely help. Takes about four times as long as training.")


class CurveBox(QGroupBox):
    start_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__("Learning curve", parent)
        grid = QGridLayout(self)
        self.button = QPushButton("Would more examples help?")
        self.button.setToolTip(INVITE)
        self.button.clicked.connect(self.start_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancel_requested)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.note = QLabel(INVITE)
        self.note.setWordWrap(True)
        self.table = QLabel()  # the points, one column each
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(self.button, 0, 0)
        grid.addWidget(self.cancel, 0, 0)
        grid.addWidget(self.progress, 0, 1)
        grid.addWidget(self.note, 1, 0, 1, 2)
        grid.addWidget(self.table, 2, 0, 1, 2)
        grid.addWidget(self.verdict, 3, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        self.clear()

    def clear(self) -> None:
        """Hidden, no progress, no curve: a result of other data or another run is never left here."""
        self.setVisible(False)
        self._idle(INVITE)
        self.table.clear()
        self.table.setVisible(False)
        self.verdict.clear()
        self.verdict.setVisible(False)

    def _idle(self, note: str) -> None:
        self.button.setVisible(True)
        self.cancel.setVisible(False)
        self.progress.setVisible(False)
        self.note.setText(note)

    def offer(self) -> None:
        """After a small-data run: the button, and what it does."""
        self.clear()
        self.setVisible(True)

    def set_running(self) -> None:
        self.table.setVisible(False)
        self.verdict.setVisible(False)
        self.button.setVisible(False)
        self.cancel.setVisible(True)
        self.cancel.setEnabled(True)
        self.progress.setVisible(True)
        self.progress.setMaximum(0)  # busy until the first step (the model loads first)
        self.note.setText("Scoring 25, 50, 75 and 100% of your examples… (loading the model)")

    def set_progress(self, step: int, total: int, eta_s: float | None) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(step)
        self.note.setText(f"Scoring 25, 50, 75 and 100% of your examples… step {step:,} of {total:,} · "
                          f"remaining {clock(eta_s)}")

    def set_stopping(self) -> None:
        self.cancel.setEnabled(False)
        self.note.setText("Stopping…")

    def show_stopped(self, text: str = "Stopped: no curve was made. Press the button to start again.") -> None:
        self._idle(text)

    def show_curve(self, rows: list[int], scores: list[str], metric: str, verdict: str) -> None:
        """`scores`: each point's "mean ± spread", formatted by the caller as the headline's are."""
        self._idle("Cross-validated " + metric + " on a share of your examples (mean ± spread over the folds):")
        cells = "".join(f"<td align='right'>&nbsp;&nbsp;{n:,}&nbsp;</td>" for n in rows)
        values = "".join(f"<td align='right'>&nbsp;&nbsp;<b>{escape(s)}</b>&nbsp;</td>" for s in scores)
        self.table.setText(f"<table><tr><td>Examples</td>{cells}</tr><tr><td>{escape(metric.capitalize())}</td>"
                           f"{values}</tr></table>")
        self.table.setVisible(True)
        self.verdict.setText(verdict)
        self.verdict.setVisible(True)
