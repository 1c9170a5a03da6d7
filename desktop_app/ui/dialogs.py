"""Small modal questions the window asks."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def offer_other_name(parent: QWidget, title: str, refusal: str, other_name: str) -> bool:
    """Explain why a save place was refused and offer a free name instead; True if the user takes it."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, refusal, QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(f"Save as “{other_name}” instead?")
    use_other = box.addButton(f"Save as “{other_name}”", QMessageBox.ButtonRole.AcceptRole)
    box.exec()
    return box.clickedButton() is use_other
