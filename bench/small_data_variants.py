"""Variants of the small path's kept model, scored as bench_small_data.py's `kept` arm scores the default.

For k rows per class of one set and each seed: one fit with TrainConfig overrides (--config, JSON) and pair_tuning
constants (--pair, JSON), then, on the same tuned model, the head refitted with each probe C (--C) after LoRA's
change is scaled by each factor (--scale: 1 is the fit as the app makes it). Prints macro-F1 on the set's test rows.

    python bench/small_data_variants.py --k 32                                       # the default (a=1, C=1)
    python bench/small_data_variants.py --k 32 --config '{"model_dropout": null}'     # the base's own dropout on
    python bench/small_data_variants.py --k 32 --config '{"lora": {"r": 64, "alpha": 128}}'
    python bench/small_data_variants.py --k 32 --pair '{"ANCHOR_PER_CLASS": 0}'       # no anchor
    python bench/small_data_variants.py --k 32 --scale 1,0.8,0.6,0.4,1.25 --C 0.25,1,4,16
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    import torch

    import bench_small_data as bench
    from desktop_app.core.train import pair_tuning
    from desktop_app.core.train import probe
    from desktop_app.core.model.config import TrainConfig

    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="snippets", choices=sorted(bench.SETS))
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--config", default="{}", help="TrainConfig overrides; 'lora' takes LoraSettings overrides")
    ap.add_argument("--pair", default="{}", help="pair_tuning constants")
    ap.add_argument("--C", default="1", help="probe regularisation values, on the same tuned vectors")
    ap.add_argument("--scale", default="1", help="factors for LoRA's change (lora_B) before the head is refitted")
    args = ap.parse_args()
    for name, value in json.loads(args.pair).items():
        setattr(pair_tuning, name, value)
    overrides = json.loads(args.config)
    lora = overrides.pop("lora", {})
    cs, scales = [float(c) for c in args.C.split(",")], [float(a) for a in args.scale.split(",")]
    pool, test = bench.SETS[args.set]()
    scores: dict[tuple, list] = {}

    for seed in [int(s) for s in args.seeds.split(",")]:
        train = pd.concat([pool[pool.label == name].sample(min(args.k, int((pool.label == name).sum())), random_state=seed)
                           for name in sorted(pool.label.unique())])
        config = TrainConfig(seed=seed, **overrides)
        config = replace(config, lora=replace(config.lora, **lora))
        start = time.monotonic()
        classifier = bench.fit_kept(train, config)
        model, encoder, names = classifier.model, classifier.encoder, list(classifier.labels)
        seconds = time.monotonic() - start
        tuned = {n: p.detach().clone() for n, p in model.named_parameters() if "lora_B" in n}
        truth = np.array([names.index(label) for label in train.label])
        line = []
        for factor in scales:
            with torch.no_grad():
                for n, p in model.named_parameters():
                    if n in tuned:
                        p.copy_(tuned[n] * factor)
            seen = probe.head_features(model, encoder, train.text.tolist())
            asked = probe.head_features(model, encoder, test.text.tolist())
            for c in cs:
                probe.PROBE_C = c
                weights, bias = probe.fit_probe(seen, truth, len(names), False, seed)
                predicted = [names[i] for i in (asked @ weights.T + bias).argmax(1)]
                scores.setdefault((factor, c), []).append(bench.macro_f1(test.label, predicted))
                line.append(f"scale {factor:g} C {c:g}: {scores[(factor, c)][-1]:.3f}")
        print(f"{args.set} k={args.k} seed={seed} (fit {seconds:.0f} s): " + ", ".join(line), flush=True)
    print("mean: " + ", ".join(f"scale {f:g} C {c:g}: {np.mean(v):.3f}" for (f, c), v in scores.items()), flush=True)


if __name__ == "__main__":
    main()
