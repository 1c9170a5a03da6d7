"""The time estimate runs by itself: debounced after the data or a setting changes, latest wins.

A change while an estimate runs cancels it (the core checks its cancel token between steps) and a new one
starts once the old thread has ended; a result for settings that have changed since is never shown.
Training and the learning curve have the processor to themselves: no estimate starts while one runs (it would
measure a shared processor), Start cancels a running one, and a deferred estimate starts when they end.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ..formatting import in_words
from ..core.base.errors import StudioError
from . import data_plan, jobs

DELAY_MS = 1200


class AutoEstimate(QObject):
    # the device Automatic uses, named as training names it (the CPU with the threads it would start on now):
    # the estimate prepared the model as training does, so its reading is the freshest one
    device_in_use = Signal(str)

    def __init__(self, parent, launcher, runner, workspace, dataset, configure, heavy: tuple,
                 delay_ms: int = DELAY_MS) -> None:
        """heavy: the runners that have the processor to themselves (training, the learning curve)."""
        super().__init__(parent)
        self.launcher, self.runner, self.workspace = launcher, runner, workspace
        self.dataset, self.configure, self.heavy = dataset, configure, heavy
        self.generation = 0
        self.pending = False
        self.deferred = False  # asked for while training or the learning curve ran: measured when they end
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.start)
        runner.cancelled.connect(self._after)
        for busy_one in heavy:
            busy_one.busy_changed.connect(self._heavy_changed)

    def _inputs(self):
        """(config, training texts) when an estimate makes sense now, else a sentence saying why not."""
        data = self.workspace.data
        if data is None or not data.report.ok:
            return "Time: estimated automatically once a dataset without blocking problems is loaded."
        problem = self.configure.problem()
        if problem:
            return f"Time: {problem}"
        sel = self.dataset.selection()
        config = data_plan.plan_config(self.configure, sel)
        try:  # the rows the run trains on, split as the run splits them (the epochs line counts the same ones)
            splits = data_plan.run_split(data.examples, config, bool(sel["validation_path"]))
        except StudioError as error:  # shares out of range: the Dataset step says so
            return f"Time: {error}"
        train = splits.train
        # small data's total covers every fold and the kept model: its labels say how the folds fall
        small = splits.plan is not None and splits.plan.small
        return config, list(train.texts), list(train.labels) if small else None

    def request(self) -> None:
        """Data or settings changed: forget what is shown and measure again shortly."""
        self.generation += 1
        inputs = self._inputs()
        if isinstance(inputs, str):
            self.timer.stop()
            self.configure.set_estimate(inputs)
            self.runner.cancel()
            return
        self.configure.set_estimate("Time: measuring shortly (settings changed)…")
        self.timer.start()

    def start(self) -> None:
        self.timer.stop()
        if any(busy_one.busy for busy_one in self.heavy):
            self.deferred = True
            what = "training" if self.heavy[0].busy else "the learning curve"
            self.configure.set_estimate(f"Time: estimated again when {what} ends.")
            return
        if self.runner.busy:  # an older estimate: stop it, then start from _after
            self.pending = True
            self.runner.cancel()
            return
        inputs = self._inputs()
        if isinstance(inputs, str):
            self.configure.set_estimate(inputs)
            return
        config, texts, labels = inputs
        generation = self.generation
        self.configure.set_estimate("Time: measuring a few training steps…")
        self.launcher.run(self.runner, "estimating", jobs.estimate_job(config, texts, labels),
                         lambda est: self._done(generation, config, est),
                         lambda message, hint: self._failed(generation, message))

    def _heavy_changed(self, busy: bool) -> None:
        if not busy and self.deferred and not any(busy_one.busy for busy_one in self.heavy):
            self.deferred = False
            self.request()

    def cancel(self) -> None:
        """Training starts: the estimate must not compete with it."""
        self.timer.stop()
        self.pending = False
        self.generation += 1
        self.runner.cancel()

    def _done(self, generation: int, config, est: dict) -> None:
        if generation == self.generation:
            self.configure.set_estimate(describe(config, est), details(est))
            if config.device == "auto":
                self.device_in_use.emit(est["device"])
        self._after()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.configure.set_estimate(f"Time: could not be estimated ({message})")
        self._after()

    def _after(self) -> None:
        if self.pending:
            self.pending = False
            QTimer.singleShot(0, self.start)


def describe(config, est: dict) -> str:
    per_epoch, total = in_words(est["seconds_per_epoch"]), in_words(est["total_seconds"])
    if est.get("fits", 1) > 1:  # the small-data path: every fold's model and the kept one
        return (f"Time: about <b>{total}</b> in all on {est['device']}: {est['fits']} models of {est['epochs']:g} "
                f"epochs ({est['folds']} for the cross-validation, then the kept one).")
    up_to = "up to " if config.early_stopping_patience else ""  # early stopping may end it sooner
    return (f"Time: about <b>{per_epoch}</b> per epoch, <b>{total}</b> in all for {up_to}{est['epochs']:g} epochs "
            f"on {est['device']}.")


def details(est: dict) -> str:
    """For the curious (the label's tooltip): what the measurement found, in the field's terms."""
    return (f"Measured on your data: number format {est.get('precision') or '–'} (the faster one on this "
            f"computer), texts up to {est['max_length']} tokens.")
