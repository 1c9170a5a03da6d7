"""Which labels are likely wrong: confident learning (Northcutt, Jiang and Chuang, JAIR 2021) on out-of-fold
probabilities, through cleanlab (Apache-2.0), which this module feeds rather than re-writes.

Every row gets probabilities from models that never saw it: the small path's folds (small_data.fold_of), each
three models averaged, which err on different rows: a probe on the frozen base's sentence vectors (vectors.py), a
TF-IDF logistic regression, and the votes of its 15 most similar rows (by those vectors). Each added model raised
the share of true errors among the top suspects (docs/BENCHMARKS.md). cleanlab then estimates how often each label is confused
with each other, so how many labels are likely wrong, and names that many rows: those whose given label keeps the
least probability (self-confidence), in that order. One label per text or several (cleanlab's multi-label
filter). Nothing of the user's file is changed here: label_files.py writes any fix as a new file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..base.errors import DataError
from ..base.events import CancelToken, LogLine, WorkProgress, checkpoint
from ..data.dataset import Examples, label_counts
from ..data.label_map import LabelMap
from ..train.probe import fit_probe
from ..train.small_data import fold_of
from .vectors import SentenceVectors, probabilities

DEFAULT_FOLDS = 5
TFIDF_C = 10.0  # word features are many and sparse: less regularisation than the probe's (docs/BENCHMARKS.md)
NEIGHBOURS = 15


@dataclass(frozen=True)
class Suspect:
    """A row whose label is likely wrong."""

    row: int          # the file's data row (0-based, header excluded, counted before any row was skipped)
    text: str
    given: tuple[str, ...]      # one label, or a multi-label row's labels (none: ())
    suggested: tuple[str, ...]  # what the models think it is
    score: float      # how likely the given label is wrong: 1 − the probability it keeps (0..1)
    index: int = 0    # its place among the reviewed examples


@dataclass
class Review:
    suspects: list[Suspect]
    labels: tuple[str, ...]
    probabilities: np.ndarray  # out-of-fold, examples × labels
    folds: int
    agreement: float           # how often the out-of-fold prediction matches the given label (multi: per label)
    seconds: float
    multi_label: bool = False
    notes: list[str] = field(default_factory=list)
    order: list[int] = field(default_factory=list)  # every example, the suspects first, then by score



DOUBTFUL_AGREEMENT = 0.75  # below this share of labels agreed with, many suggestions are false alarms (snippets: 64%)


def caution(review: Review) -> str:
    """A sentence when the review's models agree with too few labels for its suggestions to be trusted, else ""."""
    if review.multi_label or review.agreement >= DOUBTFUL_AGREEMENT:
        return ""
    return (f"The models agree with only {review.agreement:.0%} of your labels: these texts are hard to tell apart, so "
            "many suggestions will be wrong. Treat the list as rows worth a look, not as fixes.")


def check_reviewable(examples: Examples, folds: int) -> LabelMap:
    """The label map to review with, or a sentence saying why these examples cannot be reviewed."""
    if not len(examples):
        raise DataError("There are no labelled rows to review.", "Label some rows first, or choose the label column.")
    names = examples.label_names()
    label_map = LabelMap.from_labels(names)
    if len(label_map) < 2:
        raise DataError(f"Every row has the same label (“{label_map.names[0] if len(label_map) else ''}”), so there "
                        "is nothing to compare a label with.", "A review needs at least two labels in use.")
    if not 2 <= folds <= 20:
        raise DataError(f"The review needs between 2 and 20 folds, not {folds}.")
    if len(examples) < 2 * folds:
        raise DataError(f"{len(examples)} labelled rows are too few for a {folds}-fold review.",
                        f"Label at least {2 * folds} rows, or use fewer folds.")
    counts = label_counts(examples)
    if sum(1 for n in counts.values() if n >= folds) < 2:
        # every row would be judged by models that saw almost nothing of its label: each would be "suspect"
        shown = ", ".join(f"“{name}” {n}" for name, n in list(counts.items())[:6])
        raise DataError(f"Too few rows of each label to judge one by the others ({shown}).",
                        f"Label at least {folds} rows of two labels or more, then review; Label texts… helps.")
    return label_map


