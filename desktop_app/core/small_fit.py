"""One fit of the small-data path: a plain training loop over length-grouped batches, progress over every fit,
and the frozen lower layers' outputs computed once and replayed by every fit (small_data.py runs the fits)."""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable

from .events import CancelToken, StepProgress, checkpoint
from .frozen_cache import INDEX_KEY

# The fixed settings every fit of the small path uses, chosen on bench/bench_small_data.py (docs/BENCHMARKS.md).
SMALL_EPOCHS = 3
SMALL_LEARNING_RATE = 2e-4
SMALL_BATCH = 16
SMALL_MIN_STEPS = 0   # the fewest optimiser updates a fit gets: the probe head needs no extra epochs to learn
MAX_SMALL_EPOCHS = 40


class Progress:
    """StepProgress over every fit of the run (folds and the kept model), throttled to ~10 a second."""

    def __init__(self, emit: Callable, total: int, batch: int, interval: float = 0.1) -> None:
        self.emit, self.total, self.batch, self.interval = emit, total, batch, interval
        self.step, self.started, self.last = 0, time.monotonic(), float("-inf")
        self.epoch, self.loss, self.lr = 0.0, None, None

    def advance(self, epoch: float, loss: float, lr: float) -> None:
        self.step += 1
        self.epoch, self.loss, self.lr = epoch, loss, lr
        now = time.monotonic()
        if now - self.last >= self.interval or self.step >= self.total:
            self.last = now
            elapsed = now - self.started
            rate = self.step / elapsed if elapsed > 0 else None
            eta = (self.total - self.step) / rate if rate else None
            self.emit(StepProgress(self.step, self.total, epoch, loss, lr, elapsed, eta,
                                   rate * self.batch if rate else None))


def fit_settings(rows: int) -> tuple[int, int]:
    """(epochs, steps) of one fit on `rows` examples: SMALL_EPOCHS, more on the tiniest sets."""
    per_epoch = max(1, math.ceil(rows / SMALL_BATCH))
    epochs = min(MAX_SMALL_EPOCHS, max(SMALL_EPOCHS, math.ceil(SMALL_MIN_STEPS / per_epoch)))
    return epochs, epochs * per_epoch


def fit(model, encoder, ids: list[list[int]], targets: list, objective, config, progress: Progress,
        cancel: CancelToken | None, seed: int, class_weights_from: list | None = None,
        index: list[int] | None = None) -> None:
    """Train the model's trainable weights (LoRA and head) on the examples: AdamW, linear decay after a warm-up,
    a fixed number of epochs, no evaluation. Raises Cancelled within one step of Stop."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    epochs, steps = fit_settings(len(ids))
    device = next(model.parameters()).device
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=SMALL_LEARNING_RATE, weight_decay=config.weight_decay)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup * steps), steps)
    loss_func = objective.weighted_loss(class_weights_from) if class_weights_from is not None else None
    rng = random.Random(seed)
    model.train()
    done = 0
    for epoch in range(epochs):
        batches = _length_grouped(ids, rng)
        for number, chunk in enumerate(batches):
            checkpoint(cancel)
            batch = {k: v.to(device) for k, v in encoder.collate([ids[i] for i in chunk]).items()}
            labels = objective.label_tensor([targets[i] for i in chunk]).to(device)
            if index is not None:  # names the rows, for the frozen layers' stored outputs (_FrozenLayers)
                batch[INDEX_KEY] = torch.tensor([index[i] for i in chunk], dtype=torch.long)
            if loss_func is None:
                loss = model(**batch, labels=labels).loss
            else:
                loss = loss_func(model(**batch), labels)
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            progress.advance(epoch + (number + 1) / len(batches), float(loss.detach()),
                             schedule.get_last_lr()[0])
    model.eval()


class FrozenLayers:
    """The frozen lower layers' outputs for every row, computed once and replayed by every fit's every epoch
    (frozen_cache.py): the folds and the kept model share the same frozen base, so one pass serves six fits.
    Checked once against the full model; off where frozen_cache.plan says so (a GPU, dropout, memory)."""

    def __init__(self, session, cancel: CancelToken) -> None:
        from contextlib import nullcontext

        from . import frozen_cache
        from .preparation import attach_lora

        self.store, self.frozen, self.nothing = {}, 0, nullcontext
        config, prepared = session.config, session.prepared
        probe = attach_lora(config, prepared.base, copy.deepcopy(prepared.model))
        plan = frozen_cache.plan(probe, [len(x) for x in session.ids], 2, config.frozen_cache_mb,
                                 prepared.device.kind)
        if not plan.active:
            return
        cache = frozen_cache.FrozenPrefixCache(probe, plan.frozen).attach()
        try:
            import torch

            probe.train()  # the cache captures in training mode (dropout is off: checked by the plan)
            with torch.no_grad():
                for chunk in _length_grouped(session.ids, random.Random(0)):
                    checkpoint(cancel)
                    batch = session.encoder.collate([session.ids[i] for i in chunk])
                    batch = {k: v.to(prepared.device.kind) for k, v in batch.items()}
                    probe(**batch, **{INDEX_KEY: torch.tensor(chunk, dtype=torch.long)})
            cache.check()
            if cache.usable:  # what a replay needs besides the values: their dtype and the layers' output form
                self.store, self.frozen, self.form = cache.store, plan.frozen, (cache._dtype, cache._out_format)
        finally:
            cache.detach()  # drops the cache's reference to the store; ours stays

    def replaying(self, model):
        from contextlib import contextmanager

        from . import frozen_cache

        if not self.frozen:
            return self.nothing()

        @contextmanager
        def attached():
            cache = frozen_cache.FrozenPrefixCache(model, self.frozen)
            cache.store, cache.checked = self.store, True
            cache._dtype, cache._out_format = self.form
            cache.attach()
            try:
                yield
            finally:
                cache.store = {}
                cache.detach()
        return attached()


def _length_grouped(ids: list[list[int]], rng: random.Random) -> list[list[int]]:
    """Shuffled batches of texts of similar length (little padding: long plot summaries beside one-line reviews
    padded every short text to the longest), in a shuffled order."""
    order = list(range(len(ids)))
    rng.shuffle(order)
    group = SMALL_BATCH * 4
    batches = []
    for start in range(0, len(order), group):
        chunk = sorted(order[start:start + group], key=lambda i: len(ids[i]))
        batches += [chunk[i:i + SMALL_BATCH] for i in range(0, len(chunk), SMALL_BATCH)]
    rng.shuffle(batches)
    return batches
