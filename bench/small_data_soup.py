"""Issue 20: reuse the small path's fold models, thrown away today, for the kept model's predictions.

A small-data run trains one model per cross-validation fold (to estimate the score) and then the kept model on every
row, all with the same settings. For k rows per class of one set (the rows bench_small_data.py draws for that seed)
this script trains those same fits through small_data.Session (the app's code: the folds as cross_validate makes them,
the kept model as run_small does) and scores on the set's whole test set, by macro-F1:
  kept          the kept model alone, as the app makes it (bench_small_data.py's `kept` arm)
  ens6 / ens5   mean probabilities of the kept model and the fold models / of the fold models only (6x / 5x to predict)
  soup-avg      one model: the mean of the fits' merged LoRA changes added to the base, and the mean of their heads
  soup-refit    that body, its head refitted by the probe (probe.fit_probe) on its vectors of every training row
  frozen        the probe on the frozen base's vectors (no tuning)
  kept+frozen   mean probabilities of the kept model and the frozen probe
Seconds: each fit, one pass over the test set per model (what an ensemble pays per member to predict), building the
soup and refitting its head (the soup's extra cost; the folds are already paid for by the estimate).

    python bench/small_data_soup.py --k 4 --seeds 0
    python bench/small_data_soup.py --k 32 --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

VARIANTS = ("kept", "ens6", "ens5", "soup-avg", "soup-refit", "frozen", "kept+frozen")


class _Captured(BaseException):  # not an Exception: run_training's error handling lets it through
    pass


def session_for(train, config):
    """The small path's Session on `train` (a text/label frame) and its plan, as run_small receives them."""
    from desktop_app.core.train import small_data
    from desktop_app.core.data.dataset import Examples, prepare_training_data
    from desktop_app.core.train.training import run_training

    def capture(config, splits, label_map, objective, prepared, emit, cancel):
        raise _Captured(small_data.Session(config, splits.train, label_map, objective, prepared, cancel), splits.plan,
                        label_map)

    real, small_data.run_small = small_data.run_small, capture
    try:
        run_training(config, prepare_training_data(Examples(train.text.tolist(), train.label.tolist(),
                                                            source="bench"), config))
        raise RuntimeError("the small path was not taken")
    except _Captured as done:
        return done.args
    finally:
        small_data.run_small = real


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def head_of(model) -> tuple[np.ndarray, np.ndarray]:
    from desktop_app.core.train.probe import head_layer

    layer = head_layer(model)
    return layer.weight.detach().float().numpy().copy(), layer.bias.detach().float().numpy().copy()


def soup_of(models):
    """A copy of models[0] whose base weights hold the mean of every model's LoRA change (its own LoRA zeroed) and
    whose head is the mean of their heads."""
    import torch
    from peft.tuners.lora import LoraLayer

    from desktop_app.core.train.probe import set_head

    soup = copy.deepcopy(models[0])
    modules = [dict(m.named_modules()) for m in models]
    with torch.no_grad():
        for name, module in soup.named_modules():
            if not isinstance(module, LoraLayer) or not hasattr(module, "get_delta_weight"):
                continue
            for adapter in list(module.lora_A.keys()):
                delta = sum(ms[name].get_delta_weight(adapter) for ms in modules) / len(models)
                module.get_base_layer().weight += delta.to(module.get_base_layer().weight.dtype)
                module.lora_B[adapter].weight.zero_()
    heads = [head_of(m) for m in models]
    set_head(soup, np.mean([w for w, _ in heads], axis=0), np.mean([b for _, b in heads], axis=0))
    return soup


