"""How a model's score was measured: on a held-out validation split, or by k-fold cross-validation.

The one record every view reads to label the kept model's numbers (the manifest's versioned `estimate` field).
Adapters made before it have none and were measured on a validation split (`ScoreEstimate.from_dict(None)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..base.errors import AdapterError

VALIDATION_SPLIT, CROSS_VALIDATION = "validation_split", "cross_validation"
ESTIMATE_VERSION = 1
METRICS = ("accuracy", "macro_f1", "micro_f1")


def _error(message: str) -> AdapterError:
    return AdapterError(f"The adapter's manifest is damaged: {message}.", "Export the adapter again.")


@dataclass(frozen=True)
class ScoreEstimate:
    kind: str = VALIDATION_SPLIT
    examples: int = 0          # the rows measured: the validation split, or every row for cross-validation
    folds: int = 0             # cross-validation only
    mean: dict | None = None   # metric -> mean over the folds
    spread: dict | None = None  # metric -> standard deviation over the folds
    version: int = ESTIMATE_VERSION

    @property
    def cross_validated(self) -> bool:
        return self.kind == CROSS_VALIDATION

    def phrase(self) -> str:
        """How the number was measured, for a label next to it."""
        if self.cross_validated:
            return f"estimated by {self.folds}-fold cross-validation on {self.examples:,} examples"
        return f"measured on {self.examples:,} held-out validation examples" if self.examples else \
            "measured on held-out validation examples"

    def plus_minus(self, metric: str, percent: bool = False) -> str:
        """"82.5% ± 6.1" or "0.812 ± 0.050" for a cross-validated metric; "" otherwise."""
        if not self.cross_validated or not self.mean or metric not in self.mean:
            return ""
        m, s = self.mean[metric], (self.spread or {}).get(metric, 0.0)
        return f"{m:.1%} ± {100 * s:.1f}" if percent else f"{m:.3f} ± {s:.3f}"

    def to_dict(self) -> dict:
        out = {"version": self.version, "kind": self.kind, "examples": self.examples}
        if self.cross_validated:
            out.update(folds=self.folds, mean=dict(self.mean or {}), spread=dict(self.spread or {}))
        return out

    @classmethod
    def from_dict(cls, data) -> "ScoreEstimate":
        """Validated by type and range: it comes from a shared file. None (older adapters): a validation split."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise _error("“estimate” should be an object")
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise _error("“estimate.version” should be a whole number from 1")
        if version > ESTIMATE_VERSION:
            raise AdapterError("This adapter's score was measured in a way a newer LoRA Studio describes.",
                               "Update LoRA Studio to open it.")
        kind = data.get("kind")
        if kind not in (VALIDATION_SPLIT, CROSS_VALIDATION):
            raise _error("“estimate.kind” should be validation_split or cross_validation")
        examples = data.get("examples", 0)
        if isinstance(examples, bool) or not isinstance(examples, int) or not 0 <= examples <= 10**9:
            raise _error("“estimate.examples” should be a count")
        if kind == VALIDATION_SPLIT:
            return cls(kind, examples)
        folds = data.get("folds")
        if isinstance(folds, bool) or not isinstance(folds, int) or not 2 <= folds <= 100:
            raise _error("“estimate.folds” should be a whole number from 2 to 100")
        tables = []
        for name in ("mean", "spread"):
            table = data.get(name)
            if not isinstance(table, dict) or not table or not all(
                    k in METRICS and not isinstance(v, bool) and isinstance(v, (int, float)) and 0 <= v <= 1
                    for k, v in table.items()):
                raise _error(f"“estimate.{name}” should give scores from 0 to 1 by metric")
            tables.append({k: float(v) for k, v in table.items()})
        return cls(kind, examples, folds, tables[0], tables[1], version)
