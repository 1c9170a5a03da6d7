"""Classify a whole file from the Predict step (choose, run, progress, save); methods of the main window,
kept here so main_window.py stays small. Each takes the window as its first argument."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from ..core.data import SUPPORTED
from . import jobs

DATA_FILTER = "Data files (" + " ".join(f"*{s}" for s in SUPPORTED) + ");;All files (*)"


def choose_batch_file(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "File to classify", window.settings.last_folder("data"), DATA_FILTER)
    if not path:
        return

    def done(value):
        table, guess = value
        window.batch_table = table
        window.inference.set_batch_file(Path(path).name, table.columns, guess)
    window._run(window.tasks, "reading the file", jobs.read_table_job(path), done)


def run_batch(window, column: str) -> None:
    if window.batch_table is None or window.classifier is None:
        return
    window.inference.set_batch_running(True)

    def done(frame):
        window.inference.set_batch_running(False)
        if frame is None:
            window.statusBar().showMessage("Batch classification cancelled.", 5000)
            return
        window.batch_result = frame
        window.inference.set_batch_result(frame, column)
    job = jobs.batch_predict_job(window.classifier, window.batch_table.frame, column)
    window._run(window.batch, "classifying a file", job, done, lambda *_: window.inference.set_batch_running(False))


def batch_event(window, event) -> None:
    if isinstance(event, jobs.BatchProgress):
        window.inference.set_batch_progress(event.done, event.total)


def save_batch(window) -> None:
    if window.batch_result is None:
        return
    from .dialogs import predictions_destination

    # we ask before replacing (below), once: the dialog's own question would come first and say less
    path, _ = QFileDialog.getSaveFileName(window, "Save predictions", "predictions.csv", "CSV (*.csv)",
                                          options=QFileDialog.Option.DontConfirmOverwrite)
    path = predictions_destination(window, path) if path else None
    if path:
        window._run(window.tasks, "saving predictions", jobs.save_csv_job(window.batch_result, path),
                    lambda p: window.statusBar().showMessage(f"Saved {p}", 5000))
