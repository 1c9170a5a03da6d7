"""Whole-process training speed: `lora-studio train` on the Rotten Tomatoes snippets, timed from the
shell's point of view (start-up, loading, training, evaluation, saving), against a baseline that is the
same command from another commit (default: before issue 10), run in the same session.

    python bench/bench_speed.py                          # all arms, full data (~10 min on 2 cores)
    python bench/bench_speed.py --arms baseline,auto --limit 1500
    python bench/bench_speed.py --busy 1                 # with one competing busy process

Arms: baseline (the old commit, checked out in a temporary git worktree), fp32 (no cache), fp32+cache,
bf16+cache, auto (precision measured in a fresh cache folder, so its one-time cost is included).
Held-out accuracy is read from each saved adapter's manifest (the 20% validation file).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ARMS = {
    "baseline": [],
    "fp32": ["--precision", "fp32", "--frozen-cache-mb", "0"],
    "fp32+cache": ["--precision", "fp32"],
    "bf16+cache": ["--precision", "bf16"],
    "auto": [],
}
BASELINE_REF = "6459635"  # main before issue 10's work


def _write_data(folder: Path, limit: int | None) -> tuple[Path, Path]:
    import pandas as pd
    from rotten_tomatoes import load_splits

    splits = load_splits(limit)
    train, val = folder / "train.csv", folder / "validation.csv"
    pd.DataFrame({"text": splits.train.texts, "label": splits.train.labels}).to_csv(train, index=False)
    pd.DataFrame({"text": splits.validation.texts, "label": splits.validation.labels}).to_csv(val, index=False)
    return train, val


# `lora-studio` itself, reporting its peak memory (max RSS) when it exits
_MEASURED = ("import atexit, resource, sys\n"
             "atexit.register(lambda: print(f'PEAK_RSS_MB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}',"
             " file=sys.stderr))\n"
             "from desktop_app.__main__ import main\n"
             "sys.exit(main(sys.argv[1:]))\n")


def _busy() -> None:
    while True:
        pass


def _run(arm: str, source: Path, train: Path, val: Path, work: Path) -> dict:
    out = work / f"adapter-{arm.replace('+', '-')}"
    cache = Path(tempfile.mkdtemp(prefix="precision-cache-", dir=work))  # fresh: "auto" measures once
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONWARNINGS": "ignore", "LORA_STUDIO_CACHE_DIR": str(cache)}
    env.pop("LORA_STUDIO_PRECISION", None)
    cmd = [sys.executable, "-c", _MEASURED, "train", str(train), "--validation", str(val),
           "--text-column", "text", "--label-column", "label", "--out", str(out)] + ARMS[arm]
    began = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work)
    seconds = time.monotonic() - began
    if proc.returncode != 0:
        sys.exit(f"{arm} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    metrics = manifest.get("metrics", {}).get("validation") or manifest.get("validation") or {}
    training = manifest.get("training", {})
    log = proc.stdout + proc.stderr
    notes = [line.strip() for line in log.splitlines() if "Precision:" in line or "frozen layer" in line.lower()
             or "thread" in line.lower()]
    rss = next((float(line.split()[1]) for line in log.splitlines() if line.startswith("PEAK_RSS_MB ")), None)
    return {"seconds": seconds, "peak_rss_mb": rss, "accuracy": metrics.get("accuracy"), "macro_f1": metrics.get("macro_f1"),
            "epochs": training.get("epochs"), "device": training.get("device"), "notes": notes}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arms", default=",".join(ARMS))
    ap.add_argument("--limit", type=int, help="a random subset of N snippets (before the 80/20 split)")
    ap.add_argument("--busy", type=int, default=0, help="competing busy processes during every arm")
    ap.add_argument("--baseline-ref", default=BASELINE_REF)
    args = ap.parse_args()
    import torch

    print(f"CPU: {torch.backends.cpu.get_cpu_capability()}, {os.cpu_count()} logical CPUs, "
          f"torch {torch.__version__}, busy processes: {args.busy}")
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        work = Path(tmp)
        train, val = _write_data(work, args.limit)
        baseline = work / "baseline-src"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline_ref],
                       check=True, capture_output=True)
        hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.busy)]
        for hog in hogs:
            hog.start()
        results = {}
        try:
            for arm in args.arms.split(","):
                results[arm] = r = _run(arm, baseline if arm == "baseline" else ROOT, train, val, work)
                print(f"{arm:11s} {r['seconds']:6.1f} s whole process   accuracy {r['accuracy']:.4f}   "
                      f"macro-F1 {r['macro_f1']:.4f}   epochs {r['epochs']}   peak RSS {r['peak_rss_mb']:.0f} MB   "
                      f"{r['device']}", flush=True)
                for note in r["notes"]:
                    print(f"{'':11s} {note}")
        finally:
            for hog in hogs:
                hog.terminate()
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                           capture_output=True)
        if "baseline" in results:
            base = results["baseline"]["seconds"]
            for arm, r in results.items():
                print(f"speed vs baseline: {arm:11s} {base / r['seconds']:.2f}x")
        print("JSON " + json.dumps({"args": vars(args), "results": results}))


if __name__ == "__main__":
    main()
