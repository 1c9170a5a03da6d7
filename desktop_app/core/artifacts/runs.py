"""The run history: one line per saved run (from its manifest), two runs compared, a run deleted.

Qt-free: the window's history table (ui/panels/history_panel.py) shows what these functions return.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..base.errors import AdapterError, StudioError
from .adapter_layout import ALLOWED_FILES
from .adapters import RUN
from ...formatting import clock
from .manifest import Manifest, is_adapter_folder, read_manifest, run_config
from ..disk.ownership import DELETING_SUFFIX, owned, signed_sibling


OUTCOMES = {"completed": "finished", "stopped_early": "stopped early (no longer improving)",
            "stopped": "stopped by you (best epoch kept)"}


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
    micro_f1: float | None = None  # multi-label runs (their accuracy is subset accuracy: every label right)
    kept_epoch: float | None = None        # the epoch whose weights were saved: the scores are its
    stopped_at_epoch: float | None = None  # where the user stopped it
    note: str = ""                         # why a number seen while training differs from the saved record
    how: dict = field(default_factory=dict)  # epochs, learning_rate, max_length: "automatic", "exact", "small-data"
    config: object = None                  # the settings read back as the run chose them (manifest.run_config)

    @property
    def outcome(self) -> str:
        """The status in words, for the history table and the comparison."""
        return OUTCOMES.get(self.status, self.status)

    @property
    def kept_earlier(self) -> bool:
        """The saved weights (and so every score shown) are an earlier epoch's than the last one trained."""
        return self.kept_epoch is not None and self.epochs is not None and abs(self.kept_epoch - self.epochs) > 1e-6

    @property
    def epochs_shown(self) -> str:
        """The epochs trained, and the one the scores are from where that is another: "2.5 (kept 2)"."""
        if self.epochs is None:
            return "–"
        return f"{self.epochs:.1f}" + (f" (kept {self.kept_epoch:g})" if self.kept_earlier else "")

    @classmethod
    def from_manifest(cls, name: str, manifest: Manifest, folder: Path | None = None) -> "RunInfo":
        training, val = manifest.training or {}, manifest.validation
        cfg = manifest.config or {}
        try:
            config = run_config(manifest)
        except StudioError:  # settings this version cannot take again: the history still lists the run
            config = None
        return cls(name, Path(folder) if folder else None, str(training.get("dataset") or "–"),
                   _local(manifest.created), training.get("seconds"), training.get("examples"),
                   val.accuracy if val else None, val.macro_f1 if val else None, str(cfg.get("preset", "–")),
                   str(training.get("status") or "–"), _flatten(cfg), training.get("epochs"),
                   val.report.get("micro_f1") if val else None, training.get("kept_epoch"),
                   training.get("stopped_at_epoch"), str(training.get("note") or ""),
                   dict(training.get("settings") or {}), config)


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

    multi = a.micro_f1 is not None or b.micro_f1 is not None  # a multi-label run's accuracy: every label right
    metrics = [("Dataset", a.dataset, b.dataset), ("Date", a.date or "–", b.date or "–"),
               ("Accuracy (multi-label: every label right)" if multi else "Accuracy",
                num(a.accuracy, ".1%"), num(b.accuracy, ".1%")),
               ("Macro-F1", num(a.macro_f1, ".3f"), num(b.macro_f1, ".3f")),
               *([("Micro-F1", num(a.micro_f1, ".3f"), num(b.micro_f1, ".3f"))] if multi else []),
               ("Training examples", num(a.examples, ","), num(b.examples, ",")),
               ("Epochs trained", a.epochs_shown, b.epochs_shown),
               ("Duration", duration(a.seconds), duration(b.seconds)), ("Outcome", a.outcome, b.outcome),
               *([("Note", a.note or "–", b.note or "–")] if a.note or b.note else [])]
    keys = sorted(set(a.settings) | set(b.settings))

    def setting(run, key):  # an adjustable setting says how it was set: "3 (exact)", "7 (automatic)"
        value, how = run.settings.get(key), run.how.get(key)
        return (value, how), ("automatic" if value is None and how == "automatic" else
                              f"{_shown(value)} ({how})" if how else _shown(value))
    differ = [(k, setting(a, k)[1], setting(b, k)[1]) for k in keys if setting(a, k)[0] != setting(b, k)[0]]
    return metrics, differ


def _shown(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def duration(seconds: float | None) -> str:
    """A run's length as formatting.clock writes it (1:05, 2:03:04) for the Train page too: one rule."""
    return clock(seconds)


def delete_run(folder: str | Path) -> None:
    """Delete a run's adapter folder, only if it is a LoRA Studio adapter holding nothing but adapter files.

    The folder is first renamed to a hidden name only we can make (ownership.py: signed) in one step, then
    emptied: a kill half-way leaves no half adapter in the history, and `saved_runs` finishes the deletion on
    the next start, recognising the folder by that signature, never by its look."""
    folder = Path(folder)
    if not owned(folder, RUN):
        others = [] if folder.is_symlink() or not is_adapter_folder(folder) else sorted(
            p.name for p in folder.iterdir() if p.name not in ALLOWED_FILES or not p.is_file() or p.is_symlink())
        if others:
            raise AdapterError(f"“{folder.name}” also holds other files ({', '.join(others[:5])}), so it was not "
                               "deleted.", "Move those files elsewhere, then delete the run again.")
        raise AdapterError(f"“{folder.name}” is not a LoRA Studio run, so it was not deleted.")
    doomed = signed_sibling(folder, "deleting", DELETING_SUFFIX)
    os.replace(folder, doomed)
    shutil.rmtree(doomed)


def saved_runs(runs_dir: str | Path) -> list[tuple[str, Manifest, Path]]:
    """The runs in `runs_dir` as (name, manifest, folder), oldest name first; damaged ones are skipped.
    Deletions that a kill interrupted (our signed `.name.*.deleting` folders) are finished first."""
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    for doomed in runs_dir.glob(f".*{DELETING_SUFFIX}"):
        if owned(doomed, "deleting"):
            shutil.rmtree(doomed, ignore_errors=True)
    found = []
    for folder in sorted(p.parent for p in runs_dir.glob("*/manifest.json")):
        if folder.name.startswith("."):
            continue
        try:
            found.append((folder.name, read_manifest(folder), folder))
        except (OSError, StudioError):
            continue  # a damaged old run must not stop the app from starting
    return found
