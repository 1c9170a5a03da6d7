"""THE thread bridge: runs one core job at a time on a QThread and turns its events into signals.

A job is a plain callable `job(emit, cancel) -> result` built on the GUI thread from values read there;
it never touches a widget. Exceptions in the worker become `failed` (a QThread would swallow them).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.errors import StudioError
from ..core.events import CancelToken

Job = Callable[[Callable[[Any], None], CancelToken], Any]


class _Worker(QObject):
    event = Signal(object)
    done = Signal(object)
    failed = Signal(str, str)

    def __init__(self, job: Job, cancel: CancelToken) -> None:
        super().__init__()
        self._job, self._cancel = job, cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self.event.emit, self._cancel)
        except StudioError as exc:
            self.failed.emit(exc.message, exc.hint)
        except MemoryError:
            self.failed.emit("The computer ran out of memory.", "Lower the batch size or the maximum length.")
        except Exception as exc:  # noqa: BLE001 - the user gets a sentence; details go to the log view
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.failed.emit("Something unexpected went wrong.", detail[:300])
        else:
            self.done.emit(result)


class Runner(QObject):
    """Owns at most one worker thread. Signals: event(obj), finished(result), failed(msg, hint), busy(bool)."""

    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel: CancelToken | None = None
        self.name = ""
        self._pending: tuple | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, job: Job, name: str = "job") -> bool:
        """Start `job` unless one is running (returns False then)."""
        if self.busy:
            return False
        self.name = name
        self._cancel = CancelToken()
        self._thread = QThread()
        self._thread.setObjectName(f"lora-studio-{name}")
        self._worker = _Worker(job, self._cancel)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.event.connect(self._on_event)
        self._worker.done.connect(self._on_done)
        self._worker.failed.connect(self._on_failed)
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()
        self.busy_changed.emit(True)
        return True

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel, stop and wait for the thread (window closing). True when nothing is left running."""
        if self._thread is None:
            return True
        self.cancel()
        self._thread.quit()
        ok = self._thread.wait(timeout_ms)
        if ok:
            self._on_thread_finished()
        return ok

    @Slot(object)
    def _on_event(self, event) -> None:
        self.event.emit(event)

    @Slot(object)
    def _on_done(self, result) -> None:
        self._finish_with(("finished", (result,)))

    @Slot(str, str)
    def _on_failed(self, message: str, hint: str) -> None:
        self._finish_with(("failed", (message, hint)))

    def _finish_with(self, pending: tuple) -> None:
        if self._thread is None:  # shut down meanwhile: nobody is waiting for this outcome
            return
        self._pending = pending
        self._thread.quit()

    @Slot()
    def _on_thread_finished(self) -> None:
        # Report only once the thread is really gone, so a handler may start the next job at once.
        if self._thread is None:
            return
        self._thread.wait()
        self._worker.deleteLater()
        self._thread.deleteLater()
        self._thread = self._worker = self._cancel = None
        pending, self._pending = self._pending, None
        self.busy_changed.emit(False)
        if pending:
            getattr(self, pending[0]).emit(*pending[1])
