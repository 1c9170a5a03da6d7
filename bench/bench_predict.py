"""Inference benchmark: single-text latency (p50/p95) and batch throughput, LoRA Studio's Classifier
vs a transformers pipeline on the same merged model, on Rotten Tomatoes snippets. Run from the repo root:
    python bench/bench_predict.py [--adapter DIR]   (without --adapter a quick adapter is trained first)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter")
    ap.add_argument("--texts", type=int, default=2000)
    args = ap.parse_args()
    from rotten_tomatoes import load_splits

    from desktop_app.core.inference import Classifier

    splits = load_splits()
    texts = splits.validation.texts[: args.texts]
    tmp = tempfile.TemporaryDirectory()
    adapter = args.adapter
    if adapter is None:
        from desktop_app.core.config import preset
        from desktop_app.core.dataset import Examples, Splits
        from desktop_app.core.training import run_training

        small = Splits(Examples(splits.train.texts[:400], splits.train.labels[:400]),
                       Examples(splits.validation.texts[:100], splits.validation.labels[:100]))
        adapter = run_training(preset("quick").with_overrides(epochs=1), small, out_dir=Path(tmp.name) / "a").adapter_dir
    clf = Classifier.load(adapter)
    import torch
    from transformers import pipeline

    pipe = pipeline("text-classification", model=clf.model, tokenizer=clf.encoder.tokenizer, device=-1)
    trunc = {"truncation": True, "max_length": clf.encoder.max_length}

    def lat(fn, n=300):
        for t in texts[:20]:
            fn(t)
        out = []
        for t in texts[:n]:
            start = time.perf_counter()
            fn(t)
            out.append((time.perf_counter() - start) * 1000)
        return out

    ours_lat = lat(lambda t: clf.predict([t]))
    pipe_lat = lat(lambda t: pipe(t, **trunc))
    print(f"single text  ours:     p50 {statistics.median(ours_lat):6.2f} ms  p95 {_percentile(ours_lat, 0.95):6.2f} ms")
    print(f"single text  pipeline: p50 {statistics.median(pipe_lat):6.2f} ms  p95 {_percentile(pipe_lat, 0.95):6.2f} ms")

    def throughput(fn):
        fn(texts[:64])
        start = time.perf_counter()
        fn(texts)
        return len(texts) / (time.perf_counter() - start)

    ours_tp = throughput(lambda ts: clf.predict_proba(ts, batch_size=64))
    pipe_tp = throughput(lambda ts: pipe(ts, batch_size=64, **trunc))
    print(f"batch        ours: {ours_tp:7.1f} texts/s   pipeline (batch_size=64): {pipe_tp:7.1f} texts/s   "
          f"ratio {ours_tp / pipe_tp:.2f}x   ({len(texts)} texts, {torch.get_num_threads()} threads)")
    agree = [p.label for p in clf.predict(texts[:200])] == [r["label"] for r in pipe(texts[:200], **trunc)]
    print(f"same labels as the pipeline on 200 texts: {agree}")


if __name__ == "__main__":
    main()
