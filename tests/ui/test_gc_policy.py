"""Garbage is collected on the GUI thread only: a Qt object owned by Python is never destroyed by a worker."""

import gc
import threading

from PySide6.QtCore import QObject

from desktop_app.ui.gc_policy import MainThreadCollector


class _Owned(QObject):
    """A Python-owned Qt object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self, seen: list) -> None:
        super().__init__()
        self.me = self  # the cycle
        self.seen = seen

    def __del__(self) -> None:  # the wrapper goes, and the Qt object it owns with it, on this thread
        self.seen.append(threading.current_thread().name)


def test_a_worker_calling_gc_collect_has_the_gui_thread_collect(qtbot):
    # the autouse fixture has installed the policy for this test; work on a fresh one to see its effect
    seen = []
    collector = MainThreadCollector(interval_ms=60_000)
    collector.install()
    try:
        assert not gc.isenabled() and gc.collect == collector.collect
        _Owned(seen)  # garbage, in a cycle
        worker = threading.Thread(target=gc.collect, name="worker")  # what accelerate's free_memory does
        worker.start()
        qtbot.waitUntil(lambda: bool(seen), timeout=5000)  # the GUI thread's event loop ran the collection
        worker.join(5)
        assert seen == ["MainThread"] and not worker.is_alive()
    finally:
        collector.uninstall()


def test_a_worker_is_not_stuck_when_the_gui_thread_cannot_collect(monkeypatch):
    """The GUI thread may itself be waiting for that worker (closing): the worker waits briefly, then goes on."""
    import desktop_app.ui.gc_policy as policy

    monkeypatch.setattr(policy, "WORKER_WAIT_S", 0.2)
    collector = MainThreadCollector(interval_ms=60_000)
    collector.install()
    try:
        worker = threading.Thread(target=gc.collect)
        worker.start()
        worker.join(3)  # no event loop runs here: nobody collects for it
        assert not worker.is_alive()
    finally:
        collector.uninstall()
    assert gc.collect != collector.collect


def test_the_timer_collects_on_the_gui_thread(qtbot):
    seen = []
    collector = MainThreadCollector(interval_ms=20)
    collector.install()
    try:
        for _ in range(gc.get_threshold()[0] + 10):
            _Owned(seen)
        qtbot.waitUntil(lambda: bool(seen), timeout=5000)
        assert set(seen) == {"MainThread"}
    finally:
        collector.uninstall()
