"""Active learning: labels chosen by the app (core/curate/next_texts.py) against labels drawn at random.

Simulated on a set whose labels are known: start with a few labelled texts per class, then 5 rounds of 20 more
each, chosen by the app or at random from the rest of the pool; after each round the loop's model (the probe on
the frozen base's sentence vectors, what the window's Label view retrains) is scored by macro-F1 on held-out test
rows. 3 seeds. Reported: the curves, and how many labels each needs to reach the random choice's final score
(interpolated on the app's curve between rounds; the random choice needs its own final count).

    python bench/bench_active_learning.py [--sets news,topics,snippets] [--start 2] [--step 20] [--rounds 5]
           [--seeds 0,1,2] [--chart docs/bench_active_learning.png] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def data_set(name: str):
    """(pool, test) frames with text and label."""
    if name in ("news", "news-wide"):  # news-wide: fewer to choose from, twice the held-out rows (less noise)
        from news_set import news_set

        return news_set(per_topic=300, seed=0, test_per_topic=45) if name == "news" else \
            news_set(per_topic=250, seed=0, test_per_topic=95)
    if name == "topics":
        from topic_set import topic_set

        return topic_set(per_topic=400, seed=0, test_per_topic=100)
    from bench_small_data import snippets

    pool, test = snippets()
    return pool.reset_index(drop=True), test.reset_index(drop=True)


def macro_f1(truth, predicted) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, average="macro"))


def labels_to_reach(curve: list[tuple[int, float]], target: float) -> float | None:
    """The labels at which a curve first reaches `target`, interpolated linearly between rounds; None if never."""
    for (n0, s0), (n1, s1) in zip(curve, curve[1:]):
        if s0 >= target:
            return float(n0)
        if s1 >= target:
            return n0 + (n1 - n0) * (target - s0) / (s1 - s0)
    return float(curve[0][0]) if curve and curve[0][1] >= target else None


def run(pool_vectors, pool_y, test_vectors, test_y, n_labels, start, step, rounds, seed, arm):
    from desktop_app.core.curate import next_texts as loop
    from desktop_app.core.curate.next_texts import next_texts
    from desktop_app.core.curate.vectors import probabilities
    from desktop_app.core.train.probe import fit_probe

    rng = np.random.default_rng(seed)
    labelled = []
    for c in range(n_labels):
        labelled += list(rng.choice(np.flatnonzero(pool_y == c), start, replace=False))
    curve = []
    for r in range(rounds + 1):
        weights, bias = fit_probe(pool_vectors[labelled], pool_y[labelled], n_labels, False, seed, loop.LOOP_C, loop.LOOP_BALANCED)
        predicted = probabilities(weights, bias, test_vectors, False).argmax(axis=1)
        curve.append((len(labelled), macro_f1(test_y, predicted)))
        if r == rounds:
            break
        rest = np.setdiff1d(np.arange(len(pool_y)), labelled)
        if arm == "random":
            labelled += list(rng.choice(rest, step, replace=False))
        else:
            names = tuple(str(c) for c in range(n_labels))
            chosen = next_texts(pool_vectors[labelled], pool_y[labelled], names, pool_vectors[rest], step, seed=seed)
            labelled += [int(rest[c.index]) for c in chosen]
    return curve


def main() -> None:
    from desktop_app.core.curate.vectors import SentenceVectors
    from desktop_app.core.model.config import TrainConfig

    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="news,topics,snippets")
    ap.add_argument("--start", type=int, default=2, help="labelled texts per class to start with")
    ap.add_argument("--step", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--chart", default="")
    ap.add_argument("--cache-dir", default="", help="keep each set's sentence vectors here (<set>_al_vec.npz)")
    args = ap.parse_args()
    vectors = None
    results = {}
    for set_name in args.sets.split(","):
        pool, test = data_set(set_name)
        names = sorted(pool.label.unique())
        started = time.monotonic()
        cached = Path(args.cache_dir) / f"{set_name}_al_vec.npz" if args.cache_dir else None
        if cached is not None and cached.exists():
            kept = np.load(cached)
            pv, tv = kept["pv"], kept["tv"]
        else:
            vectors = vectors or SentenceVectors(TrainConfig())
            pv, tv = vectors.of(list(pool.text)), vectors.of(list(test.text))
            if cached is not None:
                np.savez(cached, pv=pv, tv=tv)
        print(f"{set_name}: pool {len(pool)}, test {len(test)}, {len(names)} labels; vectors in "
              f"{time.monotonic() - started:.1f} s", flush=True)
        py = np.array([names.index(x) for x in pool.label])
        ty = np.array([names.index(x) for x in test.label])
        for seed in [int(s) for s in args.seeds.split(",")]:
            for arm in ("app", "random"):
                t0 = time.monotonic()
                curve = run(pv, py, tv, ty, len(names), args.start, args.step, args.rounds, seed, arm)
                results[(set_name, seed, arm)] = curve
                print(f"{set_name} seed {seed} {arm:6s} " + "  ".join(f"{n}:{s:.3f}" for n, s in curve)
                      + f"  ({time.monotonic() - t0:.1f} s)", flush=True)
        needed = []
        for seed in [int(s) for s in args.seeds.split(",")]:
            rand, app = results[(set_name, seed, "random")], results[(set_name, seed, "app")]
            target = rand[-1][1]
            at = labels_to_reach(app, target)
            needed.append((rand[-1][0], at))
            print(f"{set_name} seed {seed}: random's final macro-F1 {target:.3f} at {rand[-1][0]} labels; the app "
                  f"reaches it at {'never' if at is None else f'{at:.1f}'} labels", flush=True)
        reached = [at for _, at in needed if at is not None]
        mean_random = np.mean([n for n, _ in needed])
        # a seed whose app curve never reaches random's final score counts as needing all of random's labels
        mean_app = np.mean([n if at is None else min(at, n) for n, at in needed])
        print(f"{set_name}: reached in {len(reached)} of {len(needed)} seeds; mean labels to reach random's final "
              f"score: random {mean_random:.1f}, app {mean_app:.1f} ({1 - mean_app / mean_random:.0%} fewer; a seed "
              "that never reaches it counted at random's count)", flush=True)
        for arm in ("app", "random"):
            curves = np.array([[s for _, s in results[(set_name, seed, arm)]] for seed in
                               [int(s) for s in args.seeds.split(",")]])
            counts = [n for n, _ in results[(set_name, 0 if 0 in results else int(args.seeds[0]), arm)]]
            print(f"{set_name} {arm:6s} mean " + "  ".join(f"{n}:{m:.3f}" for n, m in zip(counts, curves.mean(0))))
    if args.chart:
        _chart(results, args)


def _chart(results, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = args.sets.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    fig, axes = plt.subplots(1, len(sets), figsize=(5.5 * len(sets), 4), squeeze=False)
    for ax, set_name in zip(axes[0], sets):
        for arm, style in (("app", "o-"), ("random", "s--")):
            curves = np.array([[s for _, s in results[(set_name, seed, arm)]] for seed in seeds])
            counts = [n for n, _ in results[(set_name, seeds[0], arm)]]
            ax.errorbar(counts, curves.mean(0), yerr=curves.std(0), fmt=style, capsize=3,
                        label="chosen by the app" if arm == "app" else "at random")
        ax.set_title(f"{set_name}: macro-F1 by labels (mean of {len(seeds)} seeds)")
        ax.set_xlabel("labelled texts")
        ax.set_ylabel("macro-F1 on held-out rows")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(args.chart, dpi=110)
    print(f"chart: {args.chart}")


if __name__ == "__main__":
    main()
