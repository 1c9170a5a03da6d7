"""Find bundled resources from a checkout, an installed wheel, or a PyInstaller bundle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SAMPLE_DATASET = "sample_reviews.csv"


def resources_dir() -> Path:
    """The folder holding resources/ files, wherever the app runs from."""
    candidates: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # PyInstaller puts data next to the frozen modules
        candidates.append(Path(bundle) / "resources")
    spec = importlib.util.find_spec("desktop_app.resources")
    if spec and spec.submodule_search_locations:  # installed wheel or editable install
        candidates.extend(Path(p) for p in spec.submodule_search_locations)
    candidates.append(Path(__file__).resolve().parent.parent / "resources")  # plain checkout
    for folder in candidates:
        if (folder / SAMPLE_DATASET).is_file():
            return folder
    raise FileNotFoundError("LoRA Studio's resources folder is missing; reinstall the application.")


def resource_path(name: str) -> Path:
    return resources_dir() / name


def sample_dataset() -> Path:
    return resource_path(SAMPLE_DATASET)
