"""TrainerCallbacks that turn Trainer hooks into our events, honour the cancel token, keep the best model."""

from __future__ import annotations

import time
from collections.abc import Callable

from transformers import TrainerCallback

from ..base.events import Cancelled, CancelToken, Evaluated, LogLine, StepProgress


class EventCallback(TrainerCallback):
    """Streams throttled StepProgress events with loss, learning rate and ETA; checks the cancel token."""

    def __init__(self, emit: Callable, cancel: CancelToken | None, batch_size: int,
                 min_interval_s: float = 0.1, clock=time.monotonic) -> None:
        self.emit, self.cancel, self.batch_size = emit, cancel, batch_size
        self.min_interval_s, self.clock = min_interval_s, clock
        self.start: float | None = None
        self.last_emit = float("-inf")
        self.loss: float | None = None
        self.lr: float | None = None

    def _check(self) -> None:
        if self.cancel is not None and self.cancel.cancelled:
            raise Cancelled()

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = self.clock()
        self._check()

    def on_step_begin(self, args, state, control, **kwargs):
        self._check()

    def on_substep_end(self, args, state, control, **kwargs):
        self._check()

    def on_prediction_step(self, args, state, control, **kwargs):
        self._check()

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" in logs:
            self.loss = float(logs["loss"])
        if "learning_rate" in logs:
            self.lr = float(logs["learning_rate"])

    def on_step_end(self, args, state, control, **kwargs):
        now = self.clock()
        last = state.global_step >= state.max_steps
        if now - self.last_emit >= self.min_interval_s or last:
            self.last_emit = now
            self.emit(self.progress(state, now))
        self._check()

    def progress(self, state, now: float) -> StepProgress:
        elapsed = now - (self.start if self.start is not None else now)
        step, total = state.global_step, state.max_steps
        rate = step / elapsed if elapsed > 0 and step else None
        eta = (total - step) / rate if rate else None
        return StepProgress(step, total, float(state.epoch or 0.0), self.loss, self.lr, elapsed, eta,
                            rate * self.batch_size if rate else None)


class BestModelKeeper(TrainerCallback):
    """Keeps the trainable weights of the best evaluation (`metric`: macro-F1, or micro-F1 for multi-label) in
    memory, and stops early.

    In memory, not as Trainer checkpoints: LoRA weights and the head are a few MB, and nothing is
    written to disk until the run has succeeded (a cancelled run leaves no files behind).
    """

    def __init__(self, emit: Callable, patience: int, metric: str = "macro_f1") -> None:
        self.emit, self.patience, self.metric = emit, patience, metric
        self.best_f1 = float("-inf")
        self.best_state: dict | None = None
        self.best_metrics: dict | None = None
        self.bad_evals = 0
        self.stopped_early = False
        self.history: list[dict] = []

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        metrics = metrics or {}
        f1 = float(metrics.get(f"eval_{self.metric}", 0.0))
        is_best = f1 > self.best_f1 + 1e-9
        entry = {"step": state.global_step, "epoch": float(state.epoch or 0), "loss": metrics.get("eval_loss"),
                 "accuracy": float(metrics.get("eval_accuracy", 0.0)),
                 "macro_f1": float(metrics.get("eval_macro_f1", 0.0))}
        if "eval_micro_f1" in metrics:
            entry["micro_f1"] = float(metrics["eval_micro_f1"])
        self.history.append(entry)
        if is_best:
            self.best_f1, self.best_metrics, self.bad_evals = f1, entry, 0
            if model is not None:
                self.best_state = {k: v.detach().clone() for k, v in model.named_parameters() if v.requires_grad}
        else:
            self.bad_evals += 1
            if self.patience and self.bad_evals >= self.patience:
                control.should_training_stop = True
                self.stopped_early = True
        self.emit(Evaluated(state.global_step, entry["epoch"], entry["loss"], entry["accuracy"], entry["macro_f1"],
                            is_best, entry.get("micro_f1")))

    def restore(self, model) -> None:
        if self.best_state is None:
            return
        params = dict(model.named_parameters())
        for name, value in self.best_state.items():
            params[name].data.copy_(value)


class CacheCheck(TrainerCallback):
    """Once the first epoch has filled the frozen-layer cache (frozen_cache.py), check it and say in the
    log what it does from then on."""

    def __init__(self, cache, emit: Callable) -> None:
        self.cache, self.emit = cache, emit

    def on_epoch_end(self, args, state, control, **kwargs):
        if not self.cache.checked:
            self.emit(LogLine(self.cache.check()))