def sample_of(examples: Examples, n: int, seed: int = 0) -> Examples:
    """n of the examples drawn at random (in file order, each keeping its file row): a large file's review in the
    time the user chose."""
    if n >= len(examples):
        return examples
    keep = sorted(np.random.default_rng(seed).choice(len(examples), n, replace=False).tolist())
    rows = examples.rows or list(range(len(examples)))
    return Examples([examples.texts[i] for i in keep], [examples.labels[i] for i in keep], examples.source,
                    examples.multi_label, [rows[i] for i in keep])


def targets_of(examples: Examples, label_map: LabelMap) -> np.ndarray:
    """Class ids (one label per text) or a rows × labels 0/1 matrix."""
    if examples.multi_label:
        out = np.zeros((len(examples), len(label_map)), dtype=np.float32)
        for i, row in enumerate(examples.labels):
            out[i, [label_map.names.index(n) for n in row]] = 1.0
        return out
    return np.array([label_map.names.index(label) for label in examples.labels])


def out_of_fold(vectors: np.ndarray, texts: list[str], targets: np.ndarray, fold: list[int], n_labels: int,
                multi_label: bool, emit: Callable, cancel: CancelToken, seed: int = 0) -> np.ndarray:
    """Each row's probabilities from the fold models that never saw it: the probe on the sentence vectors, a TF-IDF
    logistic regression and the nearest rows' votes, averaged."""
    folds = max(fold) + 1
    out = np.zeros((len(texts), n_labels), dtype=np.float64)
    for k in range(folds):
        checkpoint(cancel)
        held = np.array([i for i, f in enumerate(fold) if f == k])
        train = np.array([i for i, f in enumerate(fold) if f != k])
        weights, bias = fit_probe(vectors[train], targets[train], n_labels, multi_label, seed + k)
        from_vectors = probabilities(weights, bias, vectors[held], multi_label)
        from_words = _tfidf_probabilities([texts[i] for i in train], targets[train],
                                          [texts[i] for i in held], n_labels, multi_label)
        from_neighbours = _neighbour_probabilities(vectors[train], targets[train], vectors[held], n_labels, multi_label)
        out[held] = (from_vectors + from_words + from_neighbours) / 3
        emit(WorkProgress(k + 1, folds, f"Step 2 of 2: judging the rows, part {k + 1} of {folds}"))
    return out


def _neighbour_probabilities(train: np.ndarray, train_targets: np.ndarray, held: np.ndarray, n_labels: int,
                            multi_label: bool, k: int = NEIGHBOURS) -> np.ndarray:
    """The labels of each held row's k most similar training rows (cosine of unit vectors), each vote weighed by
    its similarity, with half a vote of prior spread evenly so that a row among strangers says little."""
    k = min(k, len(train))
    similarity = np.clip(held @ train.T, 0.0, None)
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    weights = np.take_along_axis(similarity, nearest, axis=1)  # held × k
    votes = (train_targets[nearest] if multi_label
             else np.eye(n_labels)[train_targets[nearest]])  # held × k × labels
    summed = (weights[:, :, None] * votes).sum(axis=1)
    if multi_label:
        return (summed + 0.25) / (weights.sum(axis=1, keepdims=True) + 0.5)
    summed += 0.5 / n_labels
    return summed / summed.sum(axis=1, keepdims=True)


def _tfidf_probabilities(train_texts, train_targets, held_texts, n_labels: int, multi_label: bool) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    words = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1)
    x = words.fit_transform(train_texts)
    held = words.transform(held_texts)
    out = np.zeros((len(held_texts), n_labels))
    columns = train_targets.T if multi_label else [train_targets]
    for j, column in enumerate(columns):
        present = np.unique(column)
        if len(present) < 2:  # one value in this fold's training rows: predict its frequency
            if multi_label:
                out[:, j] = float(present[0])
            else:
                out[:, int(present[0])] = 1.0
            continue
        fitted = LogisticRegression(C=TFIDF_C, max_iter=3000).fit(x, column)
        p = fitted.predict_proba(held)
        if multi_label:
            out[:, j] = p[:, list(fitted.classes_).index(1.0)]
        else:
            out[:, fitted.classes_.astype(int)] = p
    return out


