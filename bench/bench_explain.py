"""Explanations: how fast each method is, and how well the fast ones agree with integrated gradients.

Trains the built-in model (balanced preset, 2 epochs) on Rotten Tomatoes snippets, then explains held-out
snippets with: plain gradient × input at the text (Captum's LayerGradientXActivation: what the issue named
for "fast"), two midpoint steps from the baseline, the app's fast method (integrated gradients, 8 steps in
one batch) and its careful one (48 steps; the reference). Agreement with the reference: the same top word,
and the Spearman rank correlation of the word scores. The fast/careful timings include the prediction
itself. Run from the repo root (about 4 minutes on 2 cores):
    python bench/bench_explain.py                 # 1000 training snippets, 60 explained
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _alternative(clf, text: str, index: int, kind: str) -> list[float]:
    """Methods measured and not used, on the same embedding block, summed per word like the app does:
    "plain" gradient × input at the text itself; "midpoint-2" two midpoint steps from the baseline."""
    import torch
    from captum.attr import LayerGradientXActivation, LayerIntegratedGradients

    from desktop_app.core.predict.explain import _embeddings, _pieces, _words

    pieces = _pieces(clf.encoder, text)
    ids = torch.tensor([pieces.ids])
    mask = (torch.ones_like(ids),)

    def logits(input_ids, attention_mask):
        return clf.model(input_ids=input_ids, attention_mask=attention_mask).logits.float()

    with torch.enable_grad():
        if kind == "plain":
            scores = LayerGradientXActivation(logits, _embeddings(clf.model)).attribute(
                ids, target=index, additional_forward_args=mask)
        else:
            scores = LayerIntegratedGradients(logits, _embeddings(clf.model)).attribute(
                ids, baselines=torch.tensor([pieces.baseline]), target=index, additional_forward_args=mask,
                n_steps=2, method="riemann_middle")
    return [w.score for w in _words(text, pieces, scores.sum(-1)[0].detach().tolist())]


def _spearman(a: list[float], b: list[float]) -> float:
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        for rank, i in enumerate(order):
            r[i] = float(rank)
        return r

    if len(a) < 3:
        return float("nan")
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.fmean(ra), statistics.fmean(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb))
    den = (sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb)) ** 0.5
    return num / den if den else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--texts", type=int, default=60)
    parser.add_argument("--preset", default="balanced")
    parser.add_argument("--epochs", type=float, default=2)
    args = parser.parse_args()
    from rotten_tomatoes import load_splits

    from desktop_app.core.model.config import preset
    from desktop_app.core.predict.explain import explain
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.train.training import run_training

    splits = load_splits(args.limit)
    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        config = preset(args.preset).with_overrides(epochs=args.epochs, precision="fp32", min_steps=0)
        result = run_training(config, splits, out_dir=Path(tmp) / "adapter")
        clf = Classifier.load(Path(tmp) / "adapter")
    texts = splits.validation.texts[: args.texts]
    print(f"bench_explain: {len(texts)} held-out snippets (median {statistics.median(len(t.split()) for t in texts):.0f}"
          f" words), built-in model, {args.preset} preset, {args.epochs:g} epochs (accuracy {result.validation.accuracy:.3f}); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, torch threads "
          f"{__import__('torch').get_num_threads()}")
    names = ("plain", "midpoint-2", "fast", "careful")
    timings = {name: [] for name in names}
    agree = {name: [] for name in names[:-1]}
    rho = {name: [] for name in names[:-1]}
    for text in texts:
        t = time.perf_counter()
        careful = explain(clf, text, method="careful")
        timings["careful"].append(time.perf_counter() - t)
        t = time.perf_counter()
        fast = explain(clf, text, method="fast")
        timings["fast"].append(time.perf_counter() - t)
        index = clf.labels.index(careful.label)
        other = {}
        for kind in ("plain", "midpoint-2"):
            t = time.perf_counter()
            other[kind] = _alternative(clf, text, index, kind)
            timings[kind].append(time.perf_counter() - t)
        reference = [w.score for w in careful.words]
        best = max(range(len(reference)), key=reference.__getitem__)
        for name, scores in (("plain", other["plain"]), ("midpoint-2", other["midpoint-2"]),
                             ("fast", [w.score for w in fast.words])):
            agree[name].append(max(range(len(scores)), key=scores.__getitem__) == best)
            value = _spearman(scores, reference)
            if value == value:
                rho[name].append(value)
    for name in names:
        ms = sorted(1000 * x for x in timings[name])
        line = f"  {name:<10} p50 {ms[len(ms) // 2]:7.1f} ms  p95 {ms[int(len(ms) * 0.95)]:7.1f} ms"
        if name in agree:
            line += (f"   same top word as integrated gradients: {sum(agree[name]) / len(agree[name]):.0%}, "
                     f"Spearman rho median {statistics.median(rho[name]):.2f}")
        print(line)
    print(f"ratio careful/fast p50: {statistics.median(timings['careful']) / statistics.median(timings['fast']):.1f}x")


if __name__ == "__main__":
    main()
