"""Small modal questions the window asks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..core.base.errors import OutputError, StudioError
from ..core.disk.destinations import check_destination, free_name
from ..core.model.config import TrainConfig
from ..core.disk.ownership import Owned, owned


def offer_other_name(parent: QWidget, title: str, refusal: str, other_name: str) -> bool:
    """Explain why a save place was refused and offer a free name instead; True if the user takes it."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, refusal, QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(f"Save as “{other_name}” instead?")
    use_other = box.addButton(f"Save as “{other_name}”", QMessageBox.ButtonRole.AcceptRole)
    box.exec()
    return box.clickedButton() is use_other


def free_destination(parent: QWidget, title: str, path: str, kind: Owned) -> str | None:
    """`path` if LoRA Studio may write there (destinations.check_destination), else the free name the user
    accepted instead, else None. Quick, so a refusal can offer another name before any work starts."""
    try:
        check_destination(path, kind)
    except OutputError as exc:
        if not offer_other_name(parent, title, exc.message, free_name(Path(path)).name):
            return None
        path = str(free_name(Path(path)))
    return path


def predictions_destination(parent: QWidget, path: str) -> str | None:
    """Where to save predictions: `path` if new, or a CSV file the user agreed to replace; over any other file
    (a workbook, a document) never, a free .csv name is offered instead. None if the user declined."""
    target = Path(path)
    if not (target.exists() or target.is_symlink()):
        return path
    if owned(target, "predictions"):
        answer = QMessageBox.question(parent, "Save predictions", f"“{target.name}” already exists. Replace it?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return path if answer == QMessageBox.StandardButton.Yes else None
    other = _free_csv_name(target)
    if not offer_other_name(parent, "Save predictions", f"“{target.name}” is not a CSV file, so LoRA Studio will "
                            "not write predictions over it; it was left untouched.", other.name):
        return None
    return str(other)


def _free_csv_name(path: Path) -> Path:
    """“budget.csv”, else “budget-2.csv”, “budget-3.csv”…, beside `path`."""
    candidate, i = path.with_suffix(".csv"), 2
    while candidate.exists() or candidate.is_symlink():
        candidate, i = path.with_name(f"{path.stem}-{i}.csv"), i + 1
    return candidate


def ask_config_file(parent: QWidget):
    """A TrainConfig from a JSON file the user picks, or None (cancelled, or refused with a sentence)."""
    path, _ = QFileDialog.getOpenFileName(parent, "Load configuration", "", "Configuration (*.json)")
    if not path:
        return None
    try:
        return TrainConfig.load(path)
    except StudioError as exc:
        QMessageBox.warning(parent, "LoRA Studio", str(exc))
        return None


def save_config_file(parent: QWidget, config) -> None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save configuration", "lora-studio-config.json",
                                          "Configuration (*.json)")
    if path:
        try:
            config.save(path)
        except (OSError, StudioError) as exc:
            QMessageBox.warning(parent, "LoRA Studio", f"The configuration could not be saved: {exc}")
