"""Export adapter… (a .zip or a folder), Export ONNX… (the model in use, as a folder ONNX Runtime can deploy) and
Train elsewhere… (a job folder for a GPU machine). What is exported comes from the Workspace: the adapter folder
of the model in use (ui/state.py export_source), never a result of something no longer selected."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..core.artifacts.adapters import ADAPTER_FOLDER, ADAPTER_ZIP
from ..core.artifacts.job import JOB_FOLDER, next_steps
from ..core.artifacts.onnx_export import ONNX_EXPORT
from ..core.base.errors import StudioError
from . import jobs
from .dialogs import free_destination
from .flow import data_problem


class ExportController(QObject):
    def __init__(self, parent: QWidget, launcher, tasks, workspace, run_config: Callable,
                 validation_path: Callable[[], str | None]) -> None:
        super().__init__(parent)
        self.parent_widget, self.launcher, self.tasks, self.workspace = parent, launcher, tasks, workspace
        self.run_config, self.validation_path = run_config, validation_path
        self.include_examples = False  # File › Include example mistakes in exports; never remembered across starts

    def set_include_examples(self, on: bool) -> None:
        self.include_examples = bool(on)

    def export_dialog(self, of: str = "run") -> None:
        """of="run": the Train page's run (else the model in use); "model": the model in use (File menu)."""
        if self.workspace.export_source(of) is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Export adapter", "my-classifier.zip",
                                              "Single file (*.zip);;Folder (*)")
        if path:
            self.export_adapter(path, of)

    def export_adapter(self, path: str, of: str = "run") -> bool:
        source = self.workspace.export_source(of)
        if source is None:
            return False
        path = free_destination(self.parent_widget, "Export adapter", path,
                                ADAPTER_ZIP if path.lower().endswith(".zip") else ADAPTER_FOLDER)
        if not path:
            return False
        examples = self.include_examples

        def done(written) -> None:
            self.launcher.status(f"Adapter exported to {written}, with a model card and no folder of this computer "
                                 "named; " + ("the example mistakes (texts of your data) are included" if examples else
                                              "no text of your data is included (File › Include example mistakes "
                                              "in exports adds them)"), 12000)
        return self.launcher.run(self.tasks, "exporting", jobs.export_adapter_job(source, path, examples), done)

    def export_onnx_dialog(self) -> None:
        if self.workspace.classifier is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Export ONNX (a new folder)", "my-classifier-onnx",
                                              "Folder (*)")
        if path:
            self.export_onnx(path)

    def export_onnx(self, path: str) -> bool:
        """Check the destination (offering a free name), then export and check parity in the tasks runner."""
        classifier = self.workspace.classifier
        if classifier is None:
            return False
        path = free_destination(self.parent_widget, "Export ONNX", path, ONNX_EXPORT)
        if not path:
            return False

        def done(exported) -> None:
            self.launcher.status(f"ONNX model exported to {exported.folder} (same probabilities as PyTorch, "
                                 f"largest difference {exported.gap:.1e})", 8000)
        return self.launcher.run(self.tasks, "exporting to ONNX", jobs.export_onnx_job(classifier, path), done)

    def train_elsewhere_dialog(self) -> None:
        problem = data_problem(self.workspace.data)
        if problem:
            QMessageBox.information(self.parent_widget, "Train elsewhere", problem)
            return
        try:
            config = self.run_config()
        except StudioError as exc:
            QMessageBox.warning(self.parent_widget, "Train elsewhere", str(exc))
            return
        suggested = f"{Path(self.workspace.dataset.path).stem}-job"
        path, _ = QFileDialog.getSaveFileName(self.parent_widget, "Train elsewhere: a new job folder", suggested,
                                              "Folder (*)")
        if path:
            self.train_elsewhere(path, config)

    def train_elsewhere(self, path: str, config) -> bool:
        """Write the job folder in the tasks runner; then say what to run on the other machine."""

        path = free_destination(self.parent_widget, "Train elsewhere", path, JOB_FOLDER)
        if not path:
            return False

        def done(job) -> None:
            QMessageBox.information(self.parent_widget, "Train elsewhere", next_steps(job, getattr(sys, "frozen", False)))
        data, file = self.workspace.data, self.workspace.dataset
        return self.launcher.run(self.tasks, "writing the job", jobs.job_folder_job(
            file.path, config, path, self.validation_path(), data.encoding), done)
