"""Multi-label data, recognised: a label column whose cells join several labels ("sports;politics").

LoRA Studio trains single-label classifiers today, and such a column would silently make every combination
a class of its own; the data report says so instead (dataset._judge). Issue 13 builds on this to train
multi-label models.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

SEPARATORS = (";", "|", ",")
MIN_SHARE = 0.05   # of the labelled rows hold several labels
MAX_LABELS = 200


@dataclass(frozen=True)
class MultiLabel:
    separator: str
    labels: tuple[str, ...]   # each single label, commonest first
    per_row: float            # labels per row, on average
    multi_rows: int           # rows with more than one label

    def describe(self) -> str:
        return (f"multi-label: {len(self.labels)} labels joined by “{self.separator}”, "
                f"{self.per_row:.1f} per row on average")


def sniff(cells: Sequence[str]) -> MultiLabel | None:
    """The separator that splits `cells` into labels that recombine, if one does; else None.

    A separator counts when at least 5% of the cells hold several labels, every label of a joined cell also
    occurs in some other cell (labels recombine: "a;b", "a", "b;c"), and there are fewer labels than
    distinct cells. So "New York, NY"-like single labels, each unique, are not taken for multi-label."""
    cells = [c.strip() for c in cells if c and c.strip()]
    if not cells:
        return None
    best = None
    for sep in SEPARATORS:
        split = [tuple(dict.fromkeys(p.strip() for p in c.split(sep) if p.strip())) for c in cells]
        multi = [parts for parts in split if len(parts) > 1]
        if len(multi) < max(2, MIN_SHARE * len(cells)):
            continue
        atoms = Counter(a for parts in split for a in parts)
        cells_with = Counter(a for parts in set(split) for a in parts)  # distinct cells each label occurs in
        if len(atoms) > MAX_LABELS or len(atoms) >= len(set(cells)):
            continue
        if any(cells_with[a] < 2 for parts in multi for a in parts):
            continue
        found = MultiLabel(sep, tuple(a for a, _ in atoms.most_common()), sum(map(len, split)) / len(split),
                           len(multi))
        if best is None or found.multi_rows > best.multi_rows:
            best = found
    return best
