"""Where the window keeps its runs: one folder named after the app in the platform's data place.

Qt's AppDataLocation appends the organisation and the application name, both "LoRA Studio", which gave
~/.local/share/LoRA Studio/LoRA Studio/runs; runs kept there by earlier versions are moved once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

APP_FOLDER = "LoRA Studio"


def default_runs_dir(base: Path | None = None) -> Path:
    if base is None:
        base = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation))
    runs = base / APP_FOLDER / "runs"
    doubled = base / APP_FOLDER / APP_FOLDER / "runs"
    if doubled.is_dir() and not runs.exists():
        try:
            doubled.rename(runs)
            doubled.parent.rmdir()  # only when nothing else is left in it
        except OSError:
            return runs if runs.is_dir() else doubled  # keep using the old place rather than losing runs
    return runs
