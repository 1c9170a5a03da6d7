"""The labelling loop: one text at a time, chosen by the current model, each label saved as it is made.

`LabellingSession` owns the state on one thread (the window's): which rows are labelled, the queue of rows to ask
next, undo, and the new file the labels go to (label_files.LabelFile, rewritten atomically after every label). A
retrain runs elsewhere on a snapshot (`retrain_input` → `retrain`, pure) and comes back through `apply`, so labelling
never waits for it; rows labelled meanwhile are simply dropped from the new queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..base.errors import DataError
from ..base.events import CancelToken
from ..data.multilabel import LabelSpec
from ..data.dataset import Examples
from ..metrics.evaluation import scores
from ..metrics.multilabel_metrics import multilabel_scores
from ..train.probe import fit_probe
from ..train.small_data import fold_of
from .label_files import LabelFile, set_labels
from .next_texts import LOOP_BALANCED, LOOP_C, next_texts
from .vectors import SentenceVectors, probabilities

RETRAIN_EVERY = 10
QUEUE = 20          # rows chosen per retrain


@dataclass(frozen=True)
class RetrainInput:
    texts: list[str]           # labelled texts
    targets: np.ndarray
    pool_rows: list[int]       # rows still to label (table rows)
    pool_texts: list[str]
    labels: tuple[str, ...]
    multi_label: bool
    seed: int


@dataclass(frozen=True)
class RetrainOutput:
    queue: list[int]             # table rows, most useful first
    labelled: int
    score: float | None          # cross-validated macro-F1 of the loop's model, None while a label has < 2 rows
    folds: int


@dataclass
class LabellingSession:
    frame: pd.DataFrame
    text_column: str
    label_column: str | None
    labels: tuple[str, ...]
    out: LabelFile
    multi_label: bool = False
    spec: LabelSpec = LabelSpec()
    retrain_every: int = RETRAIN_EVERY
    seed: int = 0
    given: dict[int, tuple[str, ...]] = field(default_factory=dict)     # row -> labels, from the file and here
    queue: list[int] = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)
    history: list[tuple[str, int]] = field(default_factory=list)        # ("label" | "skip", row), for undo
    since_retrain: int = 0
    curve: list[tuple[int, float]] = field(default_factory=list)       # (labels, cross-validated macro-F1)

    @classmethod
    def start(cls, frame: pd.DataFrame, text_column: str, label_column: str | None, labels: tuple[str, ...],
              source: str, multi_label: bool = False, spec: LabelSpec = LabelSpec(), more_texts: tuple = (),
              **options) -> "LabellingSession":
        """A session over a table: rows with a label count as labelled, rows with text and no label are the pool.
        more_texts: texts of another file, added as rows without a label (the new file holds them too)."""
        if text_column not in frame.columns:
            raise DataError(f"There is no text column “{text_column}”. The columns are: {', '.join(frame.columns)}.",
                            "Choose the column that holds the texts.")
        labels = tuple(dict.fromkeys(label for label in labels if label))
        if len(labels) < 2:
            raise DataError("Labelling needs at least two labels to choose from.", "Name the labels first.")
        table = frame.copy()
        if more_texts:
            extra = pd.DataFrame({c: [""] * len(more_texts) for c in frame.columns})
            extra[text_column] = list(more_texts)
            table = pd.concat([table, extra], ignore_index=True)
        session = cls(table, text_column, label_column, labels, LabelFile.beside(source, "labelled"),
                      multi_label, spec, **options)
        for row in range(len(table)):
            found = session.read_labels(row)
            if found:
                unknown = [name for name in found if name not in labels]
                if unknown:
                    raise DataError(f"Row {row} has the label “{unknown[0]}”, which is not one of the labels "
                                    f"({', '.join(labels)}).", "Add it to the labels, or fix the row first.")
                session.given[row] = found
        session.queue = [r for r in range(len(table)) if r not in session.given and session.text(r)]
        if not session.queue:
            raise DataError("Every row with a text already has a label: there is nothing left to label.",
                            "Add rows with an empty label, or another file of texts.")
        return session

    # ------------------------------------------------------------ reading the table
    def text(self, row: int) -> str:
        value = self.frame.iat[row, self.frame.columns.get_loc(self.text_column)]
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()

    def read_labels(self, row: int) -> tuple[str, ...]:
        if self.spec.columns:
            return tuple(c for c in self.spec.columns if str(self.frame.at[row, c]).strip() in ("1", "1.0", "true"))
        if self.label_column is None or self.label_column not in self.frame.columns:
            return ()
        value = self.frame.iat[row, self.frame.columns.get_loc(self.label_column)]
        value = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
        if not value:
            return ()
        if self.multi_label:
            return tuple(p.strip() for p in value.split(self.spec.separator or ";") if p.strip())
        return (value,)

    # ------------------------------------------------------------ the user's actions
    def current(self) -> int | None:
        """The row to show now, or None when no row is left to label."""
        for row in self.queue:
            if row not in self.given and row not in self.skipped:
                return row
        return None

    def label(self, labels: tuple[str, ...]) -> None:
        row = self.current()
        if row is None:
            return
        wrong = [name for name in labels if name not in self.labels]
        if wrong or (not labels and not self.multi_label):
            raise DataError(f"“{wrong[0] if wrong else ''}” is not one of the labels.")
        self.given[row] = tuple(labels)
        set_labels(self.frame, row, tuple(labels), self.label_column, self.spec, self.multi_label)
        self.history.append(("label", row))
        self.since_retrain += 1
        self.save()

    def skip(self) -> None:
        row = self.current()
        if row is not None:
            self.skipped.add(row)
            self.history.append(("skip", row))

    def undo(self) -> int | None:
        """Take the last label or skip back; its row is shown again. Returns the row, or None if nothing to undo."""
        if not self.history:
            return None
        action, row = self.history.pop()
        if action == "label":
            del self.given[row]
            set_labels(self.frame, row, (), self.label_column, self.spec, self.multi_label)
            self.since_retrain = max(0, self.since_retrain - 1)
            self.save()
        else:
            self.skipped.discard(row)
        self.queue = [row] + [r for r in self.queue if r != row]
        return row

    def save(self):
        return self.out.write(self.frame)

    @property
    def due(self) -> bool:
        """A retrain is due: `retrain_every` labels since the last one."""
        return self.since_retrain >= self.retrain_every

    # ------------------------------------------------------------ retraining (on a snapshot, off the GUI thread)
    def retrain_input(self) -> RetrainInput:
        rows = sorted(self.given)
        names = list(self.labels)
        if self.multi_label:
            targets = np.zeros((len(rows), len(names)), dtype=np.float32)
            for i, r in enumerate(rows):
                targets[i, [names.index(n) for n in self.given[r]]] = 1.0
        else:
            targets = np.array([names.index(self.given[r][0]) for r in rows], dtype=int)
        pool = [r for r in range(len(self.frame)) if r not in self.given and r not in self.skipped and self.text(r)]
        self.since_retrain = 0
        return RetrainInput([self.text(r) for r in rows], targets, pool, [self.text(r) for r in pool], self.labels,
                            self.multi_label, self.seed)

    def apply(self, output: RetrainOutput) -> None:
        """The retrain's choice goes to the front of the queue, after the row on screen: a key pressed as the
        retrain lands still labels the text the user sees."""
        shown = self.current()
        fresh = [r for r in output.queue if r not in self.given and r not in self.skipped and r != shown]
        rest = [r for r in self.queue if r not in fresh and r != shown and r not in self.given]
        self.queue = ([shown] if shown is not None else []) + fresh + rest
        if output.score is not None:
            self.curve.append((output.labelled, output.score))


def retrain(data: RetrainInput, vectors: SentenceVectors, n: int = QUEUE, emit: Callable | None = None,
            cancel: CancelToken | None = None) -> RetrainOutput:
    """The loop's model on the labels so far: its cross-validated score, and the next rows to ask (pure).
    emit / cancel: the calling job's bridge."""
    labelled = vectors.of(data.texts, "Reading the labelled texts", emit, cancel)
    pool = vectors.of(data.pool_texts, "Reading the texts to label", emit, cancel)
    score, folds = cross_validated_f1(labelled, data.targets, len(data.labels), data.multi_label, data.seed)
    chosen = next_texts(labelled, data.targets, data.labels, pool, n, data.multi_label, data.seed)
    return RetrainOutput([data.pool_rows[c.index] for c in chosen], len(data.texts), score, folds)


