"""The CUDA branch of training, checked on a real GPU (run on a lent GPU machine; see docs/BENCHMARKS.md).

    python tools/gpu_check.py CORPUS.csv.bz2 [--limit N]

1. the device and the precision "auto" picks there (by capability, no measurement);
2. the default preset on the Rotten Tomatoes snippets: bf16 with the frozen-layer cache, without it,
   and fp32 — time, accuracy, what the log said;
3. the adapter saved on the GPU reloads on the CPU and predicts the same probabilities;
4. the time estimate on the GPU.
"""

from __future__ import annotations

import argparse
import bz2
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _splits(corpus: Path, limit: int | None):
    import pandas as pd

    from desktop_app.core.data.dataset import Examples, stratified_split

    with bz2.open(corpus, "rt", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    frame = frame[frame["category"].isin(["fresh", "rotten"])].drop_duplicates("text")
    if limit:
        frame = frame.sample(n=min(limit, len(frame)), random_state=42)
    return stratified_split(Examples(frame["text"].tolist(), frame["category"].tolist()), validation=0.2, seed=42)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--model", default="embedded", help="a base model folder (default: the embedded model)")
    args = ap.parse_args()
    import torch
    import transformers

    from desktop_app.core.model import precision
    from desktop_app.core.model.config import preset
    from desktop_app.core.model.devices import list_devices, pick_device
    from desktop_app.core.train.estimate import estimate_epoch_seconds
    from desktop_app.core.base.events import LogLine
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.train.training import run_training

    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"GPU {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'}")
    for d in list_devices():
        print(f"device {d.kind}: {d.name} available={d.available} bf16={d.bf16} {d.reason}")
    device = pick_device("auto")
    chosen = precision.resolve("auto", device, lambda: sys.exit("measured on a GPU: wrong branch"), "gpu-check")
    print(f"picked {device.kind}; precision auto -> {chosen.name}: {chosen.reason}")
    splits = _splits(args.corpus, args.limit)
    print(f"data: {len(splits.train)} training, {len(splits.validation)} validation snippets")
    out = Path(tempfile.mkdtemp()) / "gpu-adapter"
    kept = None
    arms = (("warm-up", {"epochs": 1.0, "min_steps": 0}),  # CUDA start-up and kernel choice, not counted
            ("bf16 + cache", {}), ("bf16, no cache", {"frozen_cache_mb": 0}),
            ("fp32 + cache", {"precision": "fp32"}), ("fp32, no cache", {"precision": "fp32", "frozen_cache_mb": 0}))
    for name, changes in arms:
        config = preset("balanced").with_overrides(base_model=args.model, **changes)
        notes: list[str] = []
        began = time.monotonic()
        result = run_training(config, splits, on_event=lambda e: notes.append(e.message)
                              if isinstance(e, LogLine) else None, out_dir=out if kept is None and name != "warm-up" else None)
        wall = time.monotonic() - began
        print(f"{name:15s} train {result.train_seconds:6.1f} s  whole call {wall:6.1f} s  "
              f"{result.samples_per_s:7.1f} samples/s  epochs {result.epochs:.1f}  "
              f"accuracy {result.validation.accuracy:.4f}  macro-F1 {result.validation.macro_f1:.4f}  {result.device}")
        for note in notes:
            if "Precision" in note or "frozen layer" in note.lower() or "Out of memory" in note:
                print(f"{'':15s} {note}")
        if kept is None and name != "warm-up":
            kept = result
    import numpy as np

    texts = splits.validation.texts[:64]
    trained = Classifier.from_training(kept)
    on_gpu = trained.predict_proba(texts)
    reloaded = Classifier.load(out)
    again = reloaded.predict_proba(texts)
    where = (next(trained.model.parameters()).device, next(reloaded.model.parameters()).device)
    print(f"reload: trained model on {where[0]}, reloaded adapter on {where[1]}: "
          f"max |p_trained - p_reloaded| = {float(np.max(np.abs(on_gpu - again))):.2e}")
    estimate = estimate_epoch_seconds(preset("balanced").with_overrides(base_model=args.model), splits.train.texts)
    print(f"estimate on the GPU: {estimate}")


if __name__ == "__main__":
    main()
