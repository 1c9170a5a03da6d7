"""Spin boxes and combo boxes that ignore the mouse wheel unless they have focus.

Scrolling the Configure page with the wheel changed whichever field passed under the pointer (Early stopping,
silently). Unfocused, the wheel event is ignored and goes on to the scroll area, which scrolls the page;
a click or Tab focuses the field, and then the wheel changes it as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt


class _WheelGuard(QObject):
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
            event.ignore()  # not handled here: Qt passes it on to the parent (the scroll area)
            return True
        return False


def ignore_wheel_unless_focused(*widgets) -> None:
    for widget in widgets:
        guard = _WheelGuard(widget)  # parented: lives and dies with the widget
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel does not take focus either
        widget.installEventFilter(guard)
