"""CPU thread policy for training on a machine other programs also use (being built: issue 10)."""

from __future__ import annotations

from collections.abc import Callable

from transformers import TrainerCallback


class ThreadTuner(TrainerCallback):
    """Re-checks the number of torch threads while training (placeholder until the policy lands)."""

    def __init__(self, emit: Callable) -> None:
        self.emit = emit
