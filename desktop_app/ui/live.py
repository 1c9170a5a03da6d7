"""Live prediction while the user types: latest wins (Orange's ConcurrentMixin).

While a prediction runs, only the newest text waits; it starts from the done handler (the runner
reports only after its thread has finished), and a result for text no longer in the box, or from a model no
longer in use, is dropped (the text is then predicted again by the model in use).
"""

from __future__ import annotations

from collections.abc import Callable

from . import jobs
from .runner import Runner


class LivePrediction:
    def __init__(self, runner: Runner, start: Callable, current_texts: Callable[[], list], show: Callable,
                 current_model: Callable = lambda: None) -> None:
        self.runner, self._start, self._current, self._show = runner, start, current_texts, show
        self._model = current_model
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
        model = self._model() or classifier
        if asked == self._current() and model is classifier:
            self._show(*result)  # the prediction and its explanation (None when it cannot be explained)
        if model is not classifier:  # answered by a model no longer in use: ask the one in use
            self.request(model, pending if pending is not None else self._current())
        elif pending is not None and pending != asked:
            self.request(model, pending)
