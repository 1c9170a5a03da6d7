"""A pre-flight estimate of time per epoch on this device: a few real training steps, timed.

On a CPU the same steps decide the precision: they run in fp32 and in bf16 on the user's batch shape,
the faster one is remembered for training (core/precision.py), and its time is the estimate.
"""

from __future__ import annotations

import math
import os
import random

from ..model.config import TrainConfig
from ..base.events import checkpoint
from ..model.precision import ENV_FORCE, decide, machine_key, probe_batches, remember, resolve
from .preparation import attach_lora, choose_max_length, ensure_min_steps, prepare_model
from ..data.small_data_plan import plan_for
from ..model.text import TextEncoder
from ..model import precision


def estimate_epoch_seconds(config: TrainConfig, texts: list[str], steps: int = 3, cancel=None,
                           labels: list | None = None) -> dict:
    """Time LoRA training steps on batches drawn from the user's texts; extrapolate to one epoch.
    With the labels, small data's total covers every cross-validation fold and the kept model (small_data.py).
    Raises events.Cancelled between steps once `cancel` is set (the window is closing)."""
    import torch

    prepared = prepare_model(config, ("a", "b"), cancel=cancel)  # the same preparation training uses
    device, tokenizer, limit = prepared.device, prepared.tokenizer, prepared.token_limit
    model = attach_lora(config, prepared.base, prepared.model)
    checkpoint(cancel)
    place = device.kind if device.kind != "cpu" else "cpu"
    model.to(place)
    sample = random.Random(config.seed).sample(texts, min(len(texts), 2000))
    probe = TextEncoder(tokenizer, limit)
    raw = probe.tokenize(sample)
    max_length = choose_max_length(config, probe.lengths(raw), limit)
    encoder = TextEncoder(tokenizer, max_length)
    batches = probe_batches(encoder, encoder.finish(raw), config.batch_size, place)
    between = lambda: checkpoint(cancel)  # noqa: E731
    key = machine_key(model, config.batch_size, max_length, torch.get_num_threads())
    timings = None
    if device.kind == "cpu" and config.precision == "auto" and os.environ.get(ENV_FORCE) not in ("fp32", "bf16"):
        timings = precision.measure_steps(model, batches, between=between)  # fresh, kept for training; tests patch it
        remember(key, timings)
        name = decide(timings)
    else:
        name = resolve(config.precision, device, lambda: {}, key).name
        timings = precision.measure_steps(model, batches, names=(name,), rounds=max(1, steps // 2), between=between)
    per_step = timings[name]
    steps_per_epoch = math.ceil(len(texts) / config.batch_size)
    epoch = per_step * steps_per_epoch * 1.1  # ~10% for evaluation, the optimizer and bookkeeping
    epochs = ensure_min_steps(config, len(texts), lambda event: None).epochs  # small data trains longer
    out = {"seconds_per_epoch": epoch, "total_seconds": epoch * epochs, "epochs": epochs, "device": device.name,
           "max_length": max_length, "precision": name, "fits": 1}
    if labels is not None:
        out.update(_small_data_total(config, texts, labels, per_step))
    return out


def _small_data_total(config: TrainConfig, texts: list[str], labels: list, per_step: float) -> dict:
    """On the small-data path: every fold's fit and the kept model's, each its steps of pair tuning, in fp32."""
    # here, not at the top: these load pandas or numpy, needed only on this path (start-up speed)
    from ..data.dataset import Examples
    from . import pair_tuning
    from .small_data import fit_steps, passes

    multi = bool(labels) and isinstance(labels[0], (tuple, list))
    plan = plan_for(Examples(list(texts), list(labels), multi_label=multi), config)
    if not plan.small:
        return {}
    rows = len(texts)
    # a pair step encodes up to PAIR_BATCH texts through every layer (the measured step's backward stops half-way)
    step = per_step * min(rows, pair_tuning.PAIR_BATCH) / config.batch_size * 1.5
    total = step * (fit_steps(rows) + plan.folds * fit_steps(rows - rows // plan.folds))
    epochs = passes(rows)
    return {"total_seconds": total, "seconds_per_epoch": step * fit_steps(rows) / max(epochs, 1e-9),
            "epochs": epochs, "fits": plan.fits, "folds": plan.folds}
