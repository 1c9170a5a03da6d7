"""Iterative stratification for multi-label splits (Sechidis, Tsoumakas & Vlahavas, ECML 2011).

A row holds several labels, so no split can keep every label's share exactly; this one serves the rarest
label first, sending each of its rows to the part that still wants most of that label. Written here in
~40 lines rather than taking `iterative-stratification`, which pulls in scikit-learn (~40 MB in the app).
"""

from __future__ import annotations

import random
from collections.abc import Sequence


def iterative_split(label_sets: Sequence[Sequence[str]], shares: Sequence[float], seed: int = 42) -> list[list[int]]:
    """Row indices for each part, whose sizes follow `shares` (summing to 1) and whose label counts
    follow them as closely as the rows allow. Rows without labels are spread by size alone."""
    rng = random.Random(seed)
    n = len(label_sets)
    want_rows = [s * n for s in shares]
    rows_of: dict[str, list[int]] = {}
    for i, labels in enumerate(label_sets):
        for label in labels:
            rows_of.setdefault(label, []).append(i)
    want = {label: [s * len(rows) for s in shares] for label, rows in rows_of.items()}
    left = {label: len(rows) for label, rows in rows_of.items()}
    parts: list[list[int]] = [[] for _ in shares]
    placed = [False] * n

    def place(i: int, scores: list[float]) -> None:
        best = max(scores)
        tied = [k for k, s in enumerate(scores) if s == best]
        if len(tied) > 1:  # then the part that still wants most rows, then chance
            most = max(want_rows[k] for k in tied)
            tied = [k for k in tied if want_rows[k] == most]
        k = rng.choice(tied)
        parts[k].append(i)
        placed[i] = True
        want_rows[k] -= 1
        for label in label_sets[i]:
            want[label][k] -= 1
            left[label] -= 1

    while any(left.values()):
        rarest = min((label for label in left if left[label]), key=lambda label: (left[label], label))
        rows = [i for i in rows_of[rarest] if not placed[i]]
        rng.shuffle(rows)
        for i in rows:
            place(i, list(want[rarest]))
    unlabelled = [i for i in range(n) if not placed[i]]
    rng.shuffle(unlabelled)
    for i in unlabelled:
        place(i, list(want_rows))
    return parts
