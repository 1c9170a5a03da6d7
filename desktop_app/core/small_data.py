"""The small-data path: a few dozen or a few hundred labelled examples.

With 40 examples, holding 5 out to pick an epoch and stop early decides on noise, and the model trains on 35.
Here instead (chosen by the data, `plan_for`):
1. k-fold cross-validation estimates the score: each fold's model trains on the other folds with the same fixed
   settings the kept model uses, and predicts its own fold. Every row gets an out-of-fold probability from a
   model that never saw it (`CrossValidation.probabilities`, which the label review reuses); the per-class table
   and confusion matrix are pooled over the folds, and the folds' spread says how sure the estimate is.
2. The kept model trains on every row with those settings. It has no held-out score of its own: the number
   shown for it is the cross-validated estimate, and says so (score_estimate.py).
Each model's head starts from a linear probe on the frozen base (probe.py). Training is a plain loop, not the
Trainer: nothing is evaluated or saved between epochs, and at a few steps per fit the Trainer's set-up would
cost more than the training.
"""

from __future__ import annotations

import copy
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .events import CancelToken, LogLine, StepProgress, checkpoint

# The threshold, documented in README and docs/BENCHMARKS.md: below SMALL_ROWS rows in all, or below
# SMALL_PER_CLASS examples per class on average (up to MAX_SMALL_ROWS rows), the small-data path trains.
SMALL_ROWS = 600
SMALL_PER_CLASS = 40
MAX_SMALL_ROWS = 5000
DEFAULT_FOLDS = 5
MIN_FOLDS, MAX_FOLDS = 2, 10

# The fixed settings every fit of the small path uses, chosen on bench/bench_small_data.py (docs/BENCHMARKS.md).
SMALL_EPOCHS = 8
SMALL_LEARNING_RATE = 2e-4
SMALL_BATCH = 16
SMALL_MIN_STEPS = 40  # the fewest optimiser updates a fit gets (more epochs on the tiniest sets)
MAX_SMALL_EPOCHS = 40


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


def fold_of(examples, folds: int, seed: int) -> list[int]:
    """Each row's fold: every class (every label, for label sets) spread over the folds as evenly as it can be."""
    if examples.multi_label:
        from .stratify import iterative_split

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
        from .score_estimate import CROSS_VALIDATION, ScoreEstimate

        metrics = ("micro_f1", "macro_f1", "accuracy") if self.thresholds is not None else ("accuracy", "macro_f1")
        return ScoreEstimate(CROSS_VALIDATION, len(self.fold), self.folds, {m: self.spread(m)[0] for m in metrics},
                             {m: self.spread(m)[1] for m in metrics})

    def spread(self, metric: str) -> tuple[float, float]:
        values = [s[metric] for s in self.fold_scores if s.get(metric) is not None]
        if not values:
            return 0.0, 0.0
        return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


class _Progress:
    """StepProgress over every fit of the run (folds and the kept model), throttled to ~10 a second."""

    def __init__(self, emit: Callable, total: int, batch: int, interval: float = 0.1) -> None:
        self.emit, self.total, self.batch, self.interval = emit, total, batch, interval
        self.step, self.started, self.last = 0, time.monotonic(), float("-inf")
        self.epoch, self.loss, self.lr = 0.0, None, None

    def advance(self, epoch: float, loss: float, lr: float) -> None:
        self.step += 1
        self.epoch, self.loss, self.lr = epoch, loss, lr
        now = time.monotonic()
        if now - self.last >= self.interval or self.step >= self.total:
            self.last = now
            elapsed = now - self.started
            rate = self.step / elapsed if elapsed > 0 else None
            eta = (self.total - self.step) / rate if rate else None
            self.emit(StepProgress(self.step, self.total, epoch, loss, lr, elapsed, eta,
                                   rate * self.batch if rate else None))


def fit_settings(rows: int) -> tuple[int, int]:
    """(epochs, steps) of one fit on `rows` examples: SMALL_EPOCHS, more on the tiniest sets."""
    per_epoch = max(1, math.ceil(rows / SMALL_BATCH))
    epochs = min(MAX_SMALL_EPOCHS, max(SMALL_EPOCHS, math.ceil(SMALL_MIN_STEPS / per_epoch)))
    return epochs, epochs * per_epoch


