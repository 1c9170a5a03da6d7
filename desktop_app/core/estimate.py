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

    from .events import checkpoint
    from .preparation import attach_lora, choose_max_length, ensure_min_steps, prepare_model
    from .text import TextEncoder

    prepared = prepare_model(config, ("a", "b"), cancel=cancel)  # the same preparation training uses
    device, tokenizer, limit = prepared.device, prepared.tokenizer, prepared.token_limit
    model = attach_lora(config, prepared.base, prepared.model)
    checkpoint(cancel)
    model.to(device.kind if device.kind != "cpu" else "cpu").train()
    sample = random.Random(config.seed).sample(texts, min(len(texts), 2000))
    probe = TextEncoder(tokenizer, limit)
    raw = probe.tokenize(sample)
    max_length = choose_max_length(config, probe.lengths(raw), limit)
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
