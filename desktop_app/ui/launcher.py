"""Starting jobs on the runners and hearing how they ended: what every controller uses (Anki's
`CollectionOp(parent, op).success(...).failure(...)`, in one call).

`run(runner, name, job, on_done, on_failed, on_cancelled)` starts `job` unless that runner is busy (the status bar
says so); its outcome comes back on the GUI thread, after the runner's thread has ended. Failures go to one sink: the
handler first, then a non-blocking message box (not for quiet runners, whose failures are shown where they
belong) and the status bar.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from .runner import Runner


class Launcher(QObject):
    busy_changed = Signal()  # a job started or ended on one of the runners

    def __init__(self, parent: QWidget, status: Callable[[str, int], None]) -> None:
        super().__init__(parent)
        self.parent_widget, self.status = parent, status
        self.quiet: set[Runner] = set()
        self.handlers: dict[Runner, tuple] = {}

    def watch(self, runner: Runner, quiet: bool = False) -> Runner:
        runner.finished.connect(self._finished)
        runner.failed.connect(self._failed)
        runner.cancelled.connect(self._cancelled)
        if quiet:
            self.quiet.add(runner)
        return runner

    def run(self, runner: Runner, name: str, job, on_done: Callable | None = None,
            on_failed: Callable | None = None, on_cancelled: Callable | None = None) -> bool:
        if runner.busy:
            self.status(f"Please wait: {runner.name} is still running.", 4000)
            return False
        if not runner.start(job, name):  # shut down: the window is closing
            return False
        self.handlers[runner] = (on_done, on_failed, on_cancelled)
        self.busy_changed.emit()
        return True

    @Slot(object)
    def _finished(self, result) -> None:
        on_done, _, _ = self.handlers.pop(self.sender(), (None, None, None))
        self.busy_changed.emit()
        if on_done:
            on_done(result)

    @Slot(str, str)
    def _failed(self, message: str, hint: str) -> None:
        runner = self.sender()
        _, on_failed, _ = self.handlers.pop(runner, (None, None, None))
        self.busy_changed.emit()
        if on_failed:
            on_failed(message, hint)
        if runner not in self.quiet:
            box = QMessageBox(QMessageBox.Icon.Warning, "LoRA Studio", message, QMessageBox.StandardButton.Ok,
                              self.parent_widget)
            box.setInformativeText(hint)
            box.open()  # non-blocking: tests and users are never stuck behind a modal loop
        self.status(message, 8000)

    @Slot()
    def _cancelled(self) -> None:
        _, _, on_cancelled = self.handlers.pop(self.sender(), (None, None, None))
        self.busy_changed.emit()
        if on_cancelled:
            on_cancelled()
