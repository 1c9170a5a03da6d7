"""Issue 22, item 3: the keyboard path. Tab leaves the preview table in one stop and reaches Next; Ctrl+Enter
presses the shown page's primary button; Esc stops a running training as Stop does; primary buttons have names
a screen reader can say."""

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from desktop_app.ui import jobs


@pytest.fixture
def bare_window(qtbot, settings, tmp_path, monkeypatch):
    """The window without the heavy warm-up (no torch import): keyboard tests need none of it."""
    from desktop_app.ui.main_window import MainWindow

    monkeypatch.setattr(jobs, "warm_up_job", lambda: (lambda emit, cancel: {"devices": [], "cached": []}))
    win = MainWindow(settings=settings, runs_dir=tmp_path / "runs")
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: win.warmed_up, timeout=10000)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=5000)
    yield win
    for r in win.runners:
        r.shutdown()


def _preview(win):
    """A 200-row, 3-column table in the Dataset page's preview (600 cells), its Next enabled."""
    from desktop_app.core.data.tables import Table
    from desktop_app.core.data.dataset import build_report

    frame = pd.DataFrame({"text": [f"text number {i}" for i in range(200)], "label": ["a", "b"] * 100,
                          "note": ["x"] * 200})
    table = Table(frame, "rows.csv", "csv")
    win.dataset.set_table(table, build_report(table, "text", "label")[0])
    win.step_pages[0].set_ready(True)


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(QApplication.focusWidget() or QApplication.activeWindow(), key, modifier)


def test_tab_leaves_the_preview_table_in_one_stop_and_reaches_next(qtbot, bare_window):
    win = bare_window
    _preview(win)
    table = win.dataset.table
    table.setFocus()
    qtbot.waitUntil(table.hasFocus, timeout=2000)
    _key(qtbot, Qt.Key.Key_Tab)
    assert not table.hasFocus(), "Tab moved to the next cell instead of leaving the table"
    seen = []
    for _ in range(40):
        seen.append(QApplication.focusWidget())
        if seen[-1] is win.step_pages[0].next_button:
            break
        _key(qtbot, Qt.Key.Key_Tab)
    assert seen[-1] is win.step_pages[0].next_button, [type(w).__name__ for w in seen]
    assert not any(w is win.steps for w in seen)  # Next comes before the sidebar, not only by Shift+Tab


def test_no_table_or_list_of_any_page_takes_tab_for_its_cells(bare_window):
    views = bare_window.pages.findChildren(QAbstractItemView)
    assert views and not [type(v).__name__ for v in views if v.tabKeyNavigation()]


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Enter])
def test_ctrl_enter_presses_the_shown_pages_primary_button(qtbot, bare_window, monkeypatch, key):
    win = bare_window
    started = []
    monkeypatch.setattr(win, "start_training", lambda: started.append(True))
    _preview(win)
    pressed = []
    for page, button in enumerate([win.step_pages[0].next_button, win.step_pages[1].next_button,
                                   win.training.start_button, win.inference.run_batch]):
        button.setEnabled(True)
        button.clicked.connect(lambda _=False, p=page: pressed.append(p))
    for page in range(4):
        win.steps.setCurrentRow(page)
        win.pages.currentWidget().setFocus()
        _key(qtbot, key, Qt.KeyboardModifier.ControlModifier)
    assert pressed == [0, 1, 2, 3]


def test_escape_stops_a_running_training_on_the_train_page_only(qtbot, bare_window):
    win = bare_window
    stops = []
    win.training.stop_requested.connect(lambda: stops.append(True))
    win.training.stop_button.setEnabled(True)  # as while a run runs
    win.steps.setCurrentRow(1)
    _key(qtbot, Qt.Key.Key_Escape)
    assert stops == []  # a stray Esc on another page ends nothing
    win.steps.setCurrentRow(2)
    win.pages.currentWidget().setFocus()
    _key(qtbot, Qt.Key.Key_Escape)
    assert stops == [True]
    win.training.stop_button.setEnabled(False)  # nothing runs: Esc does nothing
    _key(qtbot, Qt.Key.Key_Escape)
    assert stops == [True]


def test_primary_buttons_have_names_for_screen_readers(bare_window):
    win = bare_window
    buttons = [p.next_button for p in win.step_pages[:3]] + [win.training.start_button, win.training.stop_button,
                                                             win.inference.run_batch]
    names = [b.accessibleName() for b in buttons]
    assert all(names) and not any("›" in n for n in names), names
    assert names[0] == "Next: Configure" and names[1] == "Start training"
