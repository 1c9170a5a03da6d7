"""The window's keyboard: Ctrl+Enter presses the shown page's primary button, Esc stops a running training as the
Stop button does, and big tables are one Tab stop (Tab walked through the preview's 600 cells and never reached
Next). Every primary button gets a name for screen readers (the "›" of "Next: Configure ›" read aloud is noise)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QStackedWidget, QWidget


def install(window: QWidget, pages: QStackedWidget, primaries: list[list[QAbstractButton]],
            stop: QAbstractButton) -> list[QShortcut]:
    """`primaries[i]`: page i's primary buttons, first choice first (Ctrl+Enter presses the first that is shown
    and enabled); `stop`: the Stop button, pressed by Esc while it is shown (the Train page) and enabled. A
    stray Esc elsewhere in the window never ends a run."""
    made = []
    for keys in ("Ctrl+Return", "Ctrl+Enter"):  # the main Enter key and the keypad's
        shortcut = QShortcut(QKeySequence(keys), window)
        shortcut.activated.connect(lambda: press_first(primaries[pages.currentIndex()]))
        made.append(shortcut)
    escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    escape.activated.connect(lambda: press_first([stop]))
    made.append(escape)
    for buttons in primaries:
        for button in buttons:
            name_for_readers(button)
    name_for_readers(stop)
    one_tab_stop(pages)
    return made


def press_first(buttons: list[QAbstractButton]) -> bool:
    for button in buttons:
        if button.isVisible() and button.isEnabled():
            button.click()
            return True
    return False


def name_for_readers(button: QAbstractButton) -> None:
    """The button's words without "›", "…" or an "&" mnemonic, unless it was given a name already."""
    if not button.accessibleName():
        button.setAccessibleName(button.text().replace("&", "").strip(" ›…").strip())


def one_tab_stop(root: QWidget) -> None:
    """Tab leaves a table or list instead of moving from cell to cell; the arrow keys still move inside."""
    for view in root.findChildren(QAbstractItemView):
        view.setTabKeyNavigation(False)


def install_for_steps(window: QWidget, pages: QStackedWidget, next_buttons: list[QAbstractButton],
                      start: QAbstractButton, classify: QAbstractButton, stop: QAbstractButton) -> list[QShortcut]:
    """The four steps: Dataset and Configure press their Next (Configure's starts training); Train presses Next:
    Predict once a trained model is ready (a finished run goes on, never starts a second multi-minute run), else
    Start training; Predict presses Classify."""
    dataset, configure, train = next_buttons[:3]
    return install(window, pages, [[dataset], [configure], [train, start], [classify]], stop)
