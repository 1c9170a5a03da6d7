"""What the Trainer optimises and measures, per task: one label per text (softmax, cross-entropy, macro-F1)
or several (a sigmoid per label, binary cross-entropy, micro-F1). training.py runs either the same way."""

from __future__ import annotations

import numpy as np

from ..metrics.evaluation import scores
from ..base.events import LogLine
from ..data.label_map import LabelMap
from ..metrics.multilabel_metrics import indicator, multilabel_scores, tune_thresholds

# Multi-label runs train at this multiple of their preset's learning rate. Measured (bench_multilabel.py,
# docs/BENCHMARKS.md): with the balanced preset's 5e-4 the sigmoid heads were still far from fitted after
# its epochs (validation micro-F1 0.26, 0.37, 0.50 at 0.5 thresholds); twice the rate reached the score of
# twice the epochs in the same time.
MULTI_LABEL_LR_SCALE = 2.0


def class_weights(labels: list[int], n: int) -> list[float]:
    """Inverse-frequency weights normalised to mean 1 (sklearn's 'balanced')."""
    counts = [max(1, labels.count(i)) for i in range(n)]
    return [len(labels) / (n * c) for c in counts]


def positive_weights(targets: list[list[float]], cap: float = 30.0) -> list[float]:
    """Per label, negatives / positives (BCEWithLogitsLoss's pos_weight), capped: a label on 1 row in 1,000
    would otherwise weigh 1,000x and the model would call it everywhere."""
    matrix = np.asarray(targets, dtype=float)
    positives = matrix.sum(axis=0)
    return [float(min(cap, max(1.0, (len(matrix) - p) / max(p, 1.0)))) for p in positives]


def _logits(prediction):
    return prediction.predictions[0] if isinstance(prediction.predictions, tuple) else prediction.predictions


class SingleLabel:
    multi_label = False
    best_metric = "macro_f1"   # what early stopping and the kept epoch maximise

    def __init__(self, label_map: LabelMap) -> None:
        self.label_map = label_map

    def targets(self, examples) -> list:
        return self.label_map.ids(examples.labels)

    def label_tensor(self, values):
        import torch

        return torch.tensor(values, dtype=torch.long)

    def metrics(self, prediction) -> dict:
        s = scores(prediction.label_ids, np.argmax(_logits(prediction), axis=1), len(self.label_map))
        return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"]}

    def weighted_loss(self, targets: list):
        """Cross-entropy with inverse-frequency class weights (the class-weighting setting)."""
        import torch

        weights = torch.tensor(class_weights(targets, len(self.label_map)), dtype=torch.float32)

        def loss(outputs, labels, num_items_in_batch=None):
            logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
            return torch.nn.functional.cross_entropy(logits.float(), labels, weight=weights.to(logits.device))
        return loss


class MultiLabel(SingleLabel):
    multi_label = True
    best_metric = "micro_f1"  # pooled over every label decision: steady with rare labels, unlike macro-F1

    def targets(self, examples) -> list:
        index = self.label_map.label2id
        rows = []
        for names in examples.labels:
            row = [0.0] * len(self.label_map)
            for name in names:
                row[index[name]] = 1.0
            rows.append(row)
        return rows

    def label_tensor(self, values):
        import torch

        return torch.tensor(values, dtype=torch.float32)

    def metrics(self, prediction) -> dict:
        """Scored as the finished model will be: each label's threshold tuned on these validation texts. At 0.5
        an early model gives no label (micro-F1 0) or every label, and early stopping would end a run that is
        learning; tuned, the number follows what the model can tell apart, and the kept epoch is the best."""
        truth = np.asarray(prediction.label_ids) > 0.5
        probs = 1 / (1 + np.exp(-np.asarray(_logits(prediction), dtype=np.float64)))
        s = multilabel_scores(truth, probs >= np.asarray(tune_thresholds(probs, truth)))
        return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "micro_f1": s["micro_f1"]}

    def weighted_loss(self, targets: list):
        """Binary cross-entropy with each label's positives weighted by its rarity (positive_weights)."""
        import torch

        weights = torch.tensor(positive_weights(targets), dtype=torch.float32)

        def loss(outputs, labels, num_items_in_batch=None):
            logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
            return torch.nn.functional.binary_cross_entropy_with_logits(
                logits.float(), labels.float(), pos_weight=weights.to(logits.device))
        return loss


def for_task(config, multi_label: bool, emit):
    """The config a multi-label run trains with: an unset (automatic) learning rate becomes the preset's scaled
    by MULTI_LABEL_LR_SCALE, said in the log; a learning rate the user set is kept exactly, whatever its value."""
    from dataclasses import replace

    if not multi_label or config.learning_rate is not None:
        return config
    rate = config.starting.learning_rate * MULTI_LABEL_LR_SCALE
    emit(LogLine(f"Several labels per text: learning rate {rate:g}, {MULTI_LABEL_LR_SCALE:g}× the “{config.preset}” "
                 "preset's (its own rate underfits label sets; measured in docs/BENCHMARKS.md). Set a learning "
                 "rate to train with exactly yours."))
    return replace(config, learning_rate=rate, automatic=config.automatic + ("learning_rate",))


def objective_for(examples, label_map: LabelMap) -> SingleLabel:
    return MultiLabel(label_map) if examples.multi_label else SingleLabel(label_map)


def tuned_thresholds(classifier, validation) -> list[float]:
    """Multi-label: each label's threshold chosen on the validation split to maximise its F1 (stored in the
    manifest; `predict --threshold` overrides it)."""
    return tune_thresholds(classifier.predict_proba(validation.texts), indicator(validation.labels, classifier.labels))


def gives_every_label(report) -> bool:
    """Multi-label: each label given to 90% or more of the validation texts (a model that learnt nothing)."""
    given = [c.support - e.missed + e.added for c, e in zip(report.per_class, report.label_errors)]
    return bool(given) and all(g >= 0.9 * report.examples for g in given)


def finished_line(report, estimate=None) -> str:
    if estimate is not None and estimate.cross_validated:
        metric = "micro-F1 " + estimate.plus_minus("micro_f1") if report.multi_label else \
            "accuracy " + estimate.plus_minus("accuracy", percent=True)
        return f"Finished: {metric}, macro-F1 {estimate.plus_minus('macro_f1')} ({estimate.phrase()})."
    if report.multi_label:
        return (f"Finished: validation micro-F1 {report.micro_f1:.3f}, macro-F1 {report.macro_f1:.3f}, "
                f"every label right on {report.accuracy:.1%} of texts (thresholds tuned on this split).")
    return f"Finished: validation accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f}."
