"""Contrastive pair tuning of the encoder before the linear probe (the idea of SetFit, Tunstall et al. 2022).

With a few examples per class, the frozen base's sentence vectors already separate topics but not, say, praise
from a pan: a probe on them stops there, and LoRA's cross-entropy steps on two dozen rows barely move them. Pair
tuning moves the vectors themselves: texts of one class are pulled together and texts of different classes
apart, then the probe is fitted on the tuned vectors.

SetFit builds pairs explicitly and encodes each text once per pair it is in. Here one step encodes a batch of texts
once and scores every pair inside it: the same signal for a fraction of the encoder passes, which is what the
cross-validation folds can afford. The loss is the supervised contrastive one (Khosla et al., NeurIPS 2020): under
a softmax of the batch's similarities (temperature 0.1, the usual value, not tuned here), each text's same-class
texts are made likelier than the others, so the hardest negatives weigh most. SetFit's cosine-similarity loss
(pairs pulled to cosine 1 and 0, weighted half and half) is kept as PAIR_LOSS = "cosine": the contrastive one
scored higher in 7 of the benchmark's 10 cells, level in one, and 0.005 / 0.018 lower in two (session 12).
Only LoRA weights change. Texts are cut to PAIR_MAX_TOKENS and encoded in length-sorted sub-batches into one
graph, so a batch mixing one-line reviews with long summaries does not pad every review to the longest.

Each text is also held near the vector it started with (an anchor: 1 - cosine to its vector before the first
update), weighed by ANCHOR_PER_CLASS / examples per class, so the fewer the examples, the less they may move the
vectors away from what the base knows ("fine-tuning can distort pretrained features", Kumar et al., ICLR 2022). Without it, 24 rows of six
kinds of passage tuned the vectors below the frozen probe's score; with it they stay above it.
Settings measured in docs/BENCHMARKS.md (small data).
"""

from __future__ import annotations

import math
import random

import numpy as np

from ..base.events import CancelToken, checkpoint
from .probe import head_layer

PAIR_STEPS = 10            # the fewest optimiser updates of a fit
PAIR_EPOCHS = 20           # passes over the rows: 96 rows (32 per class, 3 classes) get 60 steps
PAIR_MAX_STEPS = 60        # and no more: past 96 rows a fit's time stops growing with the rows
ANCHOR_PER_CLASS = 8       # the anchor weighs 8 / examples per class: 2 at 4 per class, 0.25 at 32
PAIR_LEARNING_RATE = 1e-3
PAIR_BATCH = 32            # texts per step: up to 496 pairs
PAIR_MAX_TOKENS = 128      # a text's first tokens carry its kind; longer ones cost, and add little here
_SUB_BATCH = 8
PAIR_LOSS = "supcon"       # or "cosine", SetFit's (docs/BENCHMARKS.md, small data, session 12)
SUPCON_TEMPERATURE = 0.1


def pair_steps(rows: int) -> int:
    """Optimiser updates of one fit on `rows` texts (none below two: there is no pair)."""
    if rows < 2:
        return 0
    return max(PAIR_STEPS, min(PAIR_MAX_STEPS, math.ceil(PAIR_EPOCHS * rows / PAIR_BATCH)))


def examples_per_class(targets, multi_label: bool) -> float:
    """The mean number of examples of the classes present (of the labels present, for label sets)."""
    if multi_label:
        counts = (np.asarray(targets) > 0.5).sum(axis=0)
    else:
        counts = np.unique(np.asarray(targets), return_counts=True)[1]
    counts = counts[counts > 0]
    return float(counts.mean()) if len(counts) else 0.0


def anchor_weight(per_class: float) -> float:
    """How much the pull towards the starting vectors weighs against the pair loss, at this many examples per
    class: the fewer, the more (a class's pulled-together pairs say less about it)."""
    return ANCHOR_PER_CLASS / per_class if per_class > 0 else 0.0


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


def supcon_loss(vectors, target):
    """Supervised contrastive loss (Khosla et al. 2020) over the batch: each text's same-class texts (weighted by
    `target`, the Jaccard overlap for label sets) made likelier than the others under a softmax of similarities."""
    import torch

    unit = torch.nn.functional.normalize(vectors, dim=-1)
    eye = torch.eye(len(unit), device=unit.device)
    logits = (unit @ unit.T) / SUPCON_TEMPERATURE - 1e9 * eye
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    positive = target * (1 - eye)
    count = positive.sum(1)
    per_text = -(positive * log_prob.masked_fill(eye.bool(), 0)).sum(1) / count.clamp(min=1e-6)
    has = count > 0
    return per_text[has].mean() if bool(has.any()) else (unit.sum() * 0)


def anchor_loss(vectors, origin):
    """Mean of 1 - cosine between each text's vector and its vector before tuning (`origin`, unit length)."""
    import torch

    return (1 - (torch.nn.functional.normalize(vectors, dim=-1) * origin).sum(-1)).mean()


def tune_pairs(model, encoder, ids: list[list[int]], targets, multi_label: bool, progress, cancel: CancelToken | None,
               seed: int) -> None:
    """pair_steps(rows) updates of the model's LoRA weights on the in-batch pairs of the examples. The vectors tuned are
    what the head's last layer receives (the probe's input). Raises Cancelled within one step of Stop."""
    import torch
    from transformers import get_linear_schedule_with_warmup

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
    anchor = anchor_weight(examples_per_class(targets, multi_label))
    try:
        origin = _vectors(model, encoder, cut, seen, device, cancel) if anchor else None
        model.train()
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
            vectors = torch.cat(parts).float()
            loss = supcon_loss(vectors, target) if PAIR_LOSS == "supcon" else pair_loss(vectors, target)
            if origin is not None:
                loss = loss + anchor * anchor_loss(vectors, origin[chunk])
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            progress.advance(0.0, float(loss.detach()), schedule.get_last_lr()[0])
    finally:
        hook.remove()
        model.eval()


def _vectors(model, encoder, cut: list[list[int]], seen: dict, device, cancel: CancelToken | None):
    """Unit-length head inputs of every text as the model is now (before any update: the frozen base's)."""
    import torch

    model.eval()
    out = []
    with torch.no_grad():
        for first in range(0, len(cut), _SUB_BATCH):
            checkpoint(cancel)
            batch = encoder.collate(cut[first:first + _SUB_BATCH])
            model(**{k: v.to(device) for k, v in batch.items()})
            out.append(seen.pop("x").float())
    return torch.nn.functional.normalize(torch.cat(out), dim=-1)
