"""What a measurement gives back: the report types (per-class table, mistakes, a multi-label label's errors, a
batch's summary). Below both metric modules (evaluation.py, multilabel_metrics.py), which fill them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class ClassMetrics:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Mistake:
    text: str
    true_label: str      # multi-label: the labels joined by ";" ("" for none of these)
    predicted: str
    confidence: float    # multi-label: how sure the model was of its surest wrong decision
    missed: list[str] = field(default_factory=list)   # multi-label: labels the text has and the model left out
    added: list[str] = field(default_factory=list)    # multi-label: labels the model gave that the text lacks


@dataclass(frozen=True)
class LabelErrors:
    """Multi-label: how often one label was missed, and wrongly added (the window filters mistakes by them)."""

    label: str
    missed: int
    added: int


MULTI_LABEL_KEYS = ("task", "micro_f1", "hamming_loss", "thresholds", "label_errors")


@dataclass
class EvalReport:
    labels: list[str]
    examples: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class: list[ClassMetrics]
    confusion: list[list[int]]          # rows: true label, columns: predicted label (empty for multi-label)
    mistakes: list[Mistake] = field(default_factory=list)
    loss: float | None = None
    task: str = "single_label"          # or "multi_label": accuracy is then subset accuracy
    micro_f1: float | None = None       # multi-label only, like the three below
    hamming_loss: float | None = None
    thresholds: list[float] | None = None
    label_errors: list[LabelErrors] = field(default_factory=list)

    @property
    def multi_label(self) -> bool:
        return self.task == "multi_label"

    def to_dict(self) -> dict:
        data = asdict(self)
        if not self.multi_label:  # one label per text: the keys (and manifest) of the versions before label sets
            for key in MULTI_LABEL_KEYS:
                del data[key]
            for mistake in data["mistakes"]:
                del mistake["missed"], mistake["added"]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "EvalReport":
        data = dict(data)
        data["per_class"] = [ClassMetrics(**c) for c in data.get("per_class", [])]
        data["mistakes"] = [Mistake(**m) for m in data.get("mistakes", [])]
        data["label_errors"] = [LabelErrors(**e) for e in data.get("label_errors") or []]
        return cls(**data)


@dataclass
class BatchSummary:
    """What a batch prediction did: rows and time, and — when the file has a column holding the model's
    labels — how the predictions agree with it (`report`: accuracy, macro-F1, confusion, mistakes)."""

    rows: int
    seconds: float
    label_column: str | None = None
    report: EvalReport | None = None
    unlabelled: int = 0  # rows whose label cell was empty (not scored)
    label_columns: list[str] = field(default_factory=list)  # multi-label: the 0/1 columns scored against
