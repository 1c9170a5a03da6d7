"""Export ONNX… (File menu): the model loaded for prediction, as a folder ONNX Runtime can deploy."""

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
