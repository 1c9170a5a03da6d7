"""Opening an adapter: one dialog for an exported .zip or an adapter folder (by its manifest.json), and
what a drop on the window means (an adapter goes to Predict, anything else is read as data)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core.artifacts.manifest import is_adapter_folder

ADAPTER_FILTER = "LoRA Studio adapter (*.zip manifest.json);;All files (*)"


def adapter_path(chosen: str) -> str:
    """The path to load for what the user chose: an adapter folder's manifest.json stands for its folder."""
    path = Path(chosen)
    return str(path.parent) if path.name.lower() == "manifest.json" else chosen


def is_adapter(path: str) -> bool:
    """A dropped path that is an adapter: a .zip, an adapter folder, or the manifest.json inside one."""

    p = Path(path)
    if p.is_file() and p.suffix.lower() == ".zip":
        return True
    if p.name.lower() == "manifest.json":
        return True
    # a folder with a manifest is offered to the adapter loader even if damaged: it explains what is wrong
    return p.is_dir() and ((p / "manifest.json").exists() or is_adapter_folder(p))


def ask_adapter(window) -> str | None:
    """One Open dialog: pick an exported .zip, or the manifest.json inside an adapter folder."""
    chosen, _ = QFileDialog.getOpenFileName(window, "Open adapter (.zip, or the manifest.json in its folder)",
                                            window.settings.last_folder("adapter"), ADAPTER_FILTER)
    if not chosen:
        return None
    path = adapter_path(chosen)
    window.settings.set_last_folder("adapter", str(Path(path).parent))
    return path


def ask_for_base(window, message: str, retry) -> QMessageBox:
    """A shared adapter's base model is not on this computer where LoRA Studio looks: say so, and offer to choose
    its folder (checked by its weights, then remembered). Non-blocking; returns the box (tests press its button)."""
    box = QMessageBox(QMessageBox.Icon.Information, "Base model needed", message, QMessageBox.StandardButton.Cancel,
                      window)
    box.setInformativeText("Choose the base model's folder: LoRA Studio checks that its weights are the ones the "
                           "adapter was trained on, and remembers the folder for next time.")
    choose = box.addButton("Choose base model folder…", QMessageBox.ButtonRole.AcceptRole)

    def chosen(button) -> None:
        if button is not choose:
            return
        folder = QFileDialog.getExistingDirectory(window, "The base model's folder",
                                                  window.settings.last_folder("base_model"))
        if folder:
            window.settings.set_last_folder("base_model", folder)
            retry(folder)
    box.buttonClicked.connect(chosen)
    box.open()
    return box
