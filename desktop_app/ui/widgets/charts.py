"""Small QPainter charts (no extra dependency): a live line chart and horizontal bars."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

EMPTY = "Drawn while training runs."
PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"]


class LineChart(QWidget):
    """Series of (x, y) points drawn as lines with dots, axes, a title and a legend."""

    def __init__(self, title: str, x_label: str = "", y_range: tuple[float, float] | None = None, parent=None,
                 point_ticks: bool = False):
        """point_ticks: an x tick under every point (a few, spaced unevenly: labels given), the last one carrying
        the x label ("30 labels"); else the two ends, with the x label between them (epochs, steps)."""
        super().__init__(parent)
        self.title, self.x_label, self.y_range, self.point_ticks = title, x_label, y_range, point_ticks
        self.series: dict[str, list[tuple[float, float]]] = {}
        self.kept_x: float | None = None  # the x whose values the legend shows (the kept epoch); None: the last
        self.kept_values: dict[str, float] = {}  # series -> the kept model's own number, once a result gives it
        self.placeholder = EMPTY  # said while there is nothing to draw
        self.setMinimumSize(260, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 240)

    def add_point(self, name: str, x: float, y: float | None) -> None:
        if y is None:
            return
        self.series.setdefault(name, []).append((float(x), float(y)))
        self.update()

    def clear(self) -> None:
        self.series.clear()
        self.kept_x, self.kept_values = None, {}
        self.placeholder = EMPTY
        self.update()

    def set_placeholder(self, text: str) -> None:
        """What the empty chart says (a run that draws nothing here says why); clear() restores the default."""
        self.placeholder = text
        self.update()

    def set_kept(self, x: float | None, values: dict[str, float] | None = None) -> None:
        """The kept x; `values` (series -> number): the kept model's record, which the legend then shows
        instead of the points drawn while training (the two agree; the record is what was saved)."""
        self.kept_x = None if x is None else float(x)
        self.kept_values = dict(values or {}) if x is not None else {}
        self.update()

    def legend(self) -> list[str]:
        """One label per series: the kept model's value (its record, else its point at the kept x), marked;
        else its last value."""
        labels = []
        for name, pts in self.series.items():
            at = [y for x, y in pts if self.kept_x is not None and abs(x - self.kept_x) < 1e-9]
            value = self.kept_values.get(name, at[-1] if at else pts[-1][1])
            labels.append(f"{name}: {value:.3f}")
        if self.kept_x is not None and labels:
            labels[-1] += f"  (kept: {self.x_label} {self.kept_x:g})"
        return labels

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        text_color = pal.text().color()
        grid = QColor(text_color)
        grid.setAlpha(40)
        font = QFont(self.font())
        font.setBold(True)
        p.setFont(font)
        p.setPen(text_color)
        p.drawText(QRectF(0, 4, self.width(), 20), Qt.AlignmentFlag.AlignHCenter, self.title)
        p.setFont(self.font())
        entries = self._legend_rows(p.fontMetrics())
        extra = 20 * (max(1, len({row for row, _, _ in entries})) - 1)  # a legend too wide wraps onto more rows
        plot = QRectF(48, 30, max(10, self.width() - 60), max(10, self.height() - 70 - extra))
        points = [pt for s in self.series.values() for pt in s]
        if not points:
            p.setPen(QColor(text_color.red(), text_color.green(), text_color.blue(), 140))
            p.drawText(plot.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self.placeholder)
            return
        xs, ys = [x for x, _ in points], [y for _, y in points]
        x0, x1 = min(xs), max(xs)
        if x1 - x0 < 1e-9:
            x0, x1 = x0 - 0.5, x1 + 0.5
        y0, y1 = self.y_range if self.y_range else (min(0.0, min(ys)), max(ys) * 1.08 if max(ys) > 0 else 1.0)
        if y1 - y0 < 1e-9:
            y1 = y0 + 1

        def to_px(x, y):
            return QPointF(plot.left() + (x - x0) / (x1 - x0) * plot.width(),
                           plot.bottom() - (y - y0) / (y1 - y0) * plot.height())

        for i in range(5):  # horizontal grid with y labels
            yv = y0 + (y1 - y0) * i / 4
            y_px = to_px(x0, yv).y()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(plot.left(), y_px), QPointF(plot.right(), y_px))
            p.setPen(text_color)
            p.drawText(QRectF(0, y_px - 8, plot.left() - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       f"{yv:.2f}")
        if self.point_ticks:
            self._draw_point_ticks(p, plot, sorted(set(xs)), to_px)
        else:
            below = QRectF(plot.left(), plot.bottom() + 2, plot.width(), 16)
            p.drawText(below, Qt.AlignmentFlag.AlignLeft, f"{x0:g}")
            p.drawText(below, Qt.AlignmentFlag.AlignRight, f"{x1:g}")
            p.drawText(below, Qt.AlignmentFlag.AlignHCenter, self.x_label)
        if self.kept_x is not None and x0 <= self.kept_x <= x1:
            kept_px = to_px(self.kept_x, y0).x()
            p.setPen(QPen(grid, 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(kept_px, plot.top()), QPointF(kept_px, plot.bottom()))
        rows = 1 + max((row for row, _, _ in entries), default=0)
        for idx, ((name, pts), label, (row, legend_x, width)) in enumerate(zip(self.series.items(), self.legend(),
                                                                               entries)):
            color = QColor(PALETTE[idx % len(PALETTE)])
            p.setPen(QPen(color, 2))
            path = QPainterPath(to_px(*pts[0]))
            for pt in pts[1:]:
                path.lineTo(to_px(*pt))
            p.drawPath(path)
            if len(pts) <= 40:
                p.setBrush(color)
                for pt in pts:
                    p.drawEllipse(to_px(*pt), 3, 3)
                p.setBrush(Qt.BrushStyle.NoBrush)
            y = self.height() - 20 * (rows - row)
            p.fillRect(QRectF(legend_x, y, 12, 12), color)
            p.setPen(text_color)
            p.drawText(QRectF(legend_x + 16, y - 4, width, 20), Qt.AlignmentFlag.AlignVCenter, label)

    def _draw_point_ticks(self, p: QPainter, plot: QRectF, xs: list[float], to_px) -> None:
        """A tick label centred under each x, from the last backwards, leaving out any that would overlap the one
        drawn after it; the last names the unit."""
        for left, width, text in self.point_tick_places(xs, p.fontMetrics(), to_px):
            p.drawText(QRectF(left, plot.bottom() + 2, width, 16), Qt.AlignmentFlag.AlignHCenter, text)

    def point_tick_places(self, xs: list[float], fm, to_px) -> list[tuple[float, float, str]]:
        """(left, width, text) of each tick drawn: centred under its point (the last one kept inside the widget),
        from the last backwards, any that would overlap the one after it left out."""
        places, right_edge = [], float(self.width())
        for i, x in enumerate(reversed(xs)):
            text = f"{x:g} {self.x_label}".strip() if i == 0 else f"{x:g}"
            width = fm.horizontalAdvance(text) + 4
            left = to_px(x, 0).x() - width / 2
            if i == 0:
                left = min(left, right_edge - width)
            if left < 0 or left + width > right_edge:
                continue
            places.append((left, width, text))
            right_edge = left - 6
        return places

    def _legend_rows(self, fm) -> list[tuple[int, float, float]]:
        """(row, x, width) of each legend entry: side by side, onto a new row when the next would not fit."""
        out, row, x = [], 0, 48.0
        for label in self.legend():
            width = fm.horizontalAdvance(label) + 28
            if x > 48 and x + width > self.width():
                row, x = row + 1, 48.0
            out.append((row, x, width))
            x += width
        return out


class BarList(QWidget):
    """Labelled horizontal bars: class counts, or a probability per class. `highlight`: the name drawn in
    colour (the others grey), or a set of names (a multi-label prediction's labels); `markers`: a value per
    name drawn as a tick across its bar (each label's threshold)."""

    def __init__(self, parent=None, maximum: float | None = None):
        super().__init__(parent)
        self.items: list[tuple[str, float, str]] = []
        self.maximum = maximum
        self.highlight: str | frozenset | None = None
        self.markers: dict[str, float] = {}
        self.row = 26  # px from one bar to the next (a long list of labels is drawn tighter)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_items(self, items: list[tuple[str, float, str]], highlight=None, markers: dict | None = None) -> None:
        if highlight is not None and not isinstance(highlight, str):
            highlight = frozenset(highlight)
        self.items, self.highlight, self.markers = items, highlight, dict(markers or {})
        self.setMinimumHeight(max(24, self.row * len(items) + 6))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, max(24, self.row * len(self.items) + 6))

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.items:
            return
        fm = p.fontMetrics()
        label_w = min(max(fm.horizontalAdvance(name) for name, _, _ in self.items) + 12, self.width() // 3)
        value_w = max(fm.horizontalAdvance(text) for _, _, text in self.items) + 12
        top = max(v for _, v, _ in self.items)
        scale = self.maximum or (top if top > 0 else 1)
        bar_w = max(10, self.width() - label_w - value_w)
        text_color = self.palette().text().color()
        for i, (name, value, text) in enumerate(self.items):
            y, line, bar = 3 + i * self.row, self.row - 4, self.row - 10
            p.setPen(text_color)
            elided = fm.elidedText(name, Qt.TextElideMode.ElideRight, label_w - 8)
            p.drawText(QRectF(0, y, label_w - 8, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       elided)
            track = QColor(text_color)
            track.setAlpha(25)
            p.fillRect(QRectF(label_w, y + 3, bar_w, bar), track)
            chosen = name == self.highlight or self.highlight is None or (
                isinstance(self.highlight, frozenset) and name in self.highlight)
            color = QColor(PALETTE[0] if chosen else "#94a3b8")
            p.fillRect(QRectF(label_w, y + 3, bar_w * max(0.0, min(1.0, value / scale)), bar), color)
            if name in self.markers:
                x = label_w + bar_w * max(0.0, min(1.0, self.markers[name] / scale))
                p.fillRect(QRectF(x - 1, y, 2, line), text_color)
            p.drawText(QRectF(label_w + bar_w + 6, y, value_w, line), Qt.AlignmentFlag.AlignVCenter, text)


class Histogram(QWidget):
    """A compact histogram with a marker line (token lengths vs the maximum length)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.values: list[int] = []
        self.marker: int | None = None
        self.setMinimumHeight(86)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_values(self, values: list[int], marker: int | None = None) -> None:
        self.values, self.marker = list(values), marker
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, 96)

    def geometry_of_parts(self) -> tuple[QRectF, list[QRectF], QRectF | None, float]:
        """Plot area, the bars, the "limit" label's box and the marker's x. The label sits in a strip
        above the bars, so no bar (however tall, e.g. long e-mails against a short limit) covers it."""
        top = max(self.values)
        upper = max(top, self.marker or 0)
        bins = 40
        width = max(1.0, upper / bins)
        counts = [0] * bins
        for v in self.values:
            counts[min(bins - 1, int(v / width))] += 1
        strip = 16 if self.marker else 0
        plot = QRectF(4, 4 + strip, self.width() - 8, self.height() - 22 - strip)
        most = max(counts) or 1
        bar_w = plot.width() / bins
        bars = [QRectF(plot.left() + i * bar_w, plot.bottom() - plot.height() * c / most, max(1.0, bar_w - 1),
                       plot.height() * c / most) for i, c in enumerate(counts)]
        if not self.marker:
            return plot, bars, None, 0.0
        x = plot.left() + plot.width() * min(1.0, self.marker / upper)
        label = QRectF(x + 4, 2, self.fontMetrics().horizontalAdvance(f"limit {self.marker}") + 4, strip)
        if label.right() > self.width():  # near the right edge: write it on the left of the line
            label.moveRight(x - 4)
        return plot, bars, label, x

    def paintEvent(self, _event) -> None:
        if not self.values:
            return
        p = QPainter(self)
        text_color = self.palette().text().color()
        plot, bars, label, x = self.geometry_of_parts()
        for bar in bars:
            p.fillRect(bar, QColor(PALETTE[0]))
        p.setPen(text_color)
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 16), Qt.AlignmentFlag.AlignLeft, "0")
        p.drawText(QRectF(plot.left(), plot.bottom() + 2, plot.width(), 16), Qt.AlignmentFlag.AlignRight,
                   f"{max(max(self.values), self.marker or 0)} tokens")
        if label is not None:
            p.setPen(QPen(QColor(PALETTE[1]), 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, label.top()), QPointF(x, plot.bottom()))
            p.setPen(text_color)
            p.drawText(label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"limit {self.marker}")
