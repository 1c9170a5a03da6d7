"""Which path the data takes: the small-data path (every row trains; k-fold cross-validation estimates the score)
or the usual one (a validation split chooses the epoch kept). Below dataset.py, which splits by it, and
small_data.py, which runs it."""

from __future__ import annotations

from dataclasses import dataclass

# The threshold, documented in README and docs/BENCHMARKS.md: below SMALL_ROWS rows in all, or below
# SMALL_PER_CLASS examples per class on average (up to MAX_SMALL_ROWS rows), the small-data path trains.
SMALL_ROWS = 600
SMALL_PER_CLASS = 40
MAX_SMALL_ROWS = 5000
DEFAULT_FOLDS = 5
MIN_FOLDS, MAX_FOLDS = 2, 10
SMALL_LAYER_SHARE = 1.0  # LoRA on every layer: pair tuning moves the vectors all of them make



@dataclass(frozen=True)
class SmallDataPlan:
    small: bool
    rows: int
    classes: int
    folds: int        # 0 on the usual path
    sentence: str     # what Configure shows, in plain words

    @property
    def fits(self) -> int:
        """Models trained in all: one per fold, and the kept one."""
        return self.folds + 1 if self.small else 1


def plan_for(examples, config) -> SmallDataPlan:
    """Which path the data takes: config.small_data "auto" decides by size, "on" and "off" force it."""
    rows = len(examples)
    counts: dict[str, int] = {}
    for name in examples.label_names():
        counts[name] = counts.get(name, 0) + 1
    classes = max(1, len(counts))
    mode = getattr(config, "small_data", "auto")
    if mode == "auto":
        small = rows < SMALL_ROWS or (rows < MAX_SMALL_ROWS and rows / classes < SMALL_PER_CLASS)
    else:
        small = mode == "on"
    shown = f"{rows:,} example{'s' if rows != 1 else ''}"
    if not small:
        share = round(100 * config.validation_fraction)
        return SmallDataPlan(False, rows, classes, 0,
                             f"{shown}: LoRA Studio holds {share}% out to measure each epoch and keeps the best one.")
    smallest = min(counts.values()) if counts else 0
    folds = max(MIN_FOLDS, min(getattr(config, "folds", DEFAULT_FOLDS),
                               smallest if not examples.multi_label else rows))
    measure = "micro-F1" if examples.multi_label else "accuracy"
    return SmallDataPlan(True, rows, classes, folds,
                         f"{shown}: LoRA Studio trains on all of them and estimates {measure} by "
                         f"{folds}-fold cross-validation.")
