"""Multi-label metrics and decision thresholds: micro/macro-F1, subset accuracy, Hamming loss, per-label
precision/recall/F1, and per-label counts of missed and wrongly added labels (the window's error filter)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data.label_reading import Skip, yes_no_reader
from ..data.multilabel import split_cell
from .reports import BatchSummary, ClassMetrics, EvalReport, LabelErrors, Mistake

DEFAULT_THRESHOLD = 0.5
GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)
MIN_POSITIVES = 3  # fewer validation examples of a label than this: its threshold stays at 0.5 (too little to tune)


def indicator(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Rows × labels, True where the row holds the label."""
    index = {name: j for j, name in enumerate(labels)}
    out = np.zeros((len(label_sets), len(labels)), dtype=bool)
    for i, names in enumerate(label_sets):
        for name in names:
            out[i, index[name]] = True
    return out


def decide(probs: np.ndarray, thresholds: Sequence[float] | None) -> np.ndarray:
    cut = np.full(probs.shape[1], DEFAULT_THRESHOLD) if thresholds is None else np.asarray(thresholds, dtype=float)
    return np.asarray(probs) >= cut


def _f1(tp, fp, fn):
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    return precision, recall, f1


def multilabel_scores(truth: np.ndarray, predicted: np.ndarray) -> dict:
    """micro_f1 (pooled over every label decision), macro_f1 (mean over the labels that occur or were
    predicted: a label given where it never applies counts, with F1 0), subset
    accuracy (every label of the row right), hamming_loss (share of wrong label decisions), per label."""
    truth, predicted = np.asarray(truth, dtype=bool), np.asarray(predicted, dtype=bool)
    tp = (truth & predicted).sum(axis=0).astype(float)
    fp = (~truth & predicted).sum(axis=0).astype(float)
    fn = (truth & ~predicted).sum(axis=0).astype(float)
    precision, recall, f1 = _f1(tp, fp, fn)
    support = truth.sum(axis=0)
    present = (tp + fp + fn) > 0
    pooled = 2 * tp.sum() + fp.sum() + fn.sum()
    rows = len(truth)
    return {
        "micro_f1": float(2 * tp.sum() / pooled) if pooled else (1.0 if rows else 0.0),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "accuracy": float((truth == predicted).all(axis=1).mean()) if rows else 0.0,
        "hamming_loss": float((truth != predicted).mean()) if truth.size else 0.0,
        "precision": precision, "recall": recall, "f1": f1, "support": support.astype(int),
        "missed": fn.astype(int), "added": fp.astype(int),
    }


def tune_thresholds(probs: np.ndarray, truth: np.ndarray) -> list[float]:
    """Per label, the threshold on the grid with the best F1 on these (validation) rows; ties go to the one
    nearest 0.5, and a label with under MIN_POSITIVES examples keeps 0.5."""
    probs, truth = np.asarray(probs, dtype=float), np.asarray(truth, dtype=bool)
    out = []
    for j in range(probs.shape[1]):
        positives = int(truth[:, j].sum())
        if positives < MIN_POSITIVES:
            out.append(DEFAULT_THRESHOLD)
            continue
        p, t = probs[:, j][:, None], truth[:, j][:, None]
        chosen = p >= GRID[None, :]
        tp = (chosen & t).sum(axis=0)
        fp = (chosen & ~t).sum(axis=0)
        fn = (~chosen & t).sum(axis=0)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        best = np.flatnonzero(np.isclose(f1, f1.max()))
        out.append(float(GRID[best[np.argmin(np.abs(GRID[best] - DEFAULT_THRESHOLD))]]))
    return out


def joined(names: Sequence[str]) -> str:
    return ";".join(names)


