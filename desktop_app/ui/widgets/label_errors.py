"""Multi-label: each label's errors, "missed N" and "wrongly added M", in place of a confusion matrix (labels
are not exclusive, so there is no "predicted instead"). Clicking a count asks for those mistakes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

MISSED, ADDED = "missed", "added"
KINDS = (MISSED, ADDED)
COLORS = {MISSED: "#dc2626", ADDED: "#ea580c"}


def error_words(kind: str, n: int) -> str:
    return f"missed {n:,}" if kind == MISSED else f"wrongly added {n:,}"


class LabelErrorsView(QTableWidget):
    chosen = Signal(str, str)  # label, MISSED or ADDED

    def __init__(self, parent=None) -> None:
        super().__init__(0, 2, parent)
        self.labels: list[str] = []
        self.counts: dict[tuple[str, str], int] = {}
        self.setHorizontalHeaderLabels(["Missed", "Wrongly added"])
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setToolTip("Per label: validation texts that have it but did not get it (missed), and texts that "
                        "got it without having it (wrongly added). Click a count to list those texts.")
        self.cellClicked.connect(self._clicked)

    def set_errors(self, errors, supports: dict[str, int] | None = None) -> None:
        """`errors`: evaluation.LabelErrors per label; `supports`: the texts that have each label (shading)."""
        self.labels = [e.label for e in errors]
        self.counts = {(e.label, kind): getattr(e, kind) for e in errors for kind in KINDS}
        self.clearContents()
        self.setRowCount(len(errors))
        self.setVerticalHeaderLabels(self.labels)
        worst = max([n for n in self.counts.values()] + [1])
        for r, e in enumerate(errors):
            for c, kind in enumerate(KINDS):
                n = getattr(e, kind)
                item = QTableWidgetItem(error_words(kind, n))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                color = QColor(COLORS[kind])
                color.setAlpha(int(30 + 150 * n / worst) if n else 0)
                item.setBackground(color)
                has = f" of {supports[e.label]:,} texts that have it" if supports and kind == MISSED else ""
                item.setToolTip(f"“{e.label}”: {error_words(kind, n)}{has}. Click to list them.")
                self.setItem(r, c, item)

    def count(self, label: str, kind: str) -> int | None:
        return self.counts.get((label, kind))

    def clear_highlight(self) -> None:
        self.clearSelection()
        self.setCurrentCell(-1, -1)

    def _clicked(self, row: int, column: int) -> None:
        if 0 <= row < len(self.labels) and 0 <= column < len(KINDS):
            self.chosen.emit(self.labels[row], KINDS[column])
