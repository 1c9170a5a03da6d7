"""The window on the screen it opens on. A remembered size can be larger than the screen now: saved on a bigger
monitor, or at another scale factor (1200×780 saved at 100 % is 1800×1170 pixels at 150 %, and the Next button
fell off a 1600×1000 screen). Qt's restoreGeometry does not always cut it down, so it is cut here."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# before the window is shown its frame is unknown: room for a title bar and borders
FRAME_ALLOWANCE = (16, 40)


def fit_to_screen(window: QWidget) -> None:
    """Shrink `window` to its screen's available area (less its frame) and move it fully onto that area."""
    if window.isMaximized() or window.isFullScreen():
        return  # the window system sizes it to the screen
    center = window.geometry().center()
    screen = QGuiApplication.screenAt(center) or window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    frame, inner = window.frameGeometry(), window.geometry()
    known = frame != inner  # shown: the window system told us its frame
    extra_w = frame.width() - inner.width() if known else FRAME_ALLOWANCE[0]
    extra_h = frame.height() - inner.height() if known else FRAME_ALLOWANCE[1]
    minimum = window.minimumSize()
    width = max(min(window.width(), area.width() - extra_w), minimum.width())
    height = max(min(window.height(), area.height() - extra_h), minimum.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    outer = QRect(window.frameGeometry().topLeft(), QSize(width + extra_w, height + extra_h))
    x = min(max(outer.left(), area.left()), max(area.left(), area.right() + 1 - outer.width()))
    y = min(max(outer.top(), area.top()), max(area.top(), area.bottom() + 1 - outer.height()))
    if (x, y) != (outer.left(), outer.top()):
        window.move(x, y)



def show_in_front(window: QWidget) -> None:
    """A tool window (Review labels, Label texts) shown, on its screen, and in front: asked for again while open,
    it comes forward instead of staying hidden behind the main window."""
    if not window.isVisible():  # a window shown comes up in front by itself
        fit_to_screen(window)
        window.show()
        return
    window.raise_()
    window.activateWindow()
