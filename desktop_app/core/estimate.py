"""A pre-flight estimate of time per epoch on this device: a few real training steps, timed."""

from __future__ import annotations

import math
import random
import time

from .config import TrainConfig


def estimate_epoch_seconds(config: TrainConfig, texts: list[str], steps: int = 3, cancel=None) -> dict:
    """Time `steps` LoRA training steps on batches drawn from the user's texts; extrapolate to one epoch.
    Raises events.Cancelled between steps once `cancel` is set (the window is closing)."""
    import torch

    from .devices import configure_cpu_threads, pick_device
    from .events import checkpoint
    from .models import load_classifier, load_tokenizer, model_token_limit, resolve_base_model
    from .text import TextEncoder, derive_max_length
    from .training import attach_lora, ensure_min_steps

    device = pick_device(config.device)
    configure_cpu_threads()
    base = resolve_base_model(config.base_model, allow_download=config.allow_download)
    tokenizer = load_tokenizer(base)
    checkpoint(cancel)
    model = attach_lora(config, base, load_classifier(base, ("a", "b"), config.model_dropout))
    checkpoint(cancel)
    model.to(device.kind if device.kind != "cpu" else "cpu").train()
    limit = model_token_limit(model, tokenizer)
    sample = random.Random(config.seed).sample(texts, min(len(texts), 2000))
    probe = TextEncoder(tokenizer, limit)
    raw = probe.tokenize(sample)
    max_length = config.max_length or derive_max_length(probe.lengths(raw), config.max_length_cap, limit)
    encoder = TextEncoder(tokenizer, max_length)
    ids = sorted(encoder.finish(raw), key=len)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    batch = config.batch_size
    # length-grouped batches: time one batch from each quantile of length, weighted equally
    starts = [int(q * max(0, len(ids) - batch)) for q in (0.25, 0.5, 0.9)][:steps]

    def step(start: int) -> None:
        inputs = encoder.collate(ids[start:start + batch])
        inputs = {k: v.to(next(model.parameters()).device) for k, v in inputs.items()}
        labels = torch.zeros(inputs["input_ids"].shape[0], dtype=torch.long, device=inputs["input_ids"].device)
        model(**inputs, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    step(starts[0])  # warm-up: allocations and kernel selection
    began = time.perf_counter()
    for start in starts:
        checkpoint(cancel)
        step(start)
    per_step = (time.perf_counter() - began) / len(starts)
    steps_per_epoch = math.ceil(len(texts) / batch)
    epoch = per_step * steps_per_epoch * 1.1  # ~10% for evaluation and bookkeeping
    epochs = ensure_min_steps(config, len(texts), lambda event: None).epochs  # small data trains longer
    return {"seconds_per_epoch": epoch, "total_seconds": epoch * epochs, "epochs": epochs, "device": device.name,
            "max_length": max_length}
