"""Prediction backends on the same texts and the same adapter: today's PyTorch fp32 path (the baseline, in
the same run), ONNX Runtime fp32 (the merged model exported by core/onnx_export.py, all graph
optimisations, one intra-op thread per physical core), optionally torch.compile, and int8 for reference.
Single-text p50/p95 (through Classifier.predict, tokenisation included), batch throughput, validation
accuracy and the largest probability difference from the baseline. Rounds interleave the backends, so
a neighbour's load hits them alike; the spread over rounds is the noise. Run from the repo root:
    flock /tmp/lora-bench.lock python bench/bench_onnx.py --adapter DIR [--rounds 3] [--spin] [--dynamo] [--compile]
(without --adapter, the default preset is trained first, ~2 minutes).
"""

from __future__ import annotations

import argparse
import copy
import os
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


def _latencies(clf, texts):
    for t in texts[:20]:
        clf.predict([t])
    out = []
    for t in texts:
        start = time.perf_counter()
        clf.predict([t])
        out.append((time.perf_counter() - start) * 1000)
    return out


def _throughput(clf, texts):
    clf.predict_proba(texts[:64])
    start = time.perf_counter()
    clf.predict_proba(texts, batch_size=64)
    return len(texts) / (time.perf_counter() - start)


def _variant(clf, session=None, model=None):
    """A shallow copy of the baseline classifier that predicts through another session or module."""
    other = copy.copy(clf)
    other.onnx, other.model = session, model if model is not None else clf.model
    return other


def _timed(label, fn):
    start = time.perf_counter()
    value = fn()
    print(f"  {label}: {time.perf_counter() - start:.1f} s", flush=True)
    return value


def _dynamo_export(clf):
    """The same graph through torch's dynamo exporter (needs onnxscript), for the exporter comparison."""
    import io
    import logging

    import torch

    from desktop_app.core.artifacts.onnx_export import INPUTS, PROBES, _fp32_copy

    logging.disable(logging.WARNING)

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    ex = clf.encoder.collate(clf.encoder.encode(PROBES[2:4]))
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=clf.encoder.max_length)
    program = torch.onnx.export(Logits(_fp32_copy(clf.model)).eval(), (ex["input_ids"], ex["attention_mask"]),
                                dynamo=True, input_names=list(INPUTS), output_names=["logits"],
                                dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}})
    buffer = io.BytesIO()
    program.save(buffer)
    return buffer.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter")
    ap.add_argument("--texts", type=int, default=2000, help="validation texts for throughput and accuracy")
    ap.add_argument("--single", type=int, default=300, help="texts timed one at a time per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compile", action="store_true",
                    help="also torch.compile(dynamic=True) (inductor, needs a C compiler)")
    ap.add_argument("--dynamo", action="store_true", help="also ONNX Runtime on the dynamo exporter's graph")
    ap.add_argument("--spin", action="store_true", help="also ONNX Runtime with its threads spin-waiting (its default)")
    args = ap.parse_args()
    import numpy as np
    import torch
    from rotten_tomatoes import adapter_or_trained, load_splits

    from desktop_app.core.model.devices import physical_cores
    from desktop_app.core.metrics.evaluation import scores
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.artifacts.onnx_export import checked_model, open_session

    splits = load_splits()
    texts = splits.validation.texts[: args.texts]
    tmp = tempfile.TemporaryDirectory()
    adapter = adapter_or_trained(args.adapter, splits, Path(tmp.name))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch threads, {physical_cores()} physical cores, "
          f"{len(texts)} validation texts, {args.single} single texts x {args.rounds} rounds", flush=True)
    print("setup:")
    base = _timed("load adapter (torch fp32)", lambda: Classifier.load(adapter))
    checked = _timed("export to ONNX in memory + parity check", lambda: checked_model(base))
    print(f"  ONNX model {len(checked.data) / 1024**2:.1f} MB, parity gap on the probes {checked.gap:.2e}")
    variants = {"torch fp32 (today)": base, "onnxruntime fp32": _variant(base, checked.session)}
    if args.spin:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.intra_op_num_threads = physical_cores()
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1")
        variants["onnxruntime fp32, spinning"] = _variant(base, ort.InferenceSession(checked.data, opts))
    if args.dynamo:
        data = _timed("dynamo exporter", lambda: _dynamo_export(base))
        variants["onnxruntime fp32 (dynamo graph)"] = _variant(base, open_session(data))
    if args.compile:
        # inductor's pool of compile processes stays alive and slowed every torch backend in this process ~30x
        os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
        compiled = torch.compile(base.model, dynamic=True)
        variant = _variant(base, model=compiled)
        _timed("torch.compile warm-up (first calls compile)", lambda: [variant.predict([t]) for t in texts[:5]])
        variants["torch.compile fp32"] = variant
    variants["torch int8 (reference)"] = _timed("load adapter (int8)", lambda: Classifier.load(adapter, int8=True))

    single = texts[: args.single]
    p50s: dict[str, list[float]] = {name: [] for name in variants}
    p95s: dict[str, list[float]] = {name: [] for name in variants}
    rates: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(args.rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))  # no backend always goes first
        for name in order:
            lat = _latencies(variants[name], single)
            p50s[name].append(statistics.median(lat))
            p95s[name].append(_percentile(lat, 0.95))
            rates[name].append(_throughput(variants[name], texts))
        print(f"round {r + 1} p50: " + ", ".join(f"{n} {p50s[n][-1]:.1f} ms" for n in variants), flush=True)

    truth = [base.labels.index(x) for x in splits.validation.labels[: len(texts)]]
    reference = base.predict_proba(texts)
    baseline = "torch fp32 (today)"
    b50, brate = statistics.median(p50s[baseline]), statistics.median(rates[baseline])
    print(f"\n{'backend':34s} {'p50 ms':>7s} {'(range)':>13s} {'p95 ms':>7s} {'texts/s':>8s} {'(range)':>13s}"
          f" {'p50 x':>6s} {'rate x':>6s} {'accuracy':>8s} {'max |dp|':>9s}")
    for name, clf in variants.items():
        probs = clf.predict_proba(texts)
        acc = scores(truth, probs.argmax(axis=1), len(base.labels))["accuracy"]
        p50, rate = statistics.median(p50s[name]), statistics.median(rates[name])
        print(f"{name:34s} {p50:7.2f} {min(p50s[name]):6.2f}-{max(p50s[name]):6.2f} "
              f"{statistics.median(p95s[name]):7.2f} {rate:8.1f} {min(rates[name]):6.1f}-{max(rates[name]):6.1f} "
              f"{b50 / p50:6.2f} {rate / brate:6.2f} {acc:8.4f} {float(np.abs(probs - reference).max()):9.2e}")


if __name__ == "__main__":
    main()
