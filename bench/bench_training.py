"""Training benchmark: the classic recipe vs LoRA Studio's default preset on Rotten Tomatoes (fresh/rotten).

Each arm runs in its own subprocess so its peak memory (max RSS) is its own. Run from the repo root:
    python bench/bench_training.py                # full data, both arms (~20 min on 2 cores)
    python bench/bench_training.py --limit 1000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _arm(name: str, limit: int | None, preset: str, overrides: dict) -> dict:
    from rotten_tomatoes import load_splits

    from desktop_app.core.model.base_models import embedded_model_dir

    splits = load_splits(limit)
    if name == "classic":
        from classic_recipe import train_classic

        out = train_classic(splits, str(embedded_model_dir()))
    else:
        from desktop_app.core.model.config import preset as get_preset
        from desktop_app.core.train.training import run_training

        config = get_preset(preset).with_overrides(**overrides)
        start = time.monotonic()
        result = run_training(config, splits)
        out = {"seconds": result.train_seconds, "samples_per_s": result.samples_per_s,
               "accuracy": result.validation.accuracy, "macro_f1": result.validation.macro_f1,
               "epochs": result.epochs, "wall_with_setup_s": time.monotonic() - start,
               "max_length": result.max_length, "status": result.status}
    out["train_examples"], out["validation_examples"] = len(splits.train), len(splits.validation)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, help="use a random subset of N snippets")
    ap.add_argument("--arms", default="classic,ours")
    ap.add_argument("--preset", default="balanced")
    ap.add_argument("--set", action="append", default=[], help="override a config field, e.g. --set epochs=3")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    if args.child:
        print("RESULT " + json.dumps(_arm(args.child, args.limit, args.preset, overrides)), flush=True)
        return
    results = {}
    for arm in args.arms.split(","):
        cmd = [sys.executable, __file__, "--child", arm, "--preset", args.preset] + \
              (["--limit", str(args.limit)] if args.limit else []) + sum((["--set", s] for s in args.set), [])
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"{arm} failed:\n{proc.stderr[-3000:]}")
        results[arm] = json.loads(line[7:])
        r = results[arm]
        print(f"{arm:8s} {r['samples_per_s']:7.1f} samples/s  {r['seconds']:7.1f} s  acc {r['accuracy']:.4f}  "
              f"macro-F1 {r['macro_f1']:.4f}  epochs {r['epochs']:.1f}  peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
    if "classic" in results and "ours" in results:
        a, b = results["classic"], results["ours"]
        print(f"ratio ours/classic: throughput {b['samples_per_s'] / a['samples_per_s']:.2f}x, "
              f"wall time {b['seconds'] / a['seconds']:.2f}x, accuracy {b['accuracy'] - a['accuracy']:+.4f}, "
              f"peak RSS {b['peak_rss_mb'] / a['peak_rss_mb']:.2f}x")
    print("JSON " + json.dumps({"args": vars(args), "results": results}))


if __name__ == "__main__":
    main()
