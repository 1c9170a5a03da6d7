"""What a training run gives back: status, scores, the kept model, and how its score was measured."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..model.config import TrainConfig
from ..metrics.reports import EvalReport
from ..metrics.score_estimate import ScoreEstimate


@dataclass
class TrainResult:
    status: str                          # "completed" | "stopped_early" | "stopped" (user, best kept) | "cancelled"
    labels: tuple[str, ...] = ()
    # THE record of the kept model's numbers: measured once, from the kept weights, on the validation rows, with
    # the thresholds saved (multi-label); the results, chart legend, log, manifest, history, compare and CLI read it
    validation: EvalReport | None = None
    test: EvalReport | None = None
    history: list[dict] = field(default_factory=list)
    adapter_dir: Path | None = None
    steps: int = 0
    epochs: float = 0.0
    train_seconds: float = 0.0
    samples_per_s: float = 0.0
    max_length: int = 0
    batch_size: int = 0
    device: str = ""
    world_size: int = 1                    # processes (torchrun); the batch below is per process
    per_device_batch: int = 0
    effective_batch: int = 0               # per device × accumulation × processes: one optimiser update
    examples_per_rank: list[int] = field(default_factory=list)  # examples each process trained on
    thresholds: list[float] | None = None  # multi-label: each label's decision threshold, tuned on validation
    kept_epoch: float | None = None        # the evaluated epoch whose weights were kept (the best)
    stopped_at_epoch: float | None = None  # where the user stopped a "stopped" run
    dataset: str = ""                      # the training file's name (run history)
    train_examples: int = 0
    label_counts: dict[str, int] = field(default_factory=dict)  # training rows per label (the model card's table)
    config: TrainConfig | None = None
    model: object = field(default=None, repr=False)    # the trained PeftModel, for in-process use
    encoder: object = field(default=None, repr=False)  # its TextEncoder
    # how `validation` was measured (score_estimate.py): a held-out split, or k-fold cross-validation on the
    # small-data path, whose out-of-fold probabilities for every training row are in `cross_validation`
    estimate: ScoreEstimate | None = None
    # one sentence, when a number the user saw while training differs from the kept model's (training.kept_note)
    note: str = ""
    cross_validation: object = field(default=None, repr=False)  # small_data.CrossValidation
    pooling: str = "cls"                   # how a text becomes the head's vector (pooling.py)
