"""Step 2: base model, preset, LoRA and training settings, device; emits nothing but reads/writes a TrainConfig."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGridLayout, QGroupBox,
                               QLabel, QLineEdit, QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ...core.base.errors import ModelError
from ...core.model.base_models import EMBEDDED_ID, lora_targets, peek_model_type
from ...core.model.config import PRESET_HELP, PRESETS, TrainConfig
from ..widgets.charts import Histogram
from ..widgets.no_wheel import guard_fields
from . import config_automatic, config_small
from .config_help import TIPS

LOCAL, HUB = "__local__", "__hub__"
CUSTOM = "custom"  # LoRA targets named in a loaded configuration file


NARROW = 900  # px of the page: below it the boxes stack


class ConfigPanel(QWidget):
    browse_model_requested = Signal()
    estimate_requested = Signal()
    changed = Signal()
    cut_changed = Signal(str)  # the texts the length in use cuts, in a sentence ("" when none), for the Dataset page

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.loading = False
        self.train_size = 0
        self.multi_label = False  # the loaded data has several labels per text (set_labels_per_text)
        self.plan = None  # small_data.SmallDataPlan of the loaded data (set_plan), None before any
        self.config_base = PRESETS["balanced"]  # the settings the boxes were last filled from (set_config)
        self.lengths: list[int] = []  # the loaded texts' token counts (set_token_lengths)
        self.model_limit = 512  # the most tokens the chosen model reads
        self.inner = QWidget()
        column = QVBoxLayout(self.inner)
        self.plan_note = QLabel(config_small.NO_DATA, wordWrap=True)  # which path the data takes, in a sentence
        column.addWidget(self.plan_note)
        basic = QGridLayout()
        self._pairs = [(basic, self._model_box(), self._device_box())]
        column.addLayout(basic)
        self.advanced_toggle = QPushButton("Advanced settings ▸")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setFlat(True)
        self.advanced_toggle.setToolTip("LoRA size, learning rate, batch size, text length, precision, seed…")
        self.advanced_toggle.toggled.connect(self.set_advanced)
        column.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.advanced = QWidget()
        grid = QGridLayout(self.advanced)
        grid.setContentsMargins(0, 0, 0, 0)
        self._pairs.append((grid, config_small.under(self._lora_box(), config_small.small_data_box(self)),
                            self._training_box()))
        self._narrow: bool | None = None
        self._arrange(False)
        column.addWidget(self.advanced)
        column.addStretch(1)
        self.advanced.setVisible(False)
        scroll = QScrollArea()
        scroll.setFrameShape(QFrame.Shape.NoFrame)  # a frame around the short basic view boxed an empty area
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.inner)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>2 · Configure</h2>"))
        self.lock_note = QLabel("<b>Training is running:</b> these settings are locked until it ends or you stop it.")
        self.lock_note.setWordWrap(True)
        self.lock_note.setVisible(False)
        layout.addWidget(self.lock_note)
        layout.addWidget(scroll, 1)
        for name, tip in TIPS.items():
            getattr(self, name).setToolTip(tip)
        for combo in (self.model_combo, self.preset_combo, self.device_combo, self.targets, self.small_data):
            combo.currentIndexChanged.connect(self._edited)
        self.folds.valueChanged.connect(self._edited)
        guard_fields(self)  # the wheel scrolls the page; it changes a field only once that has focus
        for box in (self.class_weighting, self.auto_length, self.auto_epochs, self.auto_lr, self.allow_download):
            box.toggled.connect(self._edited)
        self.hub_id.editingFinished.connect(self._edited)
        self.set_config(PRESETS["balanced"])

    # -- construction -----------------------------------------------------
    def _model_box(self) -> QGroupBox:
        box = QGroupBox("Base model and preset")
        form = QFormLayout(box)
        self.model_combo = QComboBox()
        self.model_combo.addItem("all-MiniLM-L6-v2 (built in, offline)", EMBEDDED_ID)
        self.model_combo.addItem("Local folder…", LOCAL)
        self.model_combo.addItem("Download from the Hugging Face hub…", HUB)
        self.model_combo.activated.connect(self._model_activated)
        self.model_combo.currentIndexChanged.connect(lambda _i: self._update_target_names())
        form.addRow("Base model:", self.model_combo)
        self.hub_id = QLineEdit(placeholderText="e.g. distilroberta-base")
        self.allow_download = QCheckBox("Allow downloading this model (needs internet)")
        self.hub_id.setVisible(False)
        self.allow_download.setVisible(False)
        form.addRow(self.hub_id)
        form.addRow(self.allow_download)
        self.preset_combo = QComboBox()
        for name in PRESETS:
            self.preset_combo.addItem(name.capitalize(), name)
        self.preset_combo.activated.connect(lambda _i: self.apply_preset(self.preset_combo.currentData()))
        form.addRow("Preset:", self.preset_combo)
        self.preset_help = QLabel()
        self.preset_help.setWordWrap(True)
        form.addRow(self.preset_help)
        return box

    def _device_box(self) -> QGroupBox:
        box = QGroupBox("Device, epochs and time")
        form = QFormLayout(box)
        self.device_combo = QComboBox()
        self.device_combo.addItem("Automatic (best available)", "auto")
        form.addRow("Train on:", self.device_combo)
        self.device_note = QLabel("Looking for devices…")
        self.device_note.setWordWrap(True)
        form.addRow(self.device_note)
        self.epochs = QDoubleSpinBox(decimals=1, minimum=0.1, maximum=100, singleStep=1)
        self.auto_epochs = QCheckBox("Automatic")
        self.epochs_note = QLabel()
        self.epochs_note.setWordWrap(True)
        self.epochs_note.linkActivated.connect(self._epochs_link)
        form.addRow("Epochs:", config_automatic.beside(self.epochs, self.auto_epochs))
        form.addRow(self.epochs_note)
        self.class_weighting = QCheckBox("Weight classes by rarity (for unbalanced data)")
        form.addRow(self.class_weighting)
        self.estimate_label = QLabel("Time: estimated automatically once a dataset is loaded.")
        self.estimate_label.setWordWrap(True)
        self.estimate_label.setMinimumWidth(200)
        self.estimate_button = QLabel('<a href="#">Re-estimate</a>')
        self.estimate_button.setToolTip("Time a few training steps again with the current settings.")
        self.estimate_button.linkActivated.connect(lambda _link: self.estimate_requested.emit())
        form.addRow(self.estimate_label)
        form.addRow(self.estimate_button)
        return box

    def _precision_rows(self, form: QFormLayout) -> None:
        self.precision = QComboBox()
        for text, value in (("Automatic (measured on this computer)", "auto"), ("fp32 (exact)", "fp32"),
                            ("bf16 (faster on recent CPUs and GPUs)", "bf16"), ("fp16 (GPUs only)", "fp16")):
            self.precision.addItem(text, value)
        form.addRow("Precision:", self.precision)
        self.frozen_cache = QSpinBox(minimum=0, maximum=1_000_000, singleStep=256, suffix=" MB")
        self.frozen_cache.setSpecialValueText("off")  # tooltips of these two: config_help.TIPS
        form.addRow("Frozen-layer cache:", self.frozen_cache)
        self.precision.currentIndexChanged.connect(self._edited)
        self.frozen_cache.valueChanged.connect(self._edited)

    def _lora_box(self) -> QGroupBox:
        box = QGroupBox("LoRA")
        form = QFormLayout(box)
        self.rank = QSpinBox(minimum=1, maximum=256)
        self.rank.setToolTip("Adapter size: higher learns more, trains slower and gives a larger file.")
        self.alpha = QSpinBox(minimum=1, maximum=1024)
        self.alpha.setToolTip("Scale of the adapter's contribution; usually twice the rank.")
        self.lora_dropout = QDoubleSpinBox(decimals=2, minimum=0, maximum=0.9, singleStep=0.05)
        self.targets = QComboBox()
        self.targets.addItem("All linear layers", "all")
        self.targets.addItem("Attention only (query/key/value)", "attention")
        self.layer_share = QSpinBox(suffix=" %", minimum=5, maximum=100, singleStep=25)
        self.layer_share.setToolTip("Adapt only the top layers: training stops its backward pass below them.")
        self.target_names = QLabel()
        self.target_names.setWordWrap(True)
        form.addRow("Rank (r):", self.rank)
        form.addRow("Alpha:", self.alpha)
        form.addRow("LoRA dropout:", self.lora_dropout)
        form.addRow("Adapt:", self.targets)
        form.addRow("Top layers adapted:", self.layer_share)
        form.addRow(self.target_names)
        self.targets.currentIndexChanged.connect(self._update_target_names)
        return box

    def _training_box(self) -> QGroupBox:
        box = QGroupBox("Training details")
        form = QFormLayout(box)
        self.lr = QDoubleSpinBox(decimals=5, minimum=0.00001, maximum=0.05, singleStep=0.0001)
        self.auto_lr = QCheckBox("Automatic")
        self.lr_note = QLabel()
        self.lr_note.setWordWrap(True)
        self.batch = QSpinBox(minimum=1, maximum=1024)
        self.auto_length = QCheckBox("Automatic (from your texts' lengths)")
        self.max_length = QSpinBox(minimum=8, maximum=8192, singleStep=8, suffix=" tokens")
        self.auto_length.toggled.connect(lambda on: (self.max_length.setEnabled(not on), self._update_histogram()))
        self.length_info = QLabel("Token lengths: load a dataset to see them.")
        self.length_info.setWordWrap(True)
        self.length_note = QLabel()
        self.length_note.setWordWrap(True)
        self.patience = QSpinBox(minimum=0, maximum=20, suffix=" evaluations")
        self.patience.setSpecialValueText("off")
        self.patience.setToolTip("Stop when validation macro-F1 has not improved this many times; the best epoch is kept.")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        form.addRow("Learning rate:", config_automatic.beside(self.lr, self.auto_lr))
        form.addRow(self.lr_note)
        form.addRow("Batch size:", self.batch)
        form.addRow("Max length:", self.auto_length)
        form.addRow("", self.max_length)
        form.addRow(self.length_note)
        form.addRow(self.length_info)
        self.length_histogram = Histogram()
        form.addRow(self.length_histogram)
        form.addRow("Early stopping:", self.patience)
        form.addRow("Seed:", self.seed)
        self._precision_rows(form)
        # a number typed over an automatic one is taken exactly (first, so the notes below see it)
        self.epochs.valueChanged.connect(lambda _v: self._typed(self.auto_epochs))
        self.lr.valueChanged.connect(lambda _v: self._typed(self.auto_lr))
        for w in (self.epochs, self.lr, self.batch, self.max_length, self.patience, self.seed, self.rank, self.alpha,
                  self.lora_dropout, self.layer_share):
            w.valueChanged.connect(self._edited)
        self.max_length.valueChanged.connect(self._update_histogram)
        for w in (self.epochs, self.batch):
            w.valueChanged.connect(self._update_epochs_note)
        self.auto_epochs.toggled.connect(self._update_epochs_note)
        self.lr.valueChanged.connect(self._update_lr_note)
        self.auto_lr.toggled.connect(self._update_lr_note)
        return box

    # -- behaviour --------------------------------------------------------
    def _edited(self, *_):
        if not self.loading:
            self.changed.emit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._arrange(self.width() < NARROW)

    def _arrange(self, narrow: bool) -> None:
        """Boxes side by side, or one above the other on a narrow window (side by side they clipped words)."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        for grid, left, right in self._pairs:
            for box in (left, right):
                grid.removeWidget(box)
            grid.addWidget(left, 0, 0)
            grid.addWidget(right, *((1, 0) if narrow else (0, 1)))

    def set_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setChecked(shown)
        self.advanced_toggle.setText("Advanced settings ▾" if shown else "Advanced settings ▸")

    def set_locked(self, locked: bool) -> None:
        """While training runs nothing here can change (the run uses the settings it started with)."""
        self.inner.setEnabled(not locked)
        self.lock_note.setVisible(locked)

    def set_train_size(self, n_train: int) -> None:
        """How many examples training will learn from (usable rows less the held-out shares)."""
        self.train_size = n_train
        self._update_epochs_note()

    def set_plan(self, plan, sentence: str | None = None) -> None:
        """The loaded data's small_data.SmallDataPlan (the window computes it), None without data; `sentence`
        replaces the plan's own."""
        self.plan = plan
        self.plan_note.setText(sentence or (plan.sentence if plan is not None else config_small.NO_DATA))
        self._update_epochs_note()

    def set_labels_per_text(self, multi_label: bool) -> None:
        """Whether the loaded data has several labels per text: its automatic learning rate is doubled."""
        self.multi_label = bool(multi_label)
        self._update_lr_note()

    def _typed(self, auto: QCheckBox) -> None:
        if not self.loading:
            auto.setChecked(False)

    def _epochs_link(self, link: str) -> None:
        config_automatic.epochs_link(self, link)

    def _update_lr_note(self, *_) -> None:
        config_automatic.update_lr_note(self)

    def _update_epochs_note(self, *_) -> None:
        config_automatic.update_epochs_note(self)

    def _update_histogram(self, *_) -> None:
        config_automatic.update_length_note(self)

    def _model_activated(self, _index: int) -> None:
        data = self.model_combo.currentData()
        is_hub = data == HUB
        self.hub_id.setVisible(is_hub)
        self.allow_download.setVisible(is_hub)
        if data == LOCAL:
            self.browse_model_requested.emit()

    def add_model(self, label: str, ref: str, select: bool = False) -> None:
        index = self.model_combo.findData(ref)
        if index < 0:
            index = self.model_combo.count() - 2  # before "Local folder…" and "Download…"
            self.model_combo.insertItem(index, label, ref)
        if select:
            self.model_combo.setCurrentIndex(index)
            self._update_target_names()

    def set_devices(self, devices) -> None:
        self.device_combo.clear()
        self.device_combo.addItem("Automatic (best available)", "auto")
        notes = []
        for d in devices:
            self.device_combo.addItem(d.name if d.available else f"{d.name} — unavailable", d.kind)
            if not d.available:
                item = self.device_combo.model().item(self.device_combo.count() - 1)
                item.setEnabled(False)
                item.setToolTip(d.reason)
                notes.append(f"{d.kind.upper()}: {d.reason}.")
        chosen = self.config_base.device
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(chosen)))
        best = next((d for d in devices if d.available), None)
        # why a GPU is not used matters to few users: in the tooltip and the unavailable items, not on the page
        self.show_device_in_use(best.name if best else "CPU")
        self.device_note.setToolTip("<br>".join(notes))

    def show_device_in_use(self, name: str) -> None:
        """The device Automatic uses as training names it (jobs.warm_up_job, then each time estimate's reading)."""
        self.device_note.setText(f"Automatic uses: <b>{name}</b>")

    def set_token_lengths(self, lengths: list[int], model_limit: int = 512) -> None:
        """Token counts from the chosen model's tokenizer, and that model's input limit."""
        self.lengths, self.model_limit = list(lengths), model_limit
        ordered = sorted(self.lengths)
        if ordered:
            pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
            self.length_info.setText(f"Token lengths: median {pick(0.5)}, 90% up to {pick(0.9)}, "
                                     f"98% up to {pick(0.98)}, longest {ordered[-1]}.")
        else:
            self.length_info.setText("Token lengths: load a dataset to see them.")
        self._update_histogram()

    def set_estimate(self, text: str, details: str = "") -> None:
        self.estimate_label.setText(text)
        self.estimate_label.setToolTip(details)

    def _update_target_names(self) -> None:
        """The layer names LoRA will adapt, as the core decides them for the chosen base model."""

        mode = self.targets.currentData()
        if mode == CUSTOM:
            base = self.config_base
            self.target_names.setText("Layers (from the configuration file): " + ", ".join(base.lora.targets))
            return
        model_type = peek_model_type(self.model_combo.currentData())
        try:
            chosen = lora_targets(model_type or "", mode)
        except ModelError:
            self.target_names.setText("Layers: found automatically (attention projections).")
        else:
            self.target_names.setText(f"Layers ({model_type}): " + ", ".join(chosen))

    def apply_preset(self, name: str) -> None:
        current = self.config()
        self.set_config(PRESETS[name].with_overrides(base_model=current.base_model, device=current.device,
                                                    allow_download=current.allow_download))

    def set_config(self, config: TrainConfig) -> None:
        self.loading = True
        try:
            index = self.preset_combo.findData(config.preset)
            self.preset_combo.setCurrentIndex(max(0, index))
            self.preset_help.setText(PRESET_HELP.get(config.preset, ""))
            if self.model_combo.findData(config.base_model) < 0 and config.base_model != EMBEDDED_ID:
                self.add_model(Path(config.base_model).name or config.base_model, config.base_model)
            self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(config.base_model)))
            self.allow_download.setChecked(config.allow_download)
            self.rank.setValue(config.lora.r)
            self.alpha.setValue(config.lora.alpha)
            self.lora_dropout.setValue(config.lora.dropout)
            custom = self.targets.findData(CUSTOM)
            if isinstance(config.lora.targets, tuple) and custom < 0:
                self.targets.addItem("Custom (from file)", CUSTOM)
            elif not isinstance(config.lora.targets, tuple) and custom >= 0:
                self.targets.removeItem(custom)
            targets = CUSTOM if isinstance(config.lora.targets, tuple) else config.lora.targets
            self.targets.setCurrentIndex(self.targets.findData(targets))
            self.layer_share.setValue(round(config.lora.layer_share * 100))
            self.auto_epochs.setChecked(config.epochs is None)
            self.epochs.setValue(config.epochs or config.starting.epochs)  # automatic: the notes show the number
            self.auto_lr.setChecked(config.learning_rate is None)
            self.lr.setValue(config.learning_rate or config.starting.learning_rate)
            self.batch.setValue(config.batch_size)
            self.auto_length.setChecked(config.max_length is None)
            self.max_length.setValue(config.max_length or config.max_length_cap)
            self.max_length.setEnabled(config.max_length is not None)
            self.class_weighting.setChecked(config.class_weighting)
            self.patience.setValue(config.early_stopping_patience)
            self.seed.setValue(min(config.seed, self.seed.maximum()))  # seeds above 2**31 are kept by config()
            index = self.device_combo.findData(config.device)
            self.device_combo.setCurrentIndex(max(0, index))
            self.precision.setCurrentIndex(max(0, self.precision.findData(config.precision)))
            self.frozen_cache.setValue(config.frozen_cache_mb)
            self.small_data.setCurrentIndex(max(0, self.small_data.findData(config.small_data)))
            self.folds.setValue(config.folds)
            self.config_base = config
            self._update_target_names()
            self._update_histogram()
            self._update_epochs_note()
            self._update_lr_note()
        finally:
            self.loading = False

    def problem(self) -> str | None:
        """A setting that cannot work as chosen, in plain words (checked before training starts)."""
        if self.model_combo.currentData() == HUB and not self.hub_id.text().strip():
            return "Type the Hugging Face id of the model to download (for example distilroberta-base)."
        return None

    def config(self) -> TrainConfig:
        """The config it was given with the shown fields replaced, so settings the panel does not show
        (min_steps, custom targets, fractions…) survive (read on the GUI thread before a job starts)."""
        base = self.config_base
        ref = self.model_combo.currentData()
        if ref == HUB:
            ref = self.hub_id.text().strip() or EMBEDDED_ID
        elif ref == LOCAL:
            ref = base.base_model
        mode = self.targets.currentData()
        seed = base.seed if self.seed.value() == min(base.seed, self.seed.maximum()) else self.seed.value()
        device = self.device_combo.currentData() or "auto"
        if self.device_combo.findData(base.device) < 0:  # devices not listed yet (start-up): keep the choice
            device = base.device
        return replace(
            base, base_model=ref, preset=self.preset_combo.currentData(),
            lora=replace(base.lora, r=self.rank.value(), alpha=self.alpha.value(), dropout=self.lora_dropout.value(),
                         targets=base.lora.targets if mode == CUSTOM else mode,
                         layer_share=self.layer_share.value() / 100),
            epochs=None if self.auto_epochs.isChecked() else self.epochs.value(),
            learning_rate=None if self.auto_lr.isChecked() else self.lr.value(), batch_size=self.batch.value(),
            max_length=None if self.auto_length.isChecked() else self.max_length.value(),
            class_weighting=self.class_weighting.isChecked(), early_stopping_patience=self.patience.value(),
            seed=seed, device=device, precision=self.precision.currentData(),
            frozen_cache_mb=self.frozen_cache.value(), small_data=self.small_data.currentData(),
            folds=self.folds.value(),
            allow_download=self.allow_download.isChecked() and self.model_combo.currentData() == HUB)
