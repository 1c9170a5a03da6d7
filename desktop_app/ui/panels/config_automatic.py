"""The Configure page's automatic settings (epochs, learning rate, max length): the number each will really use
and why, computed from the data, in the panel's boxes and notes. Unset means automatic; a number typed over the
shown one is used exactly. Functions of the config panel, kept here so config_panel.py stays small."""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from ...core.model.config import TrainConfig
from ...core.model.text import coverage, cut_sentence, derive_max_length, length_in_use
from ...core.train.objectives import MULTI_LABEL_LR_SCALE
from ...core.train.preparation import automatic_epochs
from . import config_small


def show(panel, spin, value) -> None:
    """Put the number an automatic setting will use in its (still editable) box, as an edit that is not one."""
    if spin.value() != value:
        loading, panel.loading = panel.loading, True
        try:
            spin.setValue(value)
        finally:
            panel.loading = loading


def shown_config(panel) -> TrainConfig:
    base = panel.config_base
    return replace(base, preset=panel.preset_combo.currentData() or base.preset, batch_size=panel.batch.value(),
                   epochs=None if panel.auto_epochs.isChecked() else panel.epochs.value())


def epochs_link(panel, link: str) -> None:
    """"Run exactly N" (the preset's number, without the small-data increase) or back to automatic."""
    if link == "auto":
        panel.auto_epochs.setChecked(True)
    else:  # shown only while automatic runs more than that: the box changes, so the number is taken exactly
        panel.epochs.setValue(shown_config(panel).starting.epochs)


def update_lr_note(panel, *_) -> None:
    if not panel.auto_lr.isChecked():
        panel.lr_note.setText("")
        return
    start = shown_config(panel).starting.learning_rate
    rate = start * MULTI_LABEL_LR_SCALE if panel.multi_label else start
    show(panel, panel.lr, rate)
    preset = (panel.preset_combo.currentText() or "").capitalize()
    panel.lr_note.setText(f"Automatic: the {preset} preset's rate" + (
        f", {MULTI_LABEL_LR_SCALE:g}× for several labels per text." if panel.multi_label else "."))


def update_epochs_note(panel, *_) -> None:
    """How many epochs will really run, and why: the automatic number, or exactly the one typed."""

    cfg = shown_config(panel)
    start, preset = cfg.starting.epochs, (panel.preset_combo.currentText() or "").capitalize()
    small = panel.plan is not None and panel.plan.small
    if cfg.epochs is None and (small or not panel.train_size):
        show(panel, panel.epochs, start)
    if small:
        panel.epochs_note.setText(config_small.epochs_note(panel.plan))
        return
    if not panel.train_size:
        panel.epochs_note.setText("The number of epochs that will run is shown once a dataset is loaded.")
        return
    per_epoch = -(-panel.train_size // cfg.batch_size)
    auto = automatic_epochs(cfg, panel.train_size)
    on = f"{per_epoch} updates per epoch on {panel.train_size:,} training examples."
    if cfg.epochs is None:
        show(panel, panel.epochs, auto)
        if auto > start:
            most = " (at most 20)" if auto * per_epoch < cfg.min_steps else ""
            stops = " and stops when it no longer improves" if cfg.early_stopping_patience else ""
            panel.epochs_note.setText(
                f"<b>{auto:g} will run</b> (automatic): the {preset} preset's {start:g}, raised{most} because "
                f"small data needs ~{cfg.min_steps} updates and gets {per_epoch} per epoch. Training keeps the "
                f'best epoch{stops}. <a href="exact">Run exactly {start:g}</a>')
        else:
            panel.epochs_note.setText(f"<b>{auto:g} will run</b> (automatic): {on}")
    elif auto > cfg.epochs:
        panel.epochs_note.setText(
            f"<b>Exactly {cfg.epochs:g} will run</b>: {math.ceil(cfg.epochs * per_epoch)} updates, where small "
            f'data needs ~{cfg.min_steps}; <a href="auto">automatic</a> would run {auto:g}.')
    else:
        panel.epochs_note.setText(f"<b>{cfg.epochs:g} will run</b>, as set: {on}")


def update_length_note(panel) -> None:
    """The length the run will use and how many of the loaded texts it reads whole, counted with the same
    token counts as the Dataset page (the chosen model's tokenizer)."""

    lengths = panel.lengths
    cap = panel.config_base.max_length_cap
    model_limit = panel.model_limit
    auto = panel.auto_length.isChecked()
    limit = length_in_use(None if auto else panel.max_length.value(), cap, lengths, model_limit)  # the run's rule
    panel.cut_changed.emit(cut_sentence(lengths, limit) if lengths else "")  # the Dataset page's warning
    if not lengths:
        panel.length_histogram.set_values([])
        panel.length_note.setText(f"Decided from your texts once a dataset is loaded (at most {cap})."
                                 if auto else "")
        return
    if auto:  # the greyed box shows the length the run will use, not the cap
        show(panel, panel.max_length, limit)
        why = ""
        if derive_max_length(lengths, 8192, 8192) > limit:  # the cap, not the texts, decided it
            preset = (panel.preset_combo.currentText() or "").capitalize()
            why = ", the most this model reads" if limit == model_limit < cap else \
                f", the most the {preset} preset allows"
        panel.length_note.setText(f"<b>{limit} tokens will be used</b>{why}: {whole(lengths, limit)}.")
    else:
        panel.length_note.setText(f"<b>{limit} tokens will be used</b>: {whole(lengths, limit)}"
                                 + (f" (this model reads at most {model_limit})."
                                    if panel.max_length.value() > model_limit else "."))
    panel.length_histogram.set_values(lengths, limit)


def whole(lengths: list[int], limit: int) -> str:
    share = coverage(lengths, limit)
    return f"{share} of your texts fit whole" + ("" if share == "all" else "; longer ones keep their start and end")


def beside(spin: QWidget, auto: QCheckBox) -> QWidget:
    """A number and its Automatic box on one row: unset means automatic, a number typed means exactly it."""
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    line.addWidget(spin, 1)
    line.addWidget(auto)
    return row
