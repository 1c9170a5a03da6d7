"""THE thread bridge: runs one core job at a time on a QThread and turns its events into signals.

A job is a plain callable `job(emit, cancel) -> result` built on the GUI thread from values read there;
it never touches a widget. Exceptions in the worker travel to the error sink (core/logs.py), which logs the
traceback and gives `failed` its sentence (a QThread would swallow them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.base.events import Cancelled, CancelToken
from ..core.base.logs import report

Job = Callable[[Callable[[Any], None], CancelToken], Any]


class _Worker(QObject):
    event = Signal(object)
    done = Signal(object)
    errored = Signal(object)  # the exception itself: the runner hands it to the error sink
    stopped = Signal()        # the job saw its cancel token and stopped early

    def __init__(self, job: Job, cancel: CancelToken) -> None:
        super().__init__()
        self._job, self._cancel = job, cancel

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self.event.emit, self._cancel)
        except Cancelled:
            self.stopped.emit()
        except Exception as exc:  # noqa: BLE001 - every failure goes to the sink (core/logs.py)
            self.errored.emit(exc)
        else:
            self.done.emit(result)


class Runner(QObject):
    """Owns at most one worker thread. Signals: event(obj), finished(result), failed(msg, hint), busy(bool)."""

    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()      # a job stopped on request (no result, nothing to report)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._cancel: CancelToken | None = None
        self.name = ""
        self._pending: tuple | None = None
        self.closed = False  # after shutdown(): no job starts again (a late timer must not outlive the window)

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def start(self, job: Job, name: str = "job") -> bool:
        """Start `job` unless one is running or the runner was shut down (returns False then)."""
        if self.busy or self.closed:
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
        self._worker.errored.connect(self._on_errored)
        self._worker.stopped.connect(self._on_stopped)
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()
        self.busy_changed.emit(True)
        return True

    def cancel(self, keep_best: bool = False) -> None:
        """keep_best: training saves its best evaluated epoch, labelled as stopped (events.CancelToken)."""
        if self._cancel is not None:
            self._cancel.cancel(keep_best)

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel, stop and wait for the thread (window closing); refuse new jobs from now on.

        True when nothing is left running. A job started later (a debounce timer, a queued single-shot) would
        run on a thread that the closed window's deletion then destroys while it runs: Qt aborts the process.
        """
        self.closed = True
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

    @Slot()
    def _on_stopped(self) -> None:
        self._finish_with(("cancelled", ()))

    @Slot(object)
    def _on_errored(self, exc: BaseException) -> None:
        self._finish_with(("failed", report(exc)))  # the sentence for the user; the traceback to the log

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
