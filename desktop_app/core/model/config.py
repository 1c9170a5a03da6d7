"""Training configuration: dataclasses, presets, validation and a JSON round trip."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from ..disk.atomic import atomic_write_text
from ..base.errors import ConfigError
from ..data.multilabel import LabelSpec
from ..base.sanitize import printable
from .base_models import EMBEDDED_ID
from ..base.validate import read_json

# 2: unset epochs and learning rate (null) mean "automatic"; a number means exactly that number. Version 1
# had no null: a preset's own value was adjusted as if unset (from_dict reads it so).
CONFIG_VERSION = 2
AUTOMATIC = ("epochs", "learning_rate", "max_length")  # the settings LoRA Studio may choose for the data


@dataclass(frozen=True)
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.0      # LoRA dropout on every adapted layer's input nearly halves CPU speed
    targets: str | tuple[str, ...] = "all"   # "all" (attention + feed-forward), "attention", or names
    layer_share: float = 0.5  # adapt only the top share of layers: backward then stops below them (~1.5x)


@dataclass(frozen=True)
class TrainConfig:
    base_model: str = EMBEDDED_ID
    preset: str = "balanced"
    lora: LoraSettings = field(default_factory=LoraSettings)
    # Unset (None) means automatic, adjusted for the data and task; a number means exactly that number.
    epochs: float | None = None          # None: the preset's, more on small data (min_steps; preparation.py)
    learning_rate: float | None = None   # None: the preset's, scaled for several labels per text (objectives.py)
    batch_size: int = 32
    max_length: int | None = None        # None: derived from the data's token lengths, at most max_length_cap
    max_length_cap: int = 256            # upper bound for the derived length
    weight_decay: float = 0.01
    model_dropout: float | None = 0.0    # the frozen base's own dropout; None keeps the model's setting
    warmup: float = 0.06                 # share of steps
    class_weighting: bool = False
    early_stopping_patience: int = 2     # evaluations without macro-F1 gain; 0 turns it off
    min_steps: int = 120                 # automatic epochs: small datasets get more (up to 20) to reach this many updates
    validation_fraction: float = 0.15
    test_fraction: float = 0.0
    seed: int = 42
    device: str = "auto"
    precision: str = "auto"              # auto: measured on this computer (core/precision.py); fp32, bf16, fp16
    frozen_cache_mb: int = 1024          # memory for the frozen layers' outputs (core/frozen_cache.py); 0: off
    text_column: str | None = None
    label_column: str | None = None
    multi_label: bool | None = None      # several labels per text; None: as the data shows (multilabel.py)
    label_separator: str | None = None   # what joins a cell's labels; None: sniffed
    label_columns: tuple[str, ...] = ()  # several 0/1 columns, one per label
    none_of_these: bool = False          # a row without labels means "none of these" (else it is skipped)
    allow_download: bool = False
    small_data: str = "auto"             # k-fold estimate + training on every row (small_data.py): auto by size, on, off
    folds: int = 5                       # the small-data path's cross-validation folds (fewer when a class is smaller)
    pooling: str = "auto"                # text -> vector for the head: auto (mean on small data for BERT bases), mean, cls
    # Not a setting: which of AUTOMATIC a run filled in itself (for_task, ensure_min_steps), so that the saved run
    # says which values were adjusted and which were taken as given. Never written to a configuration file.
    automatic: tuple[str, ...] = ()

    @property
    def starting(self) -> "PresetStart":
        """What automatic epochs and learning rate start from: this config's preset's values."""
        return PRESET_START.get(self.preset, PRESET_START["balanced"])

    def validate(self) -> "TrainConfig":
        _check_types(asdict(self), TrainConfig)
        _check_types(asdict(self.lora), LoraSettings, "lora.")
        problems = []
        if not 0 <= self.seed <= MAX_SEED:
            problems.append(f"the seed must be a whole number from 0 to {MAX_SEED}")
        if not 1 <= self.lora.r <= 256:
            problems.append("LoRA rank must be between 1 and 256")
        if not 0 < self.lora.alpha <= 1024:
            problems.append("LoRA alpha must be between 1 and 1024")
        if not 0 <= self.lora.dropout < 1:
            problems.append("LoRA dropout must be at least 0 and below 1")
        if isinstance(self.lora.targets, str) and self.lora.targets not in ("all", "attention"):
            problems.append("LoRA targets must be “all”, “attention” or a list of layer names")
        if not 0 < self.lora.layer_share <= 1:
            problems.append("the share of adapted layers must be above 0 and at most 1")
        if self.epochs is not None and not 0 < self.epochs <= 100:
            problems.append("epochs must be above 0 and at most 100")
        if self.learning_rate is not None and not 1e-7 <= self.learning_rate <= 1e-1:
            problems.append("the learning rate must be between 0.0000001 and 0.1")
        if not 1 <= self.batch_size <= 1024:
            problems.append("the batch size must be between 1 and 1024")
        if self.max_length is not None and not 8 <= self.max_length <= 8192:
            problems.append("the maximum length must be between 8 and 8192 tokens")
        if not 8 <= self.max_length_cap <= 8192:
            problems.append("the maximum length cap must be between 8 and 8192 tokens")
        if not 0 <= self.warmup < 1:
            problems.append("warm-up must be a share of the steps, from 0 to below 1")
        if self.model_dropout is not None and not 0 <= self.model_dropout < 1:
            problems.append("model dropout must be from 0 to below 1")
        if not 0 <= self.weight_decay < 1:
            problems.append("weight decay must be from 0 to below 1")
        if not 0 <= self.min_steps <= 100_000:
            problems.append("the minimum number of steps must be between 0 and 100000")
        if self.early_stopping_patience < 0:
            problems.append("early-stopping patience cannot be negative")
        if not 0 < self.validation_fraction < 0.9 or not 0 <= self.test_fraction < 0.9 \
                or self.validation_fraction + self.test_fraction >= 0.9:
            problems.append("validation and test shares must be between 0 and 90% together")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            problems.append("the device must be auto, cpu, cuda or mps")
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            problems.append("the precision must be auto, fp32, bf16 or fp16")
        if not 0 <= self.frozen_cache_mb <= 1_000_000:
            problems.append("the frozen-layer cache must be from 0 to 1000000 MB")
        if self.small_data not in ("auto", "on", "off"):
            problems.append("the small-data path must be auto, on or off")
        if not 2 <= self.folds <= 10:
            problems.append("cross-validation folds must be from 2 to 10")
        if self.pooling not in ("auto", "mean", "cls"):
            problems.append("the pooling must be auto, mean or cls")
        problems += LabelSpec.from_config(self).problems()  # the one rule, shared with the data report
        if self.label_columns and self.label_column:
            problems.append("several label columns make a multi-label model: choose them or one label column")
        if problems:
            raise ConfigError("Some settings are out of range: " + "; ".join(problems) + ".")
        return self

    def with_overrides(self, **changes) -> "TrainConfig":
        """Return a copy with the given non-None values changed (CLI flags, GUI fields)."""
        lora_changes = {k[5:]: v for k, v in changes.items() if k.startswith("lora_") and v is not None}
        plain = {k: v for k, v in changes.items() if not k.startswith("lora_") and v is not None}
        cfg = replace(self, **plain)
        return replace(cfg, lora=replace(cfg.lora, **lora_changes)) if lora_changes else cfg

    # -- JSON --------------------------------------------------------------
    def to_dict(self) -> dict:
        data = asdict(self)
        if isinstance(self.lora.targets, tuple):
            data["lora"]["targets"] = list(self.lora.targets)
        data["label_columns"] = list(self.label_columns)
        del data["automatic"]  # what a run chose is recorded by its manifest (manifest.py), not in settings
        for key, default in {**LABEL_DEFAULTS, **SMALL_DATA_DEFAULTS}.items():  # the file an older version reads too
            if data[key] == default:
                del data[key]
        return {"config_version": CONFIG_VERSION, **data}

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        if not isinstance(data, dict):
            raise ConfigError("This configuration file does not hold a settings object.")
        data = dict(data)
        version = data.pop("config_version", CONFIG_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ConfigError(f"The configuration's “config_version” should be a whole number, not "
                              f"{printable(repr(version))[:40]}.")
        if version > CONFIG_VERSION:
            raise ConfigError("This configuration was written by a newer LoRA Studio.", "Update LoRA Studio.")
        lora = data.pop("lora", None) or {}
        if not isinstance(lora, dict):
            raise ConfigError("The configuration's “lora” settings should be an object of LoRA settings.")
        lora = dict(lora)
        known = {f.name for f in fields(cls)} - {"automatic"}
        unknown = sorted(set(data) - known) + sorted(f"lora.{k}" for k in set(lora) - {f.name for f in fields(LoraSettings)})
        if unknown:
            raise ConfigError(f"Unknown settings in the configuration: {', '.join(unknown)}.")
        if isinstance(lora.get("targets"), list):
            lora["targets"] = tuple(lora["targets"])
        if isinstance(data.get("label_columns"), list):
            data["label_columns"] = tuple(data["label_columns"])
        _check_types(data, cls)
        _check_types(lora, LoraSettings, "lora.")
        if version < 2:
            _read_version_1(data)
        return cls(lora=LoraSettings(**lora), **data).validate()

    def save(self, path: str | Path) -> None:
        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> "TrainConfig":
        data = read_json(Path(path), lambda: ConfigError(f"The configuration file “{path}” does not exist."),
                         lambda exc: ConfigError(f"“{Path(path).name}” is not a valid configuration file (JSON)."))
        return cls.from_dict(data)


def _read_version_1(data: dict) -> None:
    """Version 1 meant "automatic" by the preset's own value: its learning rate was scaled for several labels
    per text, its epochs raised on small data. Read so, such a file trains as it did. Other values were the
    user's and are kept exactly (epochs other than the preset's were raised then too: no longer)."""
    start = PRESET_START.get(data.get("preset", "balanced"))
    if start is None:
        return
    if data.get("learning_rate", start.learning_rate) == start.learning_rate:
        data["learning_rate"] = None
    if data.get("epochs", start.epochs) == start.epochs and data.get("min_steps", 120) != 0:
        data["epochs"] = None  # min_steps 0 (the command line's --epochs) took the number as given


LABEL_DEFAULTS = {"multi_label": None, "label_separator": None, "label_columns": [], "none_of_these": False}
SMALL_DATA_DEFAULTS = {"small_data": "auto", "folds": 5, "pooling": "auto"}
MAX_SEED = 2**32 - 1  # numpy's limit; torch and random accept it too
# What each setting may hold, checked before any range check (a settings file comes from anywhere).
_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "LoraSettings": (LoraSettings, dict)}


def _check_types(values: dict, cls, prefix: str = "") -> None:
    for f in fields(cls):
        if f.name not in values:
            continue
        value, kinds = values[f.name], f.type.replace(" ", "").split("|")
        if value is None and "None" in kinds:
            continue
        if f.name in ("targets", "label_columns", "automatic") and isinstance(value, (tuple, list)):
            if (value or f.name != "targets") and all(isinstance(t, str) and 0 < len(t) <= 1000 for t in value):
                continue
        allowed = tuple(t for k in kinds for t in _TYPES.get(k, ()))
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            expected = {"str": "text", "int": "a whole number", "float": "a number", "bool": "true or false",
                        "LoraSettings": "LoRA settings", "tuple[str,...]": "a list of names"}
            shown = " or ".join(expected.get(k, k) for k in kinds if k != "None")
            raise ConfigError(f"The setting “{prefix}{f.name}” should be {shown}, not {printable(repr(value))[:40]}.")


@dataclass(frozen=True)
class PresetStart:
    """A preset's epochs and learning rate: where its automatic settings start from."""
    epochs: float
    learning_rate: float


