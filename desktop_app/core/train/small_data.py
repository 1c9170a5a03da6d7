"""The small-data path: a few dozen or a few hundred labelled examples.

With 40 examples, holding 5 out to pick an epoch and stop early decides on noise, and the model trains on 35.
Here instead (chosen by the data, `plan_for`):
1. k-fold cross-validation estimates the score: each fold's model trains on the other folds with the same fixed
   settings the kept model uses, and predicts its own fold. Every row gets an out-of-fold probability from a
   model that never saw it (`CrossValidation.probabilities`, which the label review reuses); the per-class table
   and confusion matrix are pooled over the folds, and the folds' spread says how sure the estimate is.
2. The kept model trains on every row with those settings. It has no held-out score of its own: the number
   shown for it is the cross-validated estimate, and says so (score_estimate.py).
Each fit tunes the sentence vectors on pairs of its examples with LoRA, held near where the base put them
(pair_tuning.py), then its head is a linear probe on the tuned vectors (probe.py). Training is a plain loop, not the Trainer: nothing is evaluated or saved between epochs, and at a few steps per fit the Trainer's set-up would
cost more than the training.
"""

from __future__ import annotations

import copy
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..metrics.evaluation import evaluate, evaluation_report, scores
from ..base.events import CancelToken, LogLine, Started, StepProgress, checkpoint
from . import pair_tuning
from ..data.dataset import Examples, label_counts, stratified_split
from ..predict.inference import Classifier
from ..metrics.multilabel_metrics import decide, multilabel_report, multilabel_scores, tune_thresholds
from ..model.pooling import pooling_of
from .preparation import attach_lora, choose_max_length, seed_everything
from .probe import fit_probe, head_features, set_head
from ..metrics.score_estimate import CROSS_VALIDATION, ScoreEstimate
from ..data.small_data_plan import MAX_SMALL_ROWS, SMALL_LAYER_SHARE, SmallDataPlan, plan_for
from ..data.stratify import iterative_split
from ..model.text import TextEncoder
from ..artifacts.train_result import TrainResult
from ..predict import inference

def plan_for_run(examples, config, validation_file: bool = False) -> SmallDataPlan:
    """The plan a run on these examples follows, decided as dataset.prepare_training_data decides it: never the
    small path beside a validation file, and the test share held out first (for the window's sentence)."""
    held = examples
    # the split costs ~0.3 s on 100,000 rows: made only where the rows left could take the small path
    if config.test_fraction and (config.small_data == "on" or len(examples) * (1 - config.test_fraction) < MAX_SMALL_ROWS):
        held = stratified_split(examples, config.test_fraction, 0.0, config.seed).train
    plan = plan_for(held, config)
    if validation_file:
        return SmallDataPlan(False, plan.rows, plan.classes, 0, f"{plan.rows:,} examples: LoRA Studio measures "
                             "each epoch on your validation file and keeps the best one.")
    return plan


def fold_of(examples, folds: int, seed: int) -> list[int]:
    """Each row's fold: every class (every label, for label sets) spread over the folds as evenly as it can be."""
    if examples.multi_label:
        parts = iterative_split(examples.labels, [1 / folds] * folds, seed)
        out = [0] * len(examples)
        for k, ids in enumerate(parts):
            for i in ids:
                out[i] = k
        return out
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(examples.labels):
        by_class.setdefault(label, []).append(i)
    out, offset = [0] * len(examples), 0
    for label in sorted(by_class):
        ids = by_class[label]
        rng.shuffle(ids)
        for j, i in enumerate(ids):
            out[i] = (offset + j) % folds
        offset += len(ids)  # the next class starts where this one ended: fold sizes stay within one row
    return out


@dataclass
class CrossValidation:
    folds: int
    fold: list[int]                 # each row's fold
    probabilities: np.ndarray       # rows × labels, out of fold: from the model that did not train on the row
    fold_scores: list[dict] = field(default_factory=list)  # per fold: examples, accuracy, macro_f1 (micro_f1)
    thresholds: list[float] | None = None  # label sets: tuned on the out-of-fold probabilities
    report: object = None           # EvalReport pooled over every row's out-of-fold prediction

    def estimate(self):
        metrics = ("micro_f1", "macro_f1", "accuracy") if self.thresholds is not None else ("accuracy", "macro_f1")
        return ScoreEstimate(CROSS_VALIDATION, len(self.fold), self.folds, {m: self.spread(m)[0] for m in metrics},
                             {m: self.spread(m)[1] for m in metrics})

    def spread(self, metric: str) -> tuple[float, float]:
        values = [s[metric] for s in self.fold_scores if s.get(metric) is not None]
        if not values:
            return 0.0, 0.0
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


