"""Predict › Classify a whole file: choose a file, classify it with the model in use, save the predictions.

Every result goes through the Workspace with what it was made from (the file as read, the model): predictions
that arrive after another file was opened or another model was loaded are dropped, and Save writes only the
predictions of the file and model selected now (ui/state.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from ..core.data.tables import SUPPORTED
from . import jobs
from .dialogs import predictions_destination
from .state import FileId

DATA_FILTER = "Data files (" + " ".join(f"*{s}" for s in SUPPORTED) + ");;All files (*)"


class BatchController(QObject):
    def __init__(self, parent: QWidget, launcher, tasks, runner, workspace, panel, settings) -> None:
        super().__init__(parent)
        self.parent_widget, self.launcher, self.tasks, self.runner = parent, launcher, tasks, runner
        self.workspace, self.panel, self.settings = workspace, panel, settings
        panel.batch_file_requested.connect(self.choose_file)
        panel.batch_run_requested.connect(self.classify)
        panel.batch_cancel_requested.connect(runner.cancel)
        panel.batch_save_requested.connect(self.save)
        runner.event.connect(self._event)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "File to classify",
                                              self.settings.last_folder("data"), DATA_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> bool:
        file = FileId.of(path)  # as it is now: the table read below is this file's

        def done(value) -> None:
            table, guess = value
            self.panel.set_batch_file(file.name, table.columns, guess)  # its columns first: Classify needs one
            self.workspace.open_batch_input(file, table)
        return self.launcher.run(self.tasks, "reading the file", jobs.read_table_job(path), done)

    def classify(self, column: str) -> bool:
        request = self.workspace.batch_request(column)
        if request is None:
            return False

        def done(frame) -> None:
            self.panel.set_batch_running(False)
            if frame is not None and self.workspace.finish_batch(frame, request):  # kept, and the run ended
                self.panel.set_batch_result(frame, column)
                return
            self.workspace.set_batch_running(False)
            if frame is None:
                self.panel.clear_batch_result()
                self.launcher.status("Batch classification cancelled.", 5000)
            else:  # another file or model was chosen meanwhile: these are not its predictions
                self.launcher.status("Predictions dropped: the file or the model changed while they were made.",
                                     8000)

        def failed(*_) -> None:
            self.workspace.set_batch_running(False)
            self.panel.set_batch_running(False)
        job = jobs.batch_predict_job(self.workspace.classifier, request.value.frame, column)
        if not self.launcher.run(self.runner, "classifying a file", job, done, failed):
            return False
        self.workspace.set_batch_running(True)
        self.panel.set_batch_running(True)
        return True

    @Slot(object)
    def _event(self, event) -> None:
        if isinstance(event, jobs.BatchProgress):
            self.panel.set_batch_progress(event.done, event.total)

    def save(self) -> None:
        batch = self.workspace.batch_to_save()
        if batch is None:  # Save is disabled then; a late click on it writes nothing
            return

        suggested = f"{Path(batch.made.data.path).stem}-predictions.csv"
        # we ask before replacing (below), once: the dialog's own question would come first and say less
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Save predictions", suggested, "CSV (*.csv)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        path = predictions_destination(self.parent_widget, path) if path else None
        if path and self.workspace.batch_to_save() is not batch:  # a new model or file while the dialog was open
            self.launcher.status("Nothing saved: the predictions shown changed while the dialog was open.", 8000)
            return
        if path:
            self.launcher.run(self.tasks, "saving predictions", jobs.save_csv_job(batch.value, path),
                              lambda p: self.launcher.status(f"Saved the predictions for {batch.made.data.name} "
                                                             f"to {p}", 5000))
