""""Would more examples help?": core/learning_curve.learning_curve for the data and settings a small-data run
used, run by its own Runner (the one bridge; heavy like training, so it must not hold up loading or exporting
in the tasks runner), with progress and Cancel on the Train results.

A curve belongs to the run it was asked for: the run's (config, examples) are kept with its result when the
run starts, and a curve arriving after another run started or other data was opened is dropped.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from ..core.base.events import StepProgress
from ..core.metrics.score_estimate import CROSS_VALIDATION, ScoreEstimate
from . import jobs


class LearningCurve(QObject):
    def __init__(self, parent, launcher, runner, training, trainer) -> None:
        """training: the Train page (its curve box and the result it shows); trainer: the training runner."""
        super().__init__(parent)
        self.launcher, self.runner, self.training, self.trainer = launcher, runner, training, trainer
        self.source = None  # (result, config, examples) of the small-data run on the Train results
        self.box = training.curve_box
        self.box.start_requested.connect(self.start)
        self.box.cancel_requested.connect(self.cancel)
        runner.event.connect(self._event)
        runner.cancelled.connect(self._cancelled)

    def remember(self, result, config, examples) -> None:
        """A run finished and is shown: its inputs, as the run started with them."""
        self.forget()
        self.source = (result, config, examples)

    def forget(self) -> None:
        """Another run starts, or other data is opened: no curve for the old one, running or shown."""
        self.source = None
        self.runner.cancel()

    def start(self) -> None:
        if self.source is None or self.trainer.busy:
            return
        result, config, examples = self.source
        if self.launcher.run(self.runner, "learning curve", jobs.learning_curve_job(config, examples),
                            lambda out: self._done(result, out), lambda message, _hint: self._failed(result, message)):
            self.box.set_running()

    def cancel(self) -> None:
        self.runner.cancel()
        self.box.set_stopping()

    def _current(self, result) -> bool:
        return self.source is not None and self.source[0] is result and self.training.shown_result is result

    @Slot(object)
    def _event(self, event) -> None:
        if isinstance(event, StepProgress) and self.source is not None:
            self.box.set_progress(event.step, event.total_steps, event.eta_s)

    def _done(self, result, out) -> None:
        if not self._current(result):  # another run or other data since: not this one's curve
            return

        points, verdict = out
        multi = bool(getattr(result.validation, "multi_label", False))
        metric = "micro_f1" if multi else "accuracy"
        # each point formatted by the estimate's own formatter, so it reads as the headline does
        folds = result.estimate.folds
        scores = [ScoreEstimate(CROSS_VALIDATION, p.rows, folds, {metric: p.mean}, {metric: p.spread})
                  .plus_minus(metric, percent=not multi) for p in points]
        self.box.show_curve([p.rows for p in points], scores, "micro-F1" if multi else "accuracy", verdict)

    def _failed(self, result, message: str) -> None:
        if self._current(result):
            self.box.show_stopped(f"The learning curve failed: {message}")

    @Slot()
    def _cancelled(self) -> None:
        if self.source is not None and self.training.shown_result is self.source[0]:
            self.box.show_stopped()