class Progress:
    """StepProgress over every fit of the run (folds and the kept model), throttled to ~10 a second."""

    def __init__(self, emit: Callable, total: int, batch: int, interval: float = 0.1) -> None:
        self.emit, self.total, self.batch, self.interval = emit, total, batch, interval
        self.step, self.started, self.last = 0, time.monotonic(), float("-inf")

    def advance(self, epoch: float, loss: float, lr: float) -> None:
        self.step += 1
        now = time.monotonic()
        if now - self.last >= self.interval or self.step >= self.total:
            self.last = now
            elapsed = now - self.started
            rate = self.step / elapsed if elapsed > 0 else None
            eta = (self.total - self.step) / rate if rate else None
            self.emit(StepProgress(self.step, self.total, epoch, loss, lr, elapsed, eta,
                                   rate * self.batch if rate else None))


def fit_steps(rows: int) -> int:
    """Optimiser updates of one fit on `rows` examples."""
    return pair_tuning.pair_steps(rows)


def passes(rows: int) -> float:
    """How many times one fit reads each of its rows: its epochs."""
    return round(fit_steps(rows) * min(rows, pair_tuning.PAIR_BATCH) / max(1, rows), 2)


def total_steps(plan: SmallDataPlan, fold: list[int]) -> int:
    steps = fit_steps(plan.rows)
    for k in range(plan.folds):
        steps += fit_steps(sum(1 for f in fold if f != k))
    return steps


class Session:
    """One base model, tokenised once and read once by the frozen base, for every fit of a run."""

    def __init__(self, config, examples, label_map, objective, prepared, cancel: CancelToken) -> None:
        # pair tuning moves the vectors every layer makes: LoRA on all of them (the usual path adapts the top half)
        config = replace(config, lora=replace(config.lora, layer_share=SMALL_LAYER_SHARE))
        self.config, self.examples, self.label_map, self.objective = config, examples, label_map, objective
        self.prepared, self.cancel, self.multi = prepared, cancel, objective.multi_label
        probe = TextEncoder(prepared.tokenizer, prepared.token_limit)
        raw = probe.tokenize(examples.texts)
        self.encoder = TextEncoder(prepared.tokenizer,
                                   choose_max_length(config, probe.lengths(raw), prepared.token_limit))
        self.ids, self.targets = self.encoder.finish(raw), objective.targets(examples)
        self.target_array = np.asarray(self.targets)
        prepared.model.to(prepared.device.kind)
        checkpoint(cancel)

    def trained_on(self, rows: list[int], seed: int, progress: Progress):
        """One fit on `rows`: LoRA attached, pair tuning, then a head from the probe on the tuned vectors.
        No cross-entropy fine-tune follows: on the snippets it cost 0.033 macro-F1 at 8 per class and added 0.006
        at 32 (docs/BENCHMARKS.md), for twice the time."""
        seed_everything(seed)  # LoRA's A matrices are drawn now
        model = attach_lora(self.config, self.prepared.base, copy.deepcopy(self.prepared.model))
        pair_tuning.tune_pairs(model, self.encoder, [self.ids[i] for i in rows], self.target_array[rows], self.multi, progress,
                   self.cancel, seed)
        features = head_features(model, self.encoder, [self.examples.texts[i] for i in rows],
                                 between=lambda: checkpoint(self.cancel))
        set_head(model, *fit_probe(features, self.target_array[rows], len(self.label_map), self.multi, seed))
        return model

    def cross_validate(self, rows: list[int], folds: int, progress: Progress, emit: Callable) -> CrossValidation:
        """Out-of-fold probabilities for `rows` (indices into the session's examples), fold scores, pooled report."""
        subset = Examples([self.examples.texts[i] for i in rows], [self.examples.labels[i] for i in rows],
                          multi_label=self.multi)
        fold = fold_of(subset, folds, self.config.seed)
        out_of_fold = np.zeros((len(rows), len(self.label_map)), dtype=np.float32)
        for k in range(folds):
            held = [j for j in range(len(rows)) if fold[j] == k]
            model = self.trained_on([rows[j] for j in range(len(rows)) if fold[j] != k], self.config.seed + k + 1,
                                    progress)
            out_of_fold[held] = inference.predict_probabilities(model, self.encoder, [subset.texts[j] for j in held])
            del model
            emit(LogLine(f"Fold {k + 1} of {folds} done ({len(held)} examples held out)."))
        cv = CrossValidation(folds, fold, out_of_fold)
        cv.report = _pooled_report(cv, subset, self.target_array[rows], self.label_map, self.multi)
        return cv


