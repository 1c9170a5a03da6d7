"""Export adapter… (a .zip or a folder), Export ONNX… (the model loaded for prediction, as a folder ONNX Runtime
can deploy) and Train elsewhere… (a job folder for a GPU machine); methods of the main window kept here, each
taking the window first."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from . import jobs
from .dialogs import free_destination


def export_onnx_dialog(window) -> None:
    if window.classifier is None:
        return
    path, _ = QFileDialog.getSaveFileName(window, "Export ONNX (a new folder)", "my-classifier-onnx", "Folder (*)")
    if path:
        export_onnx(window, path)


def export_onnx(window, path: str) -> bool:
    """Check the destination (offering a free name), then export and check parity in the tasks runner."""
    path = free_destination(window, "Export ONNX", path, "onnx")
    if not path:
        return False

    def done(exported) -> None:
        window.statusBar().showMessage(f"ONNX model exported to {exported.folder} (same probabilities as PyTorch, "
                                       f"largest difference {exported.gap:.1e})", 8000)
    return window._run(window.tasks, "exporting to ONNX", jobs.export_onnx_job(window.classifier, path), done)


def export_dialog(window) -> None:
    if window.result is None or window.result.adapter_dir is None:
        return
    path, _ = QFileDialog.getSaveFileName(window, "Export adapter", "my-classifier.zip",
                                          "Single file (*.zip);;Folder (*)")
    if path:
        window.export_adapter(path)


def export_adapter(window, path: str) -> None:
    path = free_destination(window, "Export adapter", path, "zip" if path.lower().endswith(".zip") else "adapter")
    if path:
        window._run(window.tasks, "exporting", jobs.export_adapter_job(window.result.adapter_dir, path),
                    lambda p: window.statusBar().showMessage(f"Adapter exported to {p}", 8000))


def train_elsewhere_dialog(window) -> None:
    from ..core.errors import StudioError
    from .flow import data_problem, run_config

    problem = data_problem(window.data)
    if problem:
        QMessageBox.information(window, "Train elsewhere", problem)
        return
    try:
        config = run_config(window)
    except StudioError as exc:
        QMessageBox.warning(window, "Train elsewhere", str(exc))
        return
    suggested = f"{Path(window.data_path).stem}-job"
    path, _ = QFileDialog.getSaveFileName(window, "Train elsewhere: a new job folder", suggested, "Folder (*)")
    if path:
        train_elsewhere(window, path, config)


def train_elsewhere(window, path: str, config) -> bool:
    """Write the job folder in the tasks runner; then say what to run on the other machine."""
    from ..core.job import next_steps

    path = free_destination(window, "Train elsewhere", path, "job")
    if not path:
        return False

    def done(job) -> None:
        QMessageBox.information(window, "Train elsewhere", next_steps(job, getattr(sys, "frozen", False)))
    validation = window.dataset.selection()["validation_path"]
    return window._run(window.tasks, "writing the job", jobs.job_folder_job(window.data_path, config, path,
                                                                             validation, window.data.encoding), done)