def fit(model, encoder, ids: list[list[int]], targets: list, objective, config, progress: _Progress,
        cancel: CancelToken | None, seed: int, class_weights_from: list | None = None) -> None:
    """Train the model's trainable weights (LoRA and head) on the examples: AdamW, linear decay after a warm-up,
    a fixed number of epochs, no evaluation. Raises Cancelled within one step of Stop."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    epochs, steps = fit_settings(len(ids))
    device = next(model.parameters()).device
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=SMALL_LEARNING_RATE, weight_decay=config.weight_decay)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup * steps), steps)
    loss_func = objective.weighted_loss(class_weights_from) if class_weights_from is not None else None
    rng = random.Random(seed)
    model.train()
    done = 0
    for epoch in range(epochs):
        order = list(range(len(ids)))
        rng.shuffle(order)
        for start in range(0, len(order), SMALL_BATCH):
            checkpoint(cancel)
            chunk = order[start:start + SMALL_BATCH]
            batch = {k: v.to(device) for k, v in encoder.collate([ids[i] for i in chunk]).items()}
            labels = objective.label_tensor([targets[i] for i in chunk]).to(device)
            if loss_func is None:
                loss = model(**batch, labels=labels).loss
            else:
                loss = loss_func(model(**batch), labels)
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            done += 1
            progress.advance(epoch + (start + len(chunk)) / len(order), float(loss.detach()),
                             schedule.get_last_lr()[0])
    model.eval()


def total_steps(plan: SmallDataPlan, fold: list[int]) -> int:
    steps = fit_settings(plan.rows)[1]
    for k in range(plan.folds):
        steps += fit_settings(sum(1 for f in fold if f != k))[1]
    return steps


class _Session:
    """One base model, tokenised once and read once by the frozen base, for every fit of a run."""

    def __init__(self, config, examples, label_map, objective, prepared, cancel: CancelToken) -> None:
        from .preparation import choose_max_length
        from .probe import head_features
        from .text import TextEncoder

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
        # the base is frozen and LoRA not attached yet: every fit's probe reads the same vectors, computed once
        self.features = head_features(prepared.model, self.encoder, examples.texts, between=lambda: checkpoint(cancel))

    def trained_on(self, rows: list[int], seed: int, progress: _Progress):
        from .preparation import attach_lora, seed_everything
        from .probe import fit_probe, set_head

        model = copy.deepcopy(self.prepared.model)
        set_head(model, *fit_probe(self.features[rows], self.target_array[rows], len(self.label_map), self.multi, seed))
        seed_everything(seed)  # LoRA's A matrices are drawn now
        model = attach_lora(self.config, self.prepared.base, model)
        chosen = [self.targets[i] for i in rows]
        fit(model, self.encoder, [self.ids[i] for i in rows], chosen, self.objective, self.config, progress,
            self.cancel, seed, chosen if self.config.class_weighting else None)
        return model

    def cross_validate(self, rows: list[int], folds: int, progress: _Progress, emit: Callable) -> CrossValidation:
        """Out-of-fold probabilities for `rows` (indices into the session's examples), fold scores, pooled report."""
        from .dataset import Examples
        from .inference import predict_probabilities

        subset = Examples([self.examples.texts[i] for i in rows], [self.examples.labels[i] for i in rows],
                          multi_label=self.multi)
        fold = fold_of(subset, folds, self.config.seed)
        out_of_fold = np.zeros((len(rows), len(self.label_map)), dtype=np.float32)
        for k in range(folds):
            held = [j for j in range(len(rows)) if fold[j] == k]
            model = self.trained_on([rows[j] for j in range(len(rows)) if fold[j] != k], self.config.seed + k + 1,
                                    progress)
            out_of_fold[held] = predict_probabilities(model, self.encoder, [subset.texts[j] for j in held])
            del model
            emit(LogLine(f"Fold {k + 1} of {folds} done ({len(held)} examples held out)."))
        cv = CrossValidation(folds, fold, out_of_fold)
        cv.report = _pooled_report(cv, subset, self.target_array[rows], self.label_map, self.multi)
        return cv


def run_small(config, splits, label_map, objective, prepared, emit: Callable, cancel: CancelToken):
    """Cross-validate, then train the kept model on every row. Returns a TrainResult (not saved here)."""
    from dataclasses import replace

    from .evaluation import evaluate
    from .events import Started
    from .inference import Classifier
    from .pooling import pooling_of
    from .score_estimate import CROSS_VALIDATION, ScoreEstimate
    from .train_result import TrainResult

    plan, examples = splits.plan, splits.train
    n, multi = len(examples), objective.multi_label
    session = _Session(config, examples, label_map, objective, prepared, cancel)
    fold = fold_of(examples, plan.folds, config.seed)
    epochs = fit_settings(n)[0]
    emit(LogLine(f"Small data ({n} examples): {plan.folds}-fold cross-validation estimates the score, then the kept "
                 f"model trains on all {n}. Each fit: a head from a linear probe on the frozen model, then LoRA for "
                 f"{epochs} epochs at learning rate {SMALL_LEARNING_RATE:g}, batch {SMALL_BATCH} (fixed settings)."))
    progress = _Progress(emit, total_steps(plan, fold), SMALL_BATCH)
    emit(Started(progress.total, float(epochs), n, 0, label_map.names, prepared.device.name,
                 session.encoder.max_length, SMALL_BATCH, multi))
    cv = session.cross_validate(list(range(n)), plan.folds, progress, emit)
    emit(LogLine(_estimate_line(cv, cv.report, multi)))
    final = session.trained_on(list(range(n)), config.seed, progress)
    trained = Classifier(final, session.encoder, label_map.names, None)
    if multi:
        trained.multi_label, trained.thresholds = True, cv.thresholds
    test = evaluate(trained, splits.test) if splits.test else None
    seconds = time.monotonic() - progress.started
    ran = replace(config, epochs=float(epochs), learning_rate=SMALL_LEARNING_RATE, batch_size=SMALL_BATCH,
                  early_stopping_patience=0, min_steps=0)
    return TrainResult(
        status="completed", labels=label_map.names, validation=cv.report, test=test, history=[], steps=progress.step,
        epochs=float(epochs), train_seconds=seconds, samples_per_s=progress.step * SMALL_BATCH / seconds if seconds else 0.0,
        max_length=session.encoder.max_length, batch_size=SMALL_BATCH, device=prepared.device.name,
        dataset=splits.source, thresholds=cv.thresholds, train_examples=n, config=ran, model=final,
        encoder=session.encoder, per_device_batch=SMALL_BATCH, effective_batch=SMALL_BATCH,
        estimate=cv.estimate(), cross_validation=cv, pooling=pooling_of(final))


@dataclass(frozen=True)
class CurvePoint:
    share: float   # of the rows
    rows: int
    mean: float    # the cross-validated headline metric (accuracy; micro-F1 for label sets)
    spread: float


LEARNING_SHARES = (0.25, 0.5, 0.75, 1.0)
HELPS = 0.02  # a gain of two points from 75% to 100% of the rows: more rows would likely help


def learning_curve(config, examples, emit: Callable | None = None, cancel: CancelToken | None = None,
                   shares=LEARNING_SHARES) -> tuple[list[CurvePoint], str]:
    """The cross-validated score on 25/50/75/100% of the rows (each share a stratified, seeded subset, the same
    fixed settings as training) and a sentence: would more examples likely help? Costs folds × shares fits."""
    from .labels import LabelMap
    from .objectives import objective_for
    from .preparation import prepare_model

    emit = emit or (lambda event: None)
    cancel = cancel or CancelToken()
    label_map = LabelMap.from_labels(examples.label_names())
    objective = objective_for(examples, label_map)
    prepared = prepare_model(config, label_map.names, emit, cancel)
    session = _Session(config, examples, label_map, objective, prepared, cancel)
    order = fold_of(examples, 4, config.seed + 7)  # a stratified order: quarter q holds rows with order[i] == q
    subsets = [[i for i in range(len(examples)) if order[i] < round(share * 4)] for share in shares]
    plan = plan_for(examples, config)
    steps = sum(total_steps(SmallDataPlan(True, len(rows), plan.classes, plan.folds, ""),
                            [0] * len(rows)) - fit_settings(len(rows))[1] for rows in subsets)
    progress = _Progress(emit, steps, SMALL_BATCH)
    metric = "micro_f1" if objective.multi_label else "accuracy"
    points = []
    for share, rows in zip(shares, subsets):
        cv = session.cross_validate(rows, plan.folds, progress, lambda event: None)
        mean, spread = cv.spread(metric)
        points.append(CurvePoint(share, len(rows), mean, spread))
        emit(LogLine(f"{len(rows)} examples ({share:.0%}): {mean:.3f} ± {spread:.3f}."))
    return points, curve_verdict(points)


def curve_verdict(points: list[CurvePoint]) -> str:
    if len(points) < 2:
        return ""
    gain = points[-1].mean - points[-2].mean
    if gain >= HELPS:
        return (f"More examples would likely help: the last {points[-1].rows - points[-2].rows} examples added "
                f"{100 * gain:.1f} points.")
    return (f"More examples would help little now: the last {points[-1].rows - points[-2].rows} examples changed the "
            f"score by {100 * gain:+.1f} points. Check the labels, or label the texts the model finds hardest.")


def _pooled_report(cv: CrossValidation, examples, targets: np.ndarray, label_map, multi: bool):
    """Per-class table, confusion matrix and mistakes over every row's out-of-fold prediction; fold scores."""
    from .evaluation import evaluation_report, scores

    probs = cv.probabilities
    if multi:
        from .multilabel_metrics import decide, multilabel_report, multilabel_scores, tune_thresholds

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