def run_small(config, splits, label_map, objective, prepared, emit: Callable, cancel: CancelToken):
    """Cross-validate, then train the kept model on every row. Returns a TrainResult (not saved here)."""
    plan, examples = splits.plan, splits.train
    n, multi = len(examples), objective.multi_label
    session = Session(config, examples, label_map, objective, prepared, cancel)
    fold = fold_of(examples, plan.folds, config.seed)
    epochs, batch = passes(n), min(n, pair_tuning.PAIR_BATCH)
    per_class = pair_tuning.examples_per_class(session.target_array, multi)
    emit(LogLine(f"Small data ({n} examples): {plan.folds}-fold cross-validation estimates the score, then the kept "
                 f"model trains on all {n}. Each fit (fixed settings): LoRA pair tuning, {fit_steps(n)} steps of "
                 f"{batch} texts at learning rate {pair_tuning.PAIR_LEARNING_RATE:g}, each text held near the base "
                 f"model's vector for it (weight {pair_tuning.anchor_weight(per_class):.2g}), then a head from a linear probe on "
                 f"the tuned vectors."))
    progress = Progress(emit, total_steps(plan, fold), batch)
    emit(Started(progress.total, epochs, n, 0, label_map.names, prepared.device.name,
                 session.encoder.max_length, batch, multi))
    cv = session.cross_validate(list(range(n)), plan.folds, progress, emit)
    emit(LogLine(_estimate_line(cv, cv.report, multi)))
    final = session.trained_on(list(range(n)), config.seed, progress)
    trained = Classifier(final, session.encoder, label_map.names, None)
    if multi:
        trained.multi_label, trained.thresholds = True, cv.thresholds
    test = evaluate(trained, splits.test) if splits.test else None
    seconds = time.monotonic() - progress.started
    ran = replace(session.config, epochs=epochs, learning_rate=pair_tuning.PAIR_LEARNING_RATE, batch_size=batch,
                  early_stopping_patience=0, min_steps=0)
    return TrainResult(
        status="completed", labels=label_map.names, validation=cv.report, test=test, history=[], steps=progress.step,
        epochs=epochs, train_seconds=seconds, samples_per_s=progress.step * batch / seconds if seconds else 0.0,
        max_length=session.encoder.max_length, batch_size=batch, device=prepared.device.name,
        dataset=splits.source, thresholds=cv.thresholds, train_examples=n, config=ran, model=final,
        encoder=session.encoder, per_device_batch=batch, effective_batch=batch,
        estimate=cv.estimate(), cross_validation=cv, pooling=pooling_of(final), label_counts=label_counts(splits.train))


def _pooled_report(cv: CrossValidation, examples, targets: np.ndarray, label_map, multi: bool):
    """Per-class table, confusion matrix and mistakes over every row's out-of-fold prediction; fold scores."""
    probs = cv.probabilities
    if multi:
        truth = targets > 0.5
        cv.thresholds = tune_thresholds(probs, truth)
        chosen = decide(probs, cv.thresholds)
        for k in range(cv.folds):
            rows = [i for i, f in enumerate(cv.fold) if f == k]
            s = multilabel_scores(truth[rows], chosen[rows])
            cv.fold_scores.append({"examples": len(rows), "accuracy": s["accuracy"], "macro_f1": s["macro_f1"],
                                   "micro_f1": s["micro_f1"]})
        return multilabel_report(examples.texts, truth, probs, label_map.names, cv.thresholds)
    y = targets.astype(int)
    for k in range(cv.folds):
        rows = [i for i, f in enumerate(cv.fold) if f == k]
        s = scores(y[rows], probs[rows].argmax(axis=1), len(label_map))
        cv.fold_scores.append({"examples": len(rows), "accuracy": s["accuracy"], "macro_f1": s["macro_f1"]})
    return evaluation_report(examples.texts, y.tolist(), probs, list(label_map.names))


def _estimate_line(cv: CrossValidation, pooled, multi: bool) -> str:
    metric = "micro_f1" if multi else "accuracy"
    mean, spread = cv.spread(metric)
    f1, f1_spread = cv.spread("macro_f1")
    name = "micro-F1" if multi else "accuracy"
    shown = f"{mean:.3f} ± {spread:.3f}" if multi else f"{mean:.1%} ± {100 * spread:.1f}"
    return (f"Cross-validated estimate ({cv.folds} folds): {name} {shown}, macro-F1 {f1:.3f} ± {f1_spread:.3f} "
            f"(mean ± spread over the folds; pooled over all {pooled.examples} examples: {name} "
            f"{(pooled.micro_f1 if multi else pooled.accuracy):.3f}).")
