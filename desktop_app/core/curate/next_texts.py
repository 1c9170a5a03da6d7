"""Which unlabelled texts to label next: those the current model is least sure of, spread over different kinds of
text so that twenty near-duplicates are never asked in a row.

The model is a probe on the frozen base's sentence vectors (vectors.py): it retrains in well under a second, so
the choice follows every batch of labels. Uncertainty is the margin between the two most probable labels (one
label per text) or the closeness of any label's probability to its threshold (several labels per text). Diversity:
a text nearly the same as one already chosen for this batch is passed over, so twenty near-duplicates are never
asked in a row. (Weighted k-means over the most uncertain texts, Zhdanov 2019, cluster-margin, BADGE, density
weighting and a share of random picks that grows as the model is weak were measured too: docs/BENCHMARKS.md.) Before two labels are in use there is no model to be unsure:
the choice is then diversity alone (the text farthest from everything chosen so far, k-center greedy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..train.probe import fit_probe
from .vectors import probabilities

NEAR_DUPLICATE = 0.95  # cosine of the base's sentence vectors: the same text, a word or two changed
LOOP_C = 1.0           # the loop's logistic regression: the probe's regularisation, classes weighed evenly (the
LOOP_BALANCED = True   # labels come in uneven numbers); C = 10 chose worse than chance on the snippets (BENCHMARKS)


@dataclass(frozen=True)
class Choice:
    index: int            # into the pool
    uncertainty: float    # 0 (sure) .. 1 (a coin toss); 1 for every text before there is a model


def uncertainty(probs: np.ndarray, multi_label: bool, thresholds: np.ndarray | None = None) -> np.ndarray:
    if multi_label:
        t = np.full(probs.shape[1], 0.5) if thresholds is None else thresholds
        # how close the most doubtful label is to its threshold, 1 at the threshold itself
        return 1.0 - np.min(np.abs(probs - t) / np.maximum(np.where(probs >= t, 1 - t, t), 1e-6), axis=1)
    top = np.sort(probs, axis=1)[:, -2:]
    return 1.0 - (top[:, 1] - top[:, 0])


def next_texts(labelled: np.ndarray, targets: np.ndarray, labels: tuple[str, ...], pool: np.ndarray, n: int,
               multi_label: bool = False, seed: int = 0) -> list[Choice]:
    """The `n` pool rows (indices into `pool`) most worth labelling, most useful first.

    labelled: the labelled texts' vectors; targets: their class ids, or a rows × labels 0/1 matrix."""
    n = min(n, len(pool))
    if n <= 0:
        return []
    in_use = (np.asarray(targets).sum(axis=0) > 0).sum() if multi_label and len(targets) else len(np.unique(targets))
    if len(labelled) < 2 or in_use < 2:
        return [Choice(int(i), 1.0) for i in farthest_first(labelled, pool, n)]
    weights, bias = fit_probe(labelled, np.asarray(targets), len(labels), multi_label, seed, LOOP_C, LOOP_BALANCED)
    probs = probabilities(weights, bias, pool, multi_label)
    doubt = uncertainty(probs, multi_label)
    picked = diverse_uncertain(pool, doubt, n, seed)
    return [Choice(int(i), float(doubt[i])) for i in picked]


def diverse_uncertain(pool: np.ndarray, doubt: np.ndarray, n: int, seed: int = 0) -> list[int]:
    """n rows, most uncertain first, none a near-duplicate (cosine ≥ NEAR_DUPLICATE) of one chosen before it while
    others are left; a pool of little else fills the rest with its most uncertain rows."""
    if n <= 0:
        return []
    order = [int(i) for i in np.argsort(-doubt, kind="stable")]
    chosen: list[int] = []
    for i in order:
        if not chosen or float((pool[chosen] @ pool[i]).max()) < NEAR_DUPLICATE:
            chosen.append(i)
            if len(chosen) == n:
                return chosen
    taken = set(chosen)
    return chosen + [i for i in order if i not in taken][:n - len(chosen)]


def farthest_first(labelled: np.ndarray, pool: np.ndarray, n: int) -> list[int]:
    """k-center greedy on unit vectors: each next row is the one least like anything labelled or chosen."""
    if len(labelled):
        nearest = (pool @ labelled.T).max(axis=1)
        first = int(np.argmin(nearest))
    else:  # nothing labelled: start from the most typical text (closest to the pool's mean)
        nearest = np.full(len(pool), -np.inf)
        first = int(np.argmax(pool @ pool.mean(axis=0)))
    chosen = [first]
    nearest = np.maximum(nearest, pool @ pool[first])
    while len(chosen) < n:
        nearest[chosen] = np.inf
        i = int(np.argmin(nearest))
        chosen.append(i)
        nearest = np.maximum(nearest, pool @ pool[i])
    return chosen
