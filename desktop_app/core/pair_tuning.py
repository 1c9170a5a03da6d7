"""Contrastive pair tuning of the encoder before the linear probe (the idea of SetFit, Tunstall et al. 2022).

With a few examples per class, the frozen base's sentence vectors already separate topics but not, say, praise
from a pan: a probe on them stops there, and LoRA's cross-entropy steps on two dozen rows barely move them. Pair
tuning moves the vectors themselves: texts of one class are pulled to cosine similarity 1 and texts of different
classes towards 0 (SetFit's CosineSimilarityLoss), then the probe is fitted on the tuned vectors.

SetFit builds pairs explicitly and encodes each text once per pair it is in. Here one step encodes a batch of texts
once and scores every pair inside it, positives and negatives weighted equally (as SetFit's oversampling does):
the same signal for a fraction of the encoder passes, which is what the cross-validation folds can afford.
Only LoRA weights change. Texts are cut to PAIR_MAX_TOKENS and encoded in length-sorted sub-batches into one
graph, so a batch mixing one-line reviews with long summaries does not pad every review to the longest.
Settings measured in docs/BENCHMARKS.md (small data).
"""

from __future__ import annotations

import math
import random

import numpy as np

from .events import CancelToken, checkpoint

PAIR_STEPS = 10            # the fewest optimiser updates of a fit (24 rows at 8 per class: 13 passes)
PAIR_EPOCHS = 7            # passes over the rows on larger sets: 96 rows at 32 per class get 21 steps
PAIR_LEARNING_RATE = 1e-3
PAIR_BATCH = 32            # texts per step: up to 496 pairs
PAIR_MAX_TOKENS = 128      # a text's first tokens carry its kind; longer ones cost, and add little here
_SUB_BATCH = 8


def pair_steps(rows: int) -> int:
    """Optimiser updates of one fit on `rows` texts (none below two: there is no pair)."""
    if rows < 2:
        return 0
    return max(PAIR_STEPS, math.ceil(PAIR_EPOCHS * rows / PAIR_BATCH))


def target_similarity(targets: np.ndarray, multi_label: bool) -> np.ndarray:
    """The cosine similarity each pair is pulled to: 1 for one class, 0 for two; for label sets, their overlap
    (Jaccard: shared labels over labels in either; two empty sets count as the same)."""
    if not multi_label:
        y = np.asarray(targets)
        return (y[:, None] == y[None, :]).astype(np.float32)
    sets = np.asarray(targets) > 0.5
    shared = (sets[:, None, :] & sets[None, :, :]).sum(-1)
    either = (sets[:, None, :] | sets[None, :, :]).sum(-1)
    return np.where(either == 0, 1.0, shared / np.maximum(either, 1)).astype(np.float32)


def pair_loss(vectors, target):
    """Squared distance of every pair's cosine similarity from its target, the pairs pulled together and those
    pushed apart weighing half each (the diagonal, a text with itself, left out)."""
    import torch

    unit = torch.nn.functional.normalize(vectors, dim=-1)
    similarity = unit @ unit.T
    off = 1 - torch.eye(len(unit), device=unit.device)
    close, apart = target * off, (1 - target) * off
    weight = 0.5 * close / close.sum().clamp(min=1e-6) + 0.5 * apart / apart.sum().clamp(min=1e-6)
    return (weight * (similarity - target) ** 2).sum()


def tune_pairs(model, encoder, ids: list[list[int]], targets, multi_label: bool, progress, cancel: CancelToken | None,
               seed: int) -> None:
    """pair_steps(rows) updates of the model's LoRA weights on the in-batch pairs of the examples. The vectors tuned are
    what the head's last layer receives (the probe's input). Raises Cancelled within one step of Stop."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    from .probe import head_layer

    steps = pair_steps(len(ids))
    if not steps:
        return
    seen = {}
    hook = head_layer(model).register_forward_pre_hook(lambda module, args: seen.__setitem__("x", args[0]))
    params = [p for name, p in model.named_parameters() if p.requires_grad and "lora_" in name]
    optimizer = torch.optim.AdamW(params, lr=PAIR_LEARNING_RATE, weight_decay=0.0)
    schedule = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    similar = target_similarity(targets, multi_label)
    cut = [x if len(x) <= PAIR_MAX_TOKENS else x[:PAIR_MAX_TOKENS - 1] + x[-1:] for x in ids]  # keeps [SEP]
    device = next(model.parameters()).device
    rng, order, done = random.Random(seed), [], 0
    model.train()
    try:
        while done < steps:
            if len(order) < 2:
                order = list(range(len(cut)))
                rng.shuffle(order)
            chunk, order = sorted(order[:PAIR_BATCH], key=lambda i: len(cut[i])), order[PAIR_BATCH:]
            if len(chunk) < 2:
                continue
            parts = []
            for start in range(0, len(chunk), _SUB_BATCH):
                checkpoint(cancel)
                batch = encoder.collate([cut[i] for i in chunk[start:start + _SUB_BATCH]])
                model(**{k: v.to(device) for k, v in batch.items()})
                parts.append(seen.pop("x"))
            target = torch.as_tensor(similar[np.ix_(chunk, chunk)], device=device)
            loss = pair_loss(torch.cat(parts).float(), target)
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            progress.advance(0.0, float(loss.detach()), schedule.get_last_lr()[0])
    finally:
        hook.remove()
        model.eval()
