"""What run_training reports, as plain frozen dataclasses (no Qt): enough to draw bars and charts."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


class Cancelled(Exception):
    """Raised inside the training loop when the token is set, so that Stop takes effect within one step."""


class CancelToken:
    """Set from any thread (Stop button, Ctrl+C); the training loop checks it at every step.

    `cancel(keep_best=True)` ("Stop and keep the best epoch") asks training to stop but still save the
    best epoch evaluated so far, labelled as stopped; a plain cancel keeps nothing."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.keep_best = False

    def cancel(self, keep_best: bool = False) -> None:
        self.keep_best = keep_best
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class Started:
    total_steps: int
    epochs: float
    train_examples: int
    validation_examples: int
    labels: tuple[str, ...]
    device: str
    max_length: int
    batch_size: int
    multi_label: bool = False


@dataclass(frozen=True)
class StepProgress:
    step: int
    total_steps: int
    epoch: float
    loss: float | None
    learning_rate: float | None
    elapsed_s: float
    eta_s: float | None
    samples_per_s: float | None


@dataclass(frozen=True)
class Evaluated:
    step: int
    epoch: float
    loss: float | None
    accuracy: float
    macro_f1: float
    is_best: bool
    micro_f1: float | None = None   # multi-label runs: the metric early stopping follows


@dataclass(frozen=True)
class LogLine:
    message: str
    level: str = "info"   # "info" | "warning"


@dataclass(frozen=True)
class ThreadsChanged:
    """Training on the CPU moved to this many threads (threads.ThreadTuner): the header shows the count in use."""
    threads: int


@dataclass(frozen=True)
class WorkProgress:
    """Work other than training steps (the label review's folds, the vectors of a file's texts): done of total."""
    done: int
    total: int
    what: str  # "Reading the texts", "Fold 2 of 5"…


@dataclass(frozen=True)
class Finished:
    status: str                     # "completed" | "stopped_early" | "stopped" (by the user, best kept) | "cancelled"
    result: Any = field(default=None)  # TrainResult for completed runs, None when cancelled


Event = Started | StepProgress | Evaluated | LogLine | ThreadsChanged | WorkProgress | Finished


def checkpoint(cancel: CancelToken | None) -> None:
    """Raise Cancelled if Stop was asked for: long jobs call this between their steps."""
    if cancel is not None and cancel.cancelled:
        raise Cancelled()
