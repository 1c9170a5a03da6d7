"""A read-only, virtualised table model over a pandas DataFrame (only visible cells are ever read)."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

MAX_CELL_CHARS = 300  # a preview cell; the tooltip shows more


class FrameModel(QAbstractTableModel):
    def __init__(self, frame: pd.DataFrame | None = None, parent=None) -> None:
        super().__init__(parent)
        frame = frame if frame is not None else pd.DataFrame()
        self._columns = [str(c) for c in frame.columns]
        self._values = frame.to_numpy(dtype=object, copy=False) if len(frame.columns) else None

    def set_frame(self, frame: pd.DataFrame | None) -> None:
        """Show `frame`; None shows nothing."""
        self.beginResetModel()
        self._columns = [] if frame is None else [str(c) for c in frame.columns]
        self._values = frame.to_numpy(dtype=object, copy=False) if frame is not None and len(frame.columns) else None
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self._values is None else self._values.shape[0]

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._values is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._values[index.row(), index.column()]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                return "" if role == Qt.ItemDataRole.DisplayRole else None
            text = f"{value:.4f}" if isinstance(value, float) else str(value)
            if role == Qt.ItemDataRole.ToolTipRole:
                return text[:2000] if len(text) > MAX_CELL_CHARS else None
            text = text.replace("\r", " ").replace("\n", " ⏎ ")
            return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section] if 0 <= section < len(self._columns) else None
        return str(section + 1)


def fit_columns(view, widest: int) -> None:
    """Size columns to their content (first rows only), so short columns such as labels stay visible
    next to a long text column, which gets what is left of the view."""
    model = view.model()
    n = model.columnCount()
    if not n:
        return
    fm = view.fontMetrics()
    rows = min(model.rowCount(), 200)
    widths = []
    for col in range(n):
        texts = [str(model.headerData(col, Qt.Orientation.Horizontal))] + \
                [str(model.data(model.index(r, col)) or "") for r in range(rows)]
        widths.append(min(widest, max(fm.horizontalAdvance(t) for t in texts) + 24))
    available = view.viewport().width() or view.width()
    longest = max(range(n), key=lambda c: widths[c])
    others = sum(widths) - widths[longest]
    if sum(widths) > available and available - others > 120:
        widths[longest] = available - others
    for col, width in enumerate(widths):
        view.setColumnWidth(col, width)


def columns_first(view, columns: list[str], chosen: list[str | None]) -> None:
    """Show the chosen columns first, in that order, the others in the table's order (a visual move; the data
    is untouched). Earlier moves are undone first: a header keeps them across a new table of as many columns."""
    header = view.horizontalHeader()
    for logical in range(header.count()):
        header.moveSection(header.visualIndex(logical), logical)
    for visual, name in enumerate(c for c in chosen if c in columns):
        header.moveSection(header.visualIndex(columns.index(name)), visual)
