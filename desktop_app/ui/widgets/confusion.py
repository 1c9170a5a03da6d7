"""A confusion matrix as a colour-scaled table; clicking a cell asks for the matching examples."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem


class ConfusionMatrixView(QTableWidget):
    cell_chosen = Signal(str, str)  # true label, predicted label

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.counts: list[list[int]] = []
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setToolTip("Rows: true label. Columns: predicted label. Click a cell to see those examples.")
        self.cellClicked.connect(self._clicked)

    def set_matrix(self, labels: list[str], matrix: list[list[int]]) -> None:
        self.labels, self.counts = list(labels), [list(row) for row in matrix]
        self.clear()
        self.setRowCount(len(labels))
        self.updateGeometry()  # its minimum height follows the rows
        self.setColumnCount(len(labels))
        self.setHorizontalHeaderLabels([f"→ {x}" for x in labels])
        self.setVerticalHeaderLabels(labels)
        for r, row in enumerate(matrix):
            total = max(1, sum(row))
            for c, count in enumerate(row):
                share = count / total
                item = QTableWidgetItem(f"{count}\n{share:.0%}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                base = QColor("#16a34a") if r == c else QColor("#dc2626")
                base.setAlpha(int(30 + 190 * share) if count else 0)
                item.setBackground(base)
                if share > 0.55:
                    item.setForeground(QColor("white"))
                item.setToolTip(f"{count} examples labelled “{labels[r]}” were predicted “{labels[c]}”")
                self.setItem(r, c, item)

    def minimumSizeHint(self):  # noqa: N802 - Qt's name
        """Tall enough for both lines of up to 5 rows ("18…" said nothing on a short window); more rows scroll."""
        hint = super().minimumSizeHint()
        rows = min(5, self.rowCount())
        cell = 2 * self.fontMetrics().lineSpacing() + 6
        height = self.horizontalHeader().sizeHint().height() + rows * cell + 2 * self.frameWidth()
        return hint.expandedTo(QSize(hint.width(), height))

    def count(self, true_label: str, predicted: str) -> int | None:
        """The number in the cell (None for labels the matrix lacks)."""
        try:
            return self.counts[self.labels.index(true_label)][self.labels.index(predicted)]
        except (ValueError, IndexError):
            return None

    def clear_highlight(self) -> None:
        self.clearSelection()
        self.setCurrentCell(-1, -1)

    def _clicked(self, row: int, column: int) -> None:
        if 0 <= row < len(self.labels) and 0 <= column < len(self.labels):
            self.cell_chosen.emit(self.labels[row], self.labels[column])
