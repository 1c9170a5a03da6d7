"""Spin boxes and combo boxes that ignore the mouse wheel unless they have focus.

Scrolling the Configure page with the wheel changed whichever field passed under the pointer (Early stopping,
silently). Unfocused, the field keeps its value and the wheel scrolls the page instead; a click or Tab focuses
the field, and then the wheel changes it as usual.

The event is handed to the enclosing scroll area explicitly rather than ignored: Qt passes an ignored wheel
event on to the parent only when it came from the window system, so an ignored synthesized one (a test, a
touchpad driver's) scrolled nothing; and the nearest area may be at its end, then the next one out scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget


class _WheelGuard(QObject):
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.Type.Wheel or watched.hasFocus():
            return False
        scroll_outward(watched, event)
        event.accept()  # handled (scrolled or not): Qt must not pass it on and scroll a second time
        return True  # the field never sees it, so its value stays


def scroll_outward(widget: QWidget, event: QWheelEvent) -> bool:
    """Offer the wheel event to each scroll area around `widget`, nearest first, until one scrolls."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            viewport = parent.viewport()
            copy = QWheelEvent(viewport.mapFromGlobal(event.globalPosition()), event.globalPosition(),
                               event.pixelDelta(), event.angleDelta(), event.buttons(), event.modifiers(),
                               event.phase(), event.inverted())
            copy.setAccepted(False)
            QApplication.sendEvent(viewport, copy)
            if copy.isAccepted():  # a scroll bar moved
                return True
        parent = parent.parentWidget()
    return False


def ignore_wheel_unless_focused(*widgets) -> None:
    for widget in widgets:
        guard = _WheelGuard(widget)  # parented: lives and dies with the widget
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel does not take focus either
        widget.installEventFilter(guard)


def guard_fields(root: QWidget) -> None:
    """Every spin box and combo box under `root` (call it once the page is built)."""
    ignore_wheel_unless_focused(*root.findChildren(QAbstractSpinBox), *root.findChildren(QComboBox))
