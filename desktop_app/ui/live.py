"""Live prediction while the user types: latest wins (Orange's ConcurrentMixin).

While a prediction runs, only the newest text waits; it starts from the done handler (the runner
reports only after its thread has finished), and a result for text no longer in the box is dropped.
"""

from __future__ import annotations

from collections.abc import Callable

from . import jobs
from .runner import Runner


class LivePrediction:
    def __init__(self, runner: Runner, start: Callable, current_texts: Callable[[], list], show: Callable) -> None:
        self.runner, self._start, self._current, self._show = runner, start, current_texts, show
        self.pending: list | None = None

    def request(self, classifier, texts: list) -> None:
        if classifier is None:
            return
        if self.runner.busy:
            self.pending = texts  # replaces any older waiting text
            return
        self._start(self.runner, "predicting", jobs.live_job(classifier, texts),
                    lambda result: self._done(classifier, texts, result))

    def _done(self, classifier, asked: list, result) -> None:
        pending, self.pending = self.pending, None
        if asked == self._current():
            self._show(*result)  # the prediction and its explanation (None when it cannot be explained)
        if pending is not None and pending != asked:
            self.request(classifier, pending)
