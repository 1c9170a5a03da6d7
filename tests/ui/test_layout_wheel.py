"""Issue 22, item 3: the mouse wheel over a field that has no focus scrolls the page and leaves the value alone
(rolling through Advanced settings changed Early stopping from 2 to off, silently). Real QWheelEvents, sent as
QApplication.sendEvent sends them."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox

from desktop_app.ui.flow import StepPage
from desktop_app.ui.panels.config_panel import ConfigPanel
from desktop_app.ui.panels.dataset_panel import DatasetPanel
from desktop_app.ui.panels.inference_panel import InferencePanel


def _wheel(widget, notches=-1) -> None:
    """One notch down (negative) or up over the middle of `widget`."""
    local = QPointF(widget.rect().center())
    event = QWheelEvent(local, QPointF(widget.mapToGlobal(local.toPoint())), QPoint(0, 0), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def _scroll_positions(widget) -> list[int]:
    """The vertical scroll position of every scroll area around `widget`."""
    found, parent = [], widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            found.append(parent.verticalScrollBar().value())
        parent = parent.parentWidget()
    return found


def test_the_wheel_over_early_stopping_scrolls_advanced_settings_and_keeps_the_value(qtbot):
    panel = ConfigPanel()
    page = StepPage(panel, "Start training ›")  # as in the window: the page's own scroll area around it
    qtbot.addWidget(page)
    page.resize(760, 420)
    page.show()
    qtbot.waitExposed(page)
    panel.set_advanced(True)
    panel.patience.setValue(2)
    qtbot.wait(20)  # the layout settles: the page now scrolls
    before = _scroll_positions(panel.patience)
    assert not panel.patience.hasFocus()
    _wheel(panel.patience)
    assert panel.patience.value() == 2
    assert sum(_scroll_positions(panel.patience)) > sum(before)  # the page moved down instead


def test_the_nearest_scroll_area_at_its_end_lets_the_next_one_out_scroll(qtbot):
    panel = ConfigPanel()
    page = StepPage(panel, "Start training ›")
    qtbot.addWidget(page)
    page.resize(760, 420)
    page.show()
    qtbot.waitExposed(page)
    panel.set_advanced(True)
    qtbot.wait(20)
    inner = next(p for p in _ancestors(panel.patience) if isinstance(p, QAbstractScrollArea))
    bar = inner.verticalScrollBar()
    bar.setValue(bar.maximum())
    value = panel.patience.value()
    _wheel(panel.patience, notches=1)  # up: the inner area can scroll back
    assert bar.value() < bar.maximum() and panel.patience.value() == value


def _ancestors(widget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def _fields(panel):
    return [*panel.findChildren(QAbstractSpinBox), *panel.findChildren(QComboBox)]


def test_no_unfocused_field_of_any_page_changes_with_the_wheel(qtbot):
    for panel in (DatasetPanel(), ConfigPanel(), InferencePanel()):
        qtbot.addWidget(panel)
        panel.resize(900, 700)
        panel.show()
        fields = _fields(panel)
        assert fields
        for field in fields:
            field.setEnabled(True)
            if isinstance(field, QComboBox):
                if field.count() < 3:
                    field.addItems(["a", "b", "c"])
                field.setCurrentIndex(1)
            else:
                field.setValue((field.minimum() + field.maximum()) / 2)
        before = [f.currentIndex() if isinstance(f, QComboBox) else f.value() for f in fields]
        for field in fields:
            _wheel(field)
            _wheel(field, notches=1)
            _wheel(field, notches=1)
        after = [f.currentIndex() if isinstance(f, QComboBox) else f.value() for f in fields]
        changed = [f.objectName() or type(f).__name__ for f, a, b in zip(fields, after, before) if a != b]
        assert not changed, f"{type(panel).__name__}: the wheel changed {changed}"


def test_a_focused_field_still_takes_the_wheel(qtbot):
    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_advanced(True)
    panel.patience.setValue(2)
    panel.activateWindow()
    panel.patience.setFocus()
    qtbot.waitUntil(panel.patience.hasFocus, timeout=2000)
    _wheel(panel.patience, notches=1)
    assert panel.patience.value() == 3