def multilabel_report(texts: list[str], truth: np.ndarray, probs: np.ndarray, labels: Sequence[str],
                      thresholds: Sequence[float] | None = None, max_mistakes: int = 500,
                      predicted: np.ndarray | None = None) -> EvalReport:
    """The EvalReport of a multi-label model: accuracy is subset accuracy, confusion is empty (labels are not
    exclusive), label_errors counts each label's misses and wrong additions, mistakes name them.
    `predicted`: the decisions already made (a predictions file's own), else probs >= thresholds."""
    labels = list(labels)
    probs = np.asarray(probs, dtype=float).reshape(len(texts), len(labels))
    thresholds = [DEFAULT_THRESHOLD] * len(labels) if thresholds is None else [float(t) for t in thresholds]
    predicted = decide(probs, thresholds) if predicted is None else np.asarray(predicted, dtype=bool)
    s = multilabel_scores(truth, predicted)
    per_class = [ClassMetrics(labels[j], float(s["precision"][j]), float(s["recall"][j]), float(s["f1"][j]),
                              int(s["support"][j])) for j in range(len(labels))]
    errors = [LabelErrors(labels[j], int(s["missed"][j]), int(s["added"][j])) for j in range(len(labels))]
    # how sure the model was of its worst wrong decision: confident mistakes first, the most instructive
    wrong_side = np.where(truth, 1 - probs, probs)
    wrong = np.flatnonzero((truth != predicted).any(axis=1))
    sureness = {int(i): float(wrong_side[i][truth[i] != predicted[i]].max()) for i in wrong}
    order = sorted(sureness, key=lambda i: -sureness[i])[:max_mistakes]
    mistakes = [Mistake(texts[i], joined([labels[j] for j in np.flatnonzero(truth[i])]),
                        joined([labels[j] for j in np.flatnonzero(predicted[i])]), sureness[i],
                        [labels[j] for j in np.flatnonzero(truth[i] & ~predicted[i])],
                        [labels[j] for j in np.flatnonzero(~truth[i] & predicted[i])]) for i in order]
    weighted = float((s["f1"] * s["support"]).sum() / s["support"].sum()) if s["support"].sum() else 0.0
    return EvalReport(labels, len(texts), s["accuracy"], s["macro_f1"], weighted, per_class, [], mistakes,
                      task="multi_label", micro_f1=s["micro_f1"], hamming_loss=s["hamming_loss"],
                      thresholds=thresholds, label_errors=errors)


def multilabel_batch_summary(frame, labels: Sequence[str], thresholds, text_column: str, seconds: float,
                             separator: str = ";", label_columns: Sequence[str] = (), none_of_these: bool = False):
    """evaluation.batch_summary for a multi-label model's predict_frame output, the file's labels read as the
    model's training file was (its manifest: label_columns, separator, none_of_these). The answer key: the
    model's 0/1 columns when the file has them all (a blank cell is no; a row with another value is not
    scored), else the first column whose every non-empty cell is a set of the model's labels joined by
    `separator` (two distinct sets at least). A row with no label is the empty set with none_of_these, else
    not scored. The decisions are the frame's own predicted_labels (joined by ";"); the probabilities
    (prob_<label>) only order the mistakes."""
    labels = list(labels)
    known = set(labels)
    summary = BatchSummary(len(frame), seconds)

    def text(v) -> str:
        return "" if v is None or v != v else str(v)

    def counted(chosen):  # a row without labels: "none of these", or not scored
        return chosen if chosen or none_of_these else None

    def from_flags(columns):  # one 0/1 column per label, read as dataset.build_report reads them
        read = yes_no_reader([frame[c].tolist() for c in columns], [str(c) for c in columns], none_of_these)
        return [None if isinstance(chosen, Skip) else chosen for chosen in map(read, range(len(frame)))]

    def from_cells(column):
        cells = [text(v).strip() for v in frame[column].tolist()]
        sets = [split_cell(c, separator) for c in cells]
        present = [s for c, s in zip(cells, sets) if c]
        if len(set(present)) < 2 or not all(set(s) <= known for s in present):
            return None
        return [counted(s) for s in sets]

    names = {str(c): c for c in frame.columns}
    flags = [names[c] for c in label_columns if c in names]
    found = None
    if label_columns and len(flags) == len(label_columns):
        found = ", ".join(map(str, flags)), from_flags(flags), [str(c) for c in flags]
    if found is None or all(s is None for s in found[1]):  # no 0/1 columns, or none of their rows usable
        found = None
        added = {"predicted_labels", text_column} | {f"prob_{name}" for name in labels}
        for c in frame.columns:
            sets = None if c in added else from_cells(c)
            if sets is not None:
                found = str(c), sets, []
                break
    if found is None:
        return summary
    column, sets, summary.label_columns = found
    keep = [i for i, s in enumerate(sets) if s is not None]
    probs = np.column_stack([np.asarray(frame[f"prob_{name}"].tolist(), dtype=float) for name in labels])[keep]
    if "predicted_labels" in frame.columns and not any(";" in name for name in labels):
        chosen = [text(v).split(";") for v in frame["predicted_labels"].tolist()]
        predicted = indicator([[n for n in chosen[i] if n in known] for i in keep], labels)
    else:  # label names that hold ";" cannot be split back out: the model's thresholds decide
        predicted = decide(probs, thresholds)
    texts = ["" if v is None else str(v) for v in frame[text_column].tolist()]
    summary.label_column, summary.unlabelled = column, len(sets) - len(keep)
    summary.report = multilabel_report([texts[i] for i in keep], indicator([sets[i] for i in keep], labels),
                                       probs, labels, thresholds, predicted=predicted)
    return summary
