import threading
import weakref

import pytest

from desktop_app.ui import runner as runner_module


@pytest.fixture(autouse=True)
def gc_on_the_gui_thread(qapp):
    """As in the app (ui/gc_policy.py): an earlier test's closed window collected by a training thread's
    gc.collect() was destroyed off the GUI thread, and the process died (a segfault in a full run)."""
    import gc

    from desktop_app.ui.gc_policy import collected_on_gui_thread

    gc.collect()  # what earlier tests left, here on the GUI thread
    with collected_on_gui_thread():
        yield


@pytest.fixture(autouse=True)
def no_threads_left(monkeypatch):
    """Fail any test that leaves a runner's thread (or a Python thread) running."""
    created = []
    original = runner_module.Runner.__init__

    def tracking_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created.append(weakref.ref(self))

    monkeypatch.setattr(runner_module.Runner, "__init__", tracking_init)
    before = set(threading.enumerate())
    yield
    alive = []
    for ref in created:
        r = ref()
        try:
            if r is not None and r.busy:
                alive.append(r.name)
                r.shutdown()
        except RuntimeError:  # the C++ object is already gone, and so is its thread
            pass
    extra = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    assert not alive, f"runner threads left running: {alive}"
    assert not extra, f"threads left running: {extra}"


@pytest.fixture
def settings(tmp_path):
    from PySide6.QtCore import QSettings

    from desktop_app.ui.settings import Settings

    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def window(qtbot, settings, tmp_path):
    from desktop_app.ui.main_window import MainWindow

    win = MainWindow(settings=settings, runs_dir=tmp_path / "runs")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.warmed_up, timeout=60000)
    yield win
    for r in win.runners:
        r.shutdown()