def review_labels(examples: Examples, vectors: SentenceVectors, folds: int = DEFAULT_FOLDS,
                  emit: Callable = lambda event: None, cancel: CancelToken | None = None, seed: int = 0) -> Review:
    """Rank the examples whose label is likely wrong, most suspicious first."""
    cancel = cancel or CancelToken()
    label_map = check_reviewable(examples, folds)
    started = time.monotonic()
    targets = targets_of(examples, label_map)
    found = vectors.of(examples.texts, "Step 1 of 2: reading the texts", emit=emit, cancel=cancel)
    checkpoint(cancel)
    fold = fold_of(examples, folds, seed)
    probs = out_of_fold(found, examples.texts, targets, fold, len(label_map), examples.multi_label, emit, cancel, seed)
    multi = examples.multi_label
    order, scores, suggested = (_multi_label_issues if multi else _single_label_issues)(targets, probs, label_map)
    rows = examples.rows or list(range(len(examples)))
    suspects = [Suspect(rows[i], examples.texts[i], _given(examples.labels[i]), suggested[i], float(scores[i]), i)
                for i in order]
    if multi:
        agreement = float(((probs >= 0.5) == (targets > 0.5)).mean())
    else:
        agreement = float((probs.argmax(axis=1) == targets).mean())
    listed = set(order)
    rest = [int(i) for i in np.argsort(-np.asarray(scores), kind="stable") if int(i) not in listed]
    review = Review(suspects, label_map.names, probs, folds, agreement, time.monotonic() - started, multi,
                    order=list(order) + rest)
    small = [n for n, c in zip(label_map.names, _counts(targets, multi)) if c < folds]
    if small:
        review.notes.append(f"{', '.join(f'“{n}”' for n in small)} ha{'s' if len(small) == 1 else 've'} fewer examples "
                            f"than folds: some of {'its' if len(small) == 1 else 'their'} rows were judged by models "
                            "that never saw that label, so they may be listed only for that.")
    emit(LogLine(f"Label review: {len(suspects)} of {len(examples)} rows look mislabelled "
                 f"({folds}-fold, the models agree with {agreement:.0%} of the labels)."))
    return review


def _given(label) -> tuple[str, ...]:
    return tuple(label) if isinstance(label, (tuple, list)) else (label,)


def _counts(targets: np.ndarray, multi: bool) -> list[int]:
    return [int(c) for c in (targets.sum(axis=0) if multi else np.bincount(targets))]


def _single_label_issues(targets: np.ndarray, probs: np.ndarray, label_map: LabelMap):
    from cleanlab.filter import find_label_issues

    with np.errstate(all="ignore"):
        # confident learning counts the errors; the rows named are those whose label keeps the least probability
        # (cleanlab's default filter leaves out some of them: 0.706 against 0.725 of the top k truly flipped)
        order = find_label_issues(labels=targets, pred_probs=probs, filter_by="low_self_confidence",
                                  return_indices_ranked_by="self_confidence")
    scores = 1.0 - probs[np.arange(len(targets)), targets]
    suggested = [(label_map.names[int(j)],) for j in probs.argmax(axis=1)]
    return [int(i) for i in order], scores, suggested


def _multi_label_issues(targets: np.ndarray, probs: np.ndarray, label_map: LabelMap):
    from cleanlab.multilabel_classification.filter import find_label_issues
    from cleanlab.multilabel_classification.rank import get_label_quality_scores

    given = [list(np.flatnonzero(row > 0.5)) for row in targets]
    with np.errstate(all="ignore"):
        order = find_label_issues(labels=given, pred_probs=probs, return_indices_ranked_by="self_confidence")
        quality = get_label_quality_scores(given, probs)
    suggested = [tuple(label_map.names[j] for j in np.flatnonzero(row >= 0.5)) for row in probs]
    return [int(i) for i in order], 1.0 - np.asarray(quality), suggested
