"""Inference benchmark: single-text latency (p50/p95) and batch throughput, LoRA Studio's Classifier
vs a transformers pipeline on the same merged model, on Rotten Tomatoes snippets. Run from the repo root:
    python bench/bench_predict.py [--adapter DIR]   (without --adapter, the default preset is trained first)
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
    from rotten_tomatoes import adapter_or_trained, load_splits

    from desktop_app.core.predict.inference import Classifier

    splits = load_splits()
    texts = splits.validation.texts[: args.texts]
    tmp = tempfile.TemporaryDirectory()
    adapter = adapter_or_trained(args.adapter, splits, Path(tmp.name))
    clf = Classifier.load(adapter)
    fast = Classifier.load(adapter, int8=True)
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

    pipe_lat = lat(lambda t: pipe(t, **trunc))
    ours_lat = lat(lambda t: clf.predict([t]))
    int8_lat = lat(lambda t: fast.predict([t]))
    for name, values in (("pipeline (fp32)", pipe_lat), ("ours (fp32)", ours_lat), ("ours (int8)", int8_lat)):
        print(f"single text  {name:16s} p50 {statistics.median(values):6.2f} ms  p95 {_percentile(values, 0.95):6.2f} ms")

    def throughput(fn):
        fn(texts[:64])
        start = time.perf_counter()
        fn(texts)
        return len(texts) / (time.perf_counter() - start)

    pipe_tp = throughput(lambda ts: pipe(ts, batch_size=64, **trunc))
    ours_tp = throughput(lambda ts: clf.predict_proba(ts, batch_size=64))
    int8_tp = throughput(lambda ts: fast.predict_proba(ts, batch_size=64))
    print(f"batch        pipeline (batch_size=64): {pipe_tp:7.1f} texts/s   ours fp32: {ours_tp:7.1f} texts/s "
          f"({ours_tp / pipe_tp:.2f}x)   ours int8: {int8_tp:7.1f} texts/s ({int8_tp / pipe_tp:.2f}x)   "
          f"({len(texts)} texts, {torch.get_num_threads()} threads)")
    from desktop_app.core.metrics.evaluation import scores

    truth = [clf.labels.index(x) for x in splits.validation.labels[: len(texts)]]
    for name, model in (("fp32", clf), ("int8", fast)):
        pred = model.predict_proba(texts).argmax(axis=1)
        print(f"validation accuracy {name}: {scores(truth, pred, len(clf.labels))['accuracy']:.4f}")
    agree = [p.label for p in clf.predict(texts[:200])] == [r["label"] for r in pipe(texts[:200], **trunc)]
    print(f"same labels as the pipeline on 200 texts: {agree}")


if __name__ == "__main__":
    main()