# Presets, measured on real data (docs/BENCHMARKS.md). LoRA wants a learning rate ~10-50x a full
# fine-tune's. Adapting only the top half of the layers lets backward stop halfway (~1.5x faster on a
# CPU) for under a point of accuracy; "thorough" adapts every layer. Their epochs and learning rate are
# automatic (PRESET_START, adjusted for the data and task); a number set over them is taken exactly.
PRESET_START = {"quick": PresetStart(2, 1e-3), "balanced": PresetStart(3, 5e-4), "thorough": PresetStart(6, 5e-4)}
PRESETS: dict[str, TrainConfig] = {
    "quick": TrainConfig(preset="quick", lora=LoraSettings(r=8, alpha=16, targets="attention"),
                         max_length_cap=128, early_stopping_patience=0),
    "balanced": TrainConfig(),
    "thorough": TrainConfig(preset="thorough", lora=LoraSettings(layer_share=1.0),
                            batch_size=16, max_length_cap=512, early_stopping_patience=2),
}
PRESET_HELP = {
    "quick": "A first look in minutes: attention layers only, 2 epochs (more on small data), no early stopping, "
             "texts cut at 128 tokens.",
    "balanced": "The default: the top half of the layers, 3 epochs; good on reviews, tweets and short documents.",
    "thorough": "Every layer, up to 6 epochs with early stopping, texts up to 512 tokens: the last points of accuracy.",
}


def preset(name: str) -> TrainConfig:
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ConfigError(f"There is no preset called “{name}”.",
                          f"Choose one of: {', '.join(PRESETS)}.") from None
