"""The line chart's ticks under each point (the Label texts curve)."""

from __future__ import annotations


def test_point_ticks_sit_under_their_points_and_never_overlap(qtbot):
    """The labelling curve: a tick under each retrain's point while they fit; when they crowd (a retrain every 10
    labels up to 300) some are left out, never drawn under another point or off the widget."""
    from desktop_app.ui.widgets.charts import LineChart

    chart = LineChart("score", "labels", (0.0, 1.0), point_ticks=True)
    qtbot.addWidget(chart)
    chart.resize(400, 200)
    fm = chart.fontMetrics()
    for xs in ([10.0, 20.0, 30.0], [float(x) for x in range(10, 310, 10)]):
        x0, x1, left_px, width_px = xs[0], xs[-1], 48.0, 340.0

        def to_px(x, y, x0=x0, x1=x1):
            from PySide6.QtCore import QPointF
            return QPointF(left_px + (x - x0) / (x1 - x0) * width_px, 0)

        places = chart.point_tick_places(xs, fm, to_px)
        assert places and places[0][2] == f"{x1:g} labels"  # the last point's tick names the unit
        for left, width, text in places[1:]:
            x = float(text)
            assert abs(left + width / 2 - to_px(x, 0).x()) < 0.5  # centred under its own point
        spans = sorted((left, left + width) for left, width, _ in places)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))  # no two overlap
        assert spans[0][0] >= 0 and spans[-1][1] <= 400
        if len(xs) == 3:
            assert len(places) == 3
        else:
            assert 3 <= len(places) < len(xs)