def run_seed(pool, test, k: int, seed: int, check: bool) -> tuple[dict, dict]:
    from desktop_app.core.train import small_data
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.train.probe import fit_probe, head_features

    import bench_small_data as bench

    train = pd.concat([pool[pool.label == name].sample(min(k, int((pool.label == name).sum())), random_state=seed)
                       for name in sorted(pool.label.unique())])
    session, plan, label_map = session_for(train, TrainConfig(seed=seed))
    names, n = list(label_map.names), len(session.examples)
    encoder, targets = session.encoder, session.target_array
    texts_train, texts_test = list(session.examples.texts), test.text.tolist()
    quiet = small_data.Progress(lambda event: None, 1, 1)
    secs: dict[str, float] = {}

    def score(probs: np.ndarray) -> float:
        return bench.macro_f1(test.label, [names[i] for i in probs.argmax(axis=1)])

    def test_probs(model, key: str) -> tuple[np.ndarray, np.ndarray]:
        start = time.monotonic()
        features = head_features(model, encoder, texts_test)
        secs[key] = time.monotonic() - start
        weights, bias = head_of(model)
        return features, softmax(features @ weights.T + bias)

    # the kept model, as run_small makes it
    start = time.monotonic()
    final = session.trained_on(list(range(n)), session.config.seed, quiet)
    secs["fit kept"] = time.monotonic() - start
    _, p_final = test_probs(final, "predict kept")
    scores = {"kept": score(p_final)}
    if check:  # the app's own prediction path gives the same answer
        direct = Classifier(final, encoder, tuple(names), None).predict_proba(texts_test)
        print(f"    check: app's predict_proba vs head features, max |dp| {np.abs(direct - p_final).max():.2e}, "
              f"macro-F1 {score(direct):.3f}", flush=True)
    print(f"  k={k} seed={seed}: kept {scores['kept']:.3f} (fit {secs['fit kept']:.0f} s, {plan.folds} folds)",
          flush=True)

    # the fold models, as cross_validate makes them
    fold = small_data.fold_of(session.examples, plan.folds, session.config.seed)
    models, probs = [final], [p_final]
    for j in range(plan.folds):
        start = time.monotonic()
        model = session.trained_on([i for i in range(n) if fold[i] != j], session.config.seed + j + 1, quiet)
        secs[f"fit fold {j + 1}"] = time.monotonic() - start
        models.append(model)
        probs.append(test_probs(model, f"predict fold {j + 1}")[1])
    scores["ens6"] = score(np.mean(probs, axis=0))
    scores["ens5"] = score(np.mean(probs[1:], axis=0))

    # the soup: one body, the mean head or a refitted probe
    start = time.monotonic()
    soup = soup_of(models)
    secs["soup build"] = time.monotonic() - start
    soup_test, p_soup = test_probs(soup, "predict soup")
    scores["soup-avg"] = score(p_soup)
    start = time.monotonic()
    weights, bias = fit_probe(head_features(soup, encoder, texts_train), targets, len(names), False, seed)
    secs["soup refit"] = time.monotonic() - start
    scores["soup-refit"] = score(softmax(soup_test @ weights.T + bias))
    if check:  # the soup as one model predicts what its pieces say
        direct = Classifier(soup, encoder, tuple(names), None).predict_proba(texts_test)
        print(f"    check: soup's predict_proba vs head features, max |dp| {np.abs(direct - p_soup).max():.2e}",
              flush=True)

    # the probe on the frozen base, and the kept model's probabilities averaged with it
    start = time.monotonic()
    base = session.prepared.model
    weights, bias = fit_probe(head_features(base, encoder, texts_train), targets, len(names), False, seed)
    secs["frozen fit"] = time.monotonic() - start
    start = time.monotonic()
    p_frozen = softmax(head_features(base, encoder, texts_test) @ weights.T + bias)
    secs["predict frozen"] = time.monotonic() - start
    scores["frozen"] = score(p_frozen)
    scores["kept+frozen"] = score((p_final + p_frozen) / 2)
    del models, soup
    return scores, secs


def main() -> None:
    import torch

    torch.set_num_threads(1)
    import bench_small_data as bench

    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="snippets", choices=sorted(bench.SETS))
    ap.add_argument("--k", default="32")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--check", action="store_true", help="also predict through Classifier.predict_proba")
    args = ap.parse_args()
    pool, test = bench.SETS[args.set]()
    print(f"{args.set}: pool {len(pool)}, test {len(test)} {test.label.value_counts().to_dict()}", flush=True)
    table = []
    for k in [int(x) for x in args.k.split(",")]:
        results = {}
        for seed in [int(s) for s in args.seeds.split(",")]:
            scores, secs = run_seed(pool, test, k, seed, args.check)
            results[seed] = scores
            base = scores["kept"]
            print(f"  {args.set} k={k} seed={seed}: " + ", ".join(
                f"{v} {scores[v]:.3f} ({scores[v] - base:+.3f})" for v in VARIANTS), flush=True)
            print(f"    seconds: " + ", ".join(f"{name} {s:.1f}" for name, s in secs.items()), flush=True)
        seeds = list(results)
        for v in VARIANTS:
            values = [results[s][v] for s in seeds]
            mean = statistics.fmean(values)
            diff = mean - statistics.fmean(results[s]["kept"] for s in seeds)
            table.append(f"| {args.set} | {k} | {v} | " + " / ".join(f"{x:.3f}" for x in values)
                         + f" | {mean:.3f} | {diff:+.3f} |")
    print("\n| set | k/class | variant | seeds " + ",".join(args.seeds.split(",")) + " | mean | − kept |")
    print("|---|---|---|---|---|---|")
    print("\n".join(table), flush=True)


if __name__ == "__main__":
    main()
