"""What training and the time estimate both start from: one preparation, so they cannot drift.

prepare_model picks the device, verifies the base model, loads its tokenizer and the classifier (seeded
before the head is drawn); choose_max_length derives the input length from the data; ensure_min_steps
fills in the automatic epochs and learning rate and attach_lora finishes the set-up once the number of
examples is known.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..model.config import TrainConfig
from ..model.devices import pick_device
from ..base.errors import TrainingError
from ..base.events import CancelToken, LogLine, checkpoint
from ..model.base_models import head_modules, load_tokenizer, lora_targets, model_token_limit, resolve_base_model
from ..model.pooling import CLS, MEAN, MEAN_POOLING_TYPES, default_pooling, pooling_of
from ..model.text import length_in_use
from ..model import base_models, devices


@dataclass
class PreparedModel:
    device: object      # devices.DeviceInfo
    base: object        # models.BaseModel
    tokenizer: object
    model: object       # the classifier, LoRA not attached yet
    token_limit: int    # the longest input the model takes


def prepare_model(config: TrainConfig, labels: tuple[str, ...], emit: Callable = lambda event: None,
                  cancel: CancelToken | None = None, processes_here: int = 1, small: bool = False) -> PreparedModel:
    """processes_here: the training processes on this machine (torchrun's LOCAL_WORLD_SIZE) share its cores.
    small: the small-data path, whose probe head reads mean-pooled vectors where the model allows it."""
    device = pick_device(config.device)
    threads = devices.configure_cpu_threads(processes_here)  # module attributes: tests patch them
    device = in_use(device, threads)
    emit(LogLine(f"Device: {device.name}" + (f" ({threads} CPU threads for data)" if device.kind != "cpu" else "")))
    base = resolve_base_model(config.base_model, allow_download=config.allow_download)
    emit(LogLine(f"Base model: {base.describe()}"))
    checkpoint(cancel)
    tokenizer = load_tokenizer(base)
    seed_everything(config.seed)  # the new head and LoRA's A matrices are drawn now, before the Trainer seeds
    model = base_models.load_classifier(base, labels, config.model_dropout, multi_label=bool(config.multi_label),
                            pooling=resolve_pooling(config, base.model_type, small))
    checkpoint(cancel)
    return PreparedModel(device, base, tokenizer, model, model_token_limit(model, tokenizer))


def in_use(device, threads: int):
    """A device as training names it: the CPU with the threads training starts with (threads.initial_threads),
    not its cores (others' programs may hold some). The window's Configure line and status bar name it so too."""
    if device.kind != "cpu":
        return device
    return replace(device, name=f"CPU, {threads} thread{'s' if threads != 1 else ''}")


def resolve_pooling(config: TrainConfig, model_type: str, small: bool = False) -> str:
    """"auto": mean pooling on the small-data path where the model allows it (measured: a probe on the unit-length
    mean beats the [CLS] pooler by 0.14-0.18 macro-F1 at 8-32 examples per class); the usual path keeps the
    [CLS] head its benchmarks were measured with (docs/BENCHMARKS.md)."""
    if config.pooling == MEAN and model_type not in MEAN_POOLING_TYPES:
        raise TrainingError(f"Mean pooling is available for BERT-family models, not “{model_type}”.",
                            "Choose the pooling “auto” or “cls” for this model.")
    if config.pooling == "auto":
        return default_pooling(model_type) if small else CLS
    return config.pooling


def choose_max_length(config: TrainConfig, token_counts: list[int], limit: int) -> int:
    """The configured length (within the model's limit), or the one that covers ~98% of the texts."""
    return length_in_use(config.max_length, config.max_length_cap, token_counts, limit)


def seed_everything(seed: int) -> None:
    from transformers import set_seed

    set_seed(seed)


MAX_AUTO_EPOCHS = 20


def automatic_epochs(config: TrainConfig, n_train: int) -> float:
    """The epochs an unset Epochs means: the preset's, and on small datasets more, up to MAX_AUTO_EPOCHS, so
    that the model gets about min_steps updates. Measured: 142 long speeches, 3 epochs = 15 updates stayed
    near the majority class."""
    start = config.starting.epochs
    per_epoch = math.ceil(n_train / config.batch_size)
    if not config.min_steps or per_epoch * start >= config.min_steps:
        return float(start)
    return float(max(start, min(MAX_AUTO_EPOCHS, math.ceil(config.min_steps / per_epoch))))


def ensure_min_steps(config: TrainConfig, n_train: int, emit) -> TrainConfig:
    """The config with its automatic (unset) epochs and learning rate filled in for this data; a number the
    user set is kept exactly. The learning rate is the preset's (for_task has already scaled it for several
    labels per text); the epochs, automatic_epochs (early stopping keeps the best epoch)."""
    chosen = list(config.automatic)
    if config.learning_rate is None:
        config = replace(config, learning_rate=config.starting.learning_rate)
        chosen.append("learning_rate")
    if config.epochs is None:
        epochs, start = automatic_epochs(config, n_train), config.starting.epochs
        if epochs > start:
            emit(LogLine(f"Small dataset: training up to {epochs:g} epochs instead of the “{config.preset}” preset's "
                         f"{start:g} so the model gets about {epochs * math.ceil(n_train / config.batch_size):g} "
                         "updates; the best epoch is kept. Set a number of epochs to run exactly that number."))
        config = replace(config, epochs=epochs)
        chosen.append("epochs")
    return replace(config, automatic=tuple(dict.fromkeys(chosen)))


def attach_lora(config: TrainConfig, base, model):
    from peft import LoraConfig, TaskType, get_peft_model

    targets = list(config.lora.targets) if isinstance(config.lora.targets, tuple) \
        else lora_targets(base.model_type, config.lora.targets, model)
    layers = None
    n = getattr(model.config, "num_hidden_layers", None) or getattr(model.config, "n_layers", None)
    if config.lora.layer_share < 1 and n:
        layers = list(range(n - max(1, math.ceil(n * config.lora.layer_share)), n))
    lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=config.lora.r, lora_alpha=config.lora.alpha,
                      lora_dropout=config.lora.dropout, target_modules=targets, layers_to_transform=layers,
                      modules_to_save=head_modules(base.model_type, pooling_of(model)))
    try:
        return get_peft_model(model, lora)
    except ValueError as exc:
        raise TrainingError("The chosen LoRA target layers do not exist in this model.",
                            f"Use the suggested targets. ({str(exc)[:160]})") from exc