def cross_validated_f1(vectors: np.ndarray, targets: np.ndarray, n_labels: int, multi_label: bool,
                       seed: int = 0) -> tuple[float | None, int]:
    """Macro-F1 of the probe by k-fold (k = 5, or fewer when a label has fewer rows); None below 2 rows a label."""
    counts = targets.sum(axis=0) if multi_label else np.bincount(targets, minlength=n_labels)
    used = counts[counts > 0]
    if len(used) < 2 or used.min() < 2:
        return None, 0
    folds = int(min(5, used.min()))
    names = [str(j) for j in range(n_labels)]
    as_examples = Examples([""] * len(targets), [tuple(names[j] for j in np.flatnonzero(row)) for row in targets]
                           if multi_label else [names[int(t)] for t in targets], multi_label=multi_label)
    fold = fold_of(as_examples, folds, seed)
    predicted = np.zeros((len(targets), n_labels))
    for k in range(folds):
        held = np.array([i for i, f in enumerate(fold) if f == k])
        train = np.array([i for i, f in enumerate(fold) if f != k])
        predicted[held] = probabilities(*fit_probe(vectors[train], targets[train], n_labels, multi_label, seed,
                                                   LOOP_C, LOOP_BALANCED),
                                        vectors[held], multi_label)
    if multi_label:
        return float(multilabel_scores(targets > 0.5, predicted >= 0.5)["macro_f1"]), folds
    return scores(targets, predicted.argmax(axis=1), n_labels)["macro_f1"], folds  # over the labels present
