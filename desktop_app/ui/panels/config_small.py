"""The Configure page's small-data parts: the Advanced box (which path, how many folds) and the words for a
plan (core/small_data.py's SmallDataPlan, which the window computes for the loaded data). Functions of the
config panel, kept here so config_panel.py stays small."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QSpinBox, QVBoxLayout, QWidget

from ...core.data.small_data_plan import MAX_FOLDS, MIN_FOLDS

MODES = (("Automatic (by the data's size)", "auto"), ("On: cross-validate, train on every example", "on"),
         ("Off: hold out a validation share", "off"))
NO_DATA = "How LoRA Studio trains and measures your model is decided once a dataset is loaded."


def small_data_box(panel) -> QGroupBox:
    box = QGroupBox("Small data")
    form = QFormLayout(box)
    panel.small_data = QComboBox()
    for text, value in MODES:
        panel.small_data.addItem(text, value)
    panel.folds = QSpinBox(minimum=MIN_FOLDS, maximum=MAX_FOLDS)
    form.addRow("Small-data path:", panel.small_data)
    form.addRow("Folds:", panel.folds)
    panel.small_data.currentIndexChanged.connect(lambda _i: panel.folds.setEnabled(
        panel.small_data.currentData() != "off"))  # folds mean nothing on the usual path
    return box


def under(top: QWidget, bottom: QWidget) -> QWidget:
    """Two boxes in one column (LoRA above Small data: the Training details box beside them is the tall one)."""
    column = QWidget()
    stack = QVBoxLayout(column)
    stack.setContentsMargins(0, 0, 0, 0)
    stack.addWidget(top)
    stack.addWidget(bottom)
    stack.addStretch(1)
    return column


def epochs_note(plan) -> str:
    """On the small-data path the run ignores Epochs, learning rate, batch size and early stopping: say so."""
    return (f"<b>Small data: {plan.fits} models will train</b> ({plan.folds} folds, then the kept one on every "
            "example) with fixed settings; Epochs, learning rate, batch size and early stopping apply to larger "
            "data.")
