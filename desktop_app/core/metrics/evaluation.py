"""Metrics for a classifier: accuracy, macro/weighted F1, per-class table, confusion matrix, mistakes."""

from __future__ import annotations

import numpy as np

from ..base.errors import DataError
from .multilabel_metrics import indicator, multilabel_report
from .reports import BatchSummary, ClassMetrics, EvalReport, Mistake
from ..base.sanitize import printable


def confusion_matrix(y_true, y_pred, n_labels: int) -> np.ndarray:
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix


def scores(y_true, y_pred, n_labels: int) -> dict:
    """accuracy, macro_f1, weighted_f1 and per-class precision/recall/f1/support (0 where undefined)."""
    cm = confusion_matrix(y_true, y_pred, n_labels)
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    support = cm.sum(axis=1).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = support.sum()
    present = support > 0  # macro-F1 over the classes that occur in this split
    return {
        "accuracy": float(tp.sum() / total) if total else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "weighted_f1": float((f1 * support).sum() / total) if total else 0.0,
        "precision": precision, "recall": recall, "f1": f1, "support": support.astype(int), "confusion": cm,
    }


def evaluation_report(texts: list[str], y_true: list[int], probs: np.ndarray, labels: list[str],
                      loss: float | None = None, max_mistakes: int = 500) -> EvalReport:
    probs = np.asarray(probs, dtype=float)
    y_pred = probs.argmax(axis=1) if len(probs) else np.zeros(0, dtype=int)
    s = scores(y_true, y_pred, len(labels))
    per_class = [ClassMetrics(labels[i], float(s["precision"][i]), float(s["recall"][i]), float(s["f1"][i]),
                              int(s["support"][i])) for i in range(len(labels))]
    wrong = [i for i in range(len(y_true)) if y_pred[i] != y_true[i]]
    wrong.sort(key=lambda i: -probs[i, y_pred[i]])  # confident mistakes first: the most instructive
    mistakes = [Mistake(texts[i], labels[y_true[i]], labels[int(y_pred[i])], float(probs[i, y_pred[i]]))
                for i in wrong[:max_mistakes]]
    return EvalReport(list(labels), len(y_true), s["accuracy"], s["macro_f1"], s["weighted_f1"], per_class,
                      s["confusion"].tolist(), mistakes, loss)


def evaluate(classifier, examples, max_mistakes: int = 500) -> EvalReport:
    """Measure a classifier (anything with .labels and .predict_proba) on labelled examples: the one
    evaluation the CLI, the window and training share. Labels the model does not know are refused."""
    known = {name: i for i, name in enumerate(classifier.labels)}
    multi = getattr(classifier, "multi_label", False)
    if multi != examples.multi_label:
        raise DataError("This model gives " + ("several labels per text" if multi else "one label per text")
                        + ", but the file was read with " + ("one label" if multi else "several labels") + " per row.",
                        "Read the file the way the model was trained (its label settings are in the adapter).")
    unknown = sorted(set(examples.label_names()) - set(known))
    if unknown:
        raise DataError(f"The file has labels this model does not know: {printable(', '.join(unknown[:5]))}.",
                        f"The model's classes are: {printable(', '.join(classifier.labels))}.")
    probs = classifier.predict_proba(examples.texts)
    if multi:
        return multilabel_report(examples.texts, indicator(examples.labels, classifier.labels), probs,
                                 classifier.labels, classifier.thresholds, max_mistakes)
    return evaluation_report(examples.texts, [known[y] for y in examples.labels], probs, list(classifier.labels),
                             max_mistakes=max_mistakes)


def batch_summary(frame, labels, text_column: str, seconds: float, predicted: str = "predicted_label",
                  confidence: str = "confidence") -> BatchSummary:
    """Summarise predict_frame's output. A column counts as the answer key when every non-empty cell is
    one of the model's labels (and at least two classes occur); the first such column is used."""
    labels = list(labels)
    index = {name: i for i, name in enumerate(labels)}
    summary = BatchSummary(len(frame), seconds)
    added = {predicted, confidence, text_column} | {f"prob_{name}" for name in labels}
    for column in frame.columns:
        if column in added:
            continue
        cells = ["" if v is None else str(v).strip() for v in frame[column].tolist()]
        present = [c for c in cells if c and c.lower() != "nan"]
        if len(set(present)) < 2 or not all(c in index for c in present):
            continue
        keep = [i for i, c in enumerate(cells) if c in index]
        y_true = [index[cells[i]] for i in keep]
        predicted_labels = frame[predicted].tolist()
        conf = frame[confidence].tolist()
        probs = np.zeros((len(keep), len(labels)))
        for row, i in enumerate(keep):  # a one-hot of the prediction, scaled by its confidence
            probs[row, index[predicted_labels[i]]] = float(conf[i]) if conf[i] == conf[i] else 1.0
        texts = ["" if v is None else str(v) for v in frame[text_column].tolist()]
        summary.label_column, summary.unlabelled = str(column), len(cells) - len(keep)
        summary.report = evaluation_report([texts[i] for i in keep], y_true, probs, labels)
        break
    return summary
