"""The run history: one line per saved run (from its manifest), two runs compared, a run deleted.

Qt-free: the window's history table (ui/panels/history_panel.py) shows what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import AdapterError
from .manifest import ALLOWED_FILES, Manifest, is_adapter_folder


@dataclass(frozen=True)
class RunInfo:
    name: str
    folder: Path | None
    dataset: str
    date: str             # local time, "2026-01-31 14:05"; "" when unknown
    seconds: float | None
    examples: int | None  # training examples
    accuracy: float | None
    macro_f1: float | None
    preset: str
    status: str
    settings: dict        # the TrainConfig as saved (flattened: "lora.r")
    epochs: float | None

    @classmethod
    def from_manifest(cls, name: str, manifest: Manifest, folder: Path | None = None) -> "RunInfo":
        training, val = manifest.training or {}, manifest.validation
        cfg = manifest.config or {}
        return cls(name, Path(folder) if folder else None, str(training.get("dataset") or "–"),
                   _local(manifest.created), training.get("seconds"), training.get("examples"),
                   val.accuracy if val else None, val.macro_f1 if val else None, str(cfg.get("preset", "–")),
                   str(training.get("status") or "–"), _flatten(cfg), training.get("epochs"))


def _local(created: str) -> str:
    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return created[:16].replace("T", " ")


def _flatten(data: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def compare(a: RunInfo, b: RunInfo) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(metrics, settings that differ) as (name, value for a, value for b) rows, for a side-by-side view."""
    def num(v, fmt):
        return "–" if v is None else format(v, fmt)

    metrics = [("Dataset", a.dataset, b.dataset), ("Date", a.date or "–", b.date or "–"),
               ("Accuracy", num(a.accuracy, ".1%"), num(b.accuracy, ".1%")),
               ("Macro-F1", num(a.macro_f1, ".3f"), num(b.macro_f1, ".3f")),
               ("Training examples", num(a.examples, ","), num(b.examples, ",")),
               ("Epochs", num(a.epochs, ".1f"), num(b.epochs, ".1f")),
               ("Duration", duration(a.seconds), duration(b.seconds)), ("Outcome", a.status, b.status)]
    keys = sorted(set(a.settings) | set(b.settings))
    differ = [(k, _shown(a.settings.get(k)), _shown(b.settings.get(k))) for k in keys
              if a.settings.get(k) != b.settings.get(k)]
    return metrics, differ


def _shown(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else \
        f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def delete_run(folder: str | Path) -> None:
    """Delete a run's adapter folder, only if it is a LoRA Studio adapter, and only the files an adapter
    may contain: anything else found inside is left (and the folder with it)."""
    folder = Path(folder)
    if folder.is_symlink() or not is_adapter_folder(folder):
        raise AdapterError(f"“{folder.name}” is not a LoRA Studio run, so it was not deleted.")
    for name in ALLOWED_FILES:
        path = folder / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    try:
        folder.rmdir()
    except OSError:
        leftovers = ", ".join(sorted(p.name for p in folder.iterdir())[:5])
        raise AdapterError(f"The run's files were deleted; “{folder.name}” still holds other files ({leftovers}) "
                           "and was kept.") from None

