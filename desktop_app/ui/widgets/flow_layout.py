"""A row of widgets that wraps onto more rows when the width runs out (Qt's flow layout example), so a narrow
window shows every button instead of cutting the last ones off.

Its minimum height follows the width it was last given: the pages sit in scroll areas sized by their minimum size
(flow.py), which ignore a height-for-width, so the extra rows are made part of the minimum instead."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QWidgetItem


class FlowLayout(QLayout):
    def __init__(self, parent=None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items = []
        self._gap = spacing
        self._width: int | None = None  # the width of the last setGeometry
        self.setContentsMargins(0, 0, 0, 0)

    # -- QLayout's interface ------------------------------------------------
    def addItem(self, item) -> None:  # noqa: N802 - Qt's names
        self._items.append(item)

    def insertWidget(self, index: int, widget, stretch: int = 0) -> None:  # noqa: N802 - as QBoxLayout's
        self.addChildWidget(widget)
        self._items.insert(index if index >= 0 else len(self._items), QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def sizeHint(self) -> QSize:  # noqa: N802 - everything on one row
        shown = self._shown()
        m = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in shown) + self._gap * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 - one item a row at the narrowest; as many rows as the width needs
        m = self.contentsMargins()
        width = max((i.minimumSize().width() for i in self._shown()), default=0) + m.left() + m.right()
        height = self.heightForWidth(self._width) if self._width else self.sizeHint().height()
        return QSize(width, height)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        before = self.minimumSize().height()
        self._arrange(rect, move=True)
        if rect.width() != self._width:
            self._width = rect.width()
            if self.minimumSize().height() != before:  # more or fewer rows: the page around makes room
                self.invalidate()

    # -- placing ----------------------------------------------------------
    def _shown(self) -> list:
        return [item for item in self._items if not item.isEmpty()]

    def _arrange(self, rect: QRect, move: bool) -> int:
        """Place the items row by row (if `move`); the height they take."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        rows, row, row_width = [], [], 0
        for item in self._shown():
            width = min(item.sizeHint().width(), area.width())  # a long label wraps within the row
            width = max(width, min(item.minimumSize().width(), area.width()))
            if row and row_width + self._gap + width > area.width():
                rows.append(row)
                row, row_width = [], 0
            row_width += (self._gap if row else 0) + width
            height = item.heightForWidth(width) if item.hasHeightForWidth() else item.sizeHint().height()
            row.append((item, width, max(height, item.minimumSize().height())))
        if row:
            rows.append(row)
        y = area.top()
        for row in rows:
            row_height = max(h for _, _, h in row)
            x = area.left()
            for item, width, height in row:
                if move:  # each centred in its row's height
                    item.setGeometry(QRect(QPoint(x, y + (row_height - height) // 2), QSize(width, height)))
                x += width + self._gap
            y += row_height + self._gap
        used = y - area.top() - (self._gap if rows else 0)
        return used + m.top() + m.bottom()
