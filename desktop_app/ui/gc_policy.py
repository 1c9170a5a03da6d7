"""Python's garbage collector runs on the GUI thread only.

A Python wrapper that owns a Qt object deletes that object when it is collected, on whichever thread runs
the collection. The collector runs on the thread that happens to allocate (or that calls `gc.collect()`,
as accelerate and transformers do at the end of training): a closed dialog or window in a reference cycle
was then destroyed from the training thread while the GUI thread used Qt, and the process died (a
segmentation fault seen in a full test run, the Trainer's `free_memory` collecting on the worker thread).

So, while the window runs: automatic collection is off, a timer collects on the GUI thread (the
thresholds pyqtgraph's GarbageCollector uses), and `gc.collect()` called from another thread asks the GUI
thread to collect and waits for it (briefly: a GUI thread busy waiting for that worker must not deadlock).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

INTERVAL_MS = 500
WORKER_WAIT_S = 5.0


class MainThreadCollector(QObject):
    requested = Signal()

    def __init__(self, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__()
        self._collect = gc.collect  # the real one
        self._lock = threading.Lock()
        self._waiting: list[threading.Event] = []
        self._was_enabled = gc.isenabled()
        self.requested.connect(self._collect_for_workers, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)

    def install(self) -> "MainThreadCollector":
        gc.disable()
        gc.collect = self.collect
        self.timer.start()
        return self

    def uninstall(self) -> None:
        self.timer.stop()
        if gc.collect == self.collect:
            gc.collect = self._collect
        if self._was_enabled:
            gc.enable()
        self._collect()  # on the GUI thread, which calls this
        self._release_waiting()

    def collect(self, generation: int = 2) -> int:
        """gc.collect while installed: collected here on the GUI thread, requested from any other."""
        if threading.current_thread() is threading.main_thread():
            return self._collect(generation)
        done = threading.Event()
        with self._lock:
            self._waiting.append(done)
        self.requested.emit()  # queued to the GUI thread
        done.wait(WORKER_WAIT_S)
        return 0

    @Slot()
    def _collect_for_workers(self) -> None:
        self._collect()
        self._release_waiting()

    def _release_waiting(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for done in waiting:
            done.set()

    @Slot()
    def tick(self) -> None:
        """Collect the generations whose allocation counts passed the collector's own thresholds."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] > thresholds[0]:
            self._collect(0)
            if counts[1] > thresholds[1]:
                self._collect(1)
                if counts[2] > thresholds[2]:
                    self._collect(2)


@contextmanager
def collected_on_gui_thread(interval_ms: int = INTERVAL_MS) -> Iterator[MainThreadCollector]:
    """The policy for a window's lifetime (the app, the self-test's window check, the window tests)."""
    collector = MainThreadCollector(interval_ms).install()
    try:
        yield collector
    finally:
        collector.uninstall()
