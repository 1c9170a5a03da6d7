"""Export adapter… (a .zip or a folder) and Export ONNX… (the model loaded for prediction, as a folder ONNX Runtime
can deploy); methods of the main window kept here, each taking the window first."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog

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
        window._run(window.tasks, "exporting", jobs.export_job(window.result.adapter_dir, path),
                    lambda p: window.statusBar().showMessage(f"Adapter exported to {p}", 8000))
