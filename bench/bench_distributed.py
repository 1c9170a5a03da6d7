"""One process against two (torchrun, DDP over gloo) on the same data: wall time, steps per process, accuracy.

Both runs train the same effective batch (one process × 32, two × 16) on the same split (a validation file),
fp32, through the real command line (`lora-studio train`, and `--processes 2` for torch's launcher), each a
fresh process tree timed from start to exit. On a 2-core laptop two processes are expected to be no faster:
they split the same cores and add gradient all-reduces. The point is that the run is the same run.
Run from the repo root (about 6 minutes on 2 cores):
    python bench/bench_distributed.py                    # 2000 snippets, 2 epochs
    python bench/bench_distributed.py --limit 4000 --epochs 3 --device cuda --processes 2   # on a GPU machine
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _write(path: Path, examples) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(zip(examples.texts, examples.labels))


def _run(folder: Path, processes: int, batch: int, args) -> dict:
    out = folder / f"adapter-{processes}"
    command = [sys.executable, "-m", "desktop_app", "train", str(folder / "train.csv"), "--validation",
               str(folder / "validation.csv"), "--epochs", str(args.epochs), "--batch-size", str(batch),
               "--precision", args.precision, "--device", args.device, "--seed", "42", "--out", str(out)]
    if processes > 1:
        command += ["--processes", str(processes)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"{processes} process(es) failed:\n{done.stderr[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    training = manifest["training"]
    return {"processes": processes, "wall_s": round(wall, 1), "train_s": training["seconds"],
            "steps": training["steps"], "effective_batch": training["effective_batch"],
            "per_device_batch": training["per_device_batch"], "device": training["device"],
            "examples_per_rank": training.get("examples_per_rank") or [training["steps"] * batch],
            "accuracy": manifest["metrics"]["validation"]["accuracy"],
            "macro_f1": manifest["metrics"]["validation"]["macro_f1"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32, help="the effective batch of both runs")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--precision", default="fp32", help="fp32 on CPUs (auto would measure per run); auto on GPUs")
    args = parser.parse_args()
    from rotten_tomatoes import load_splits

    splits = load_splits(args.limit)
    print(f"bench_distributed: {len(splits.train)} training / {len(splits.validation)} validation snippets, "
          f"{args.epochs:g} epochs, effective batch {args.batch}, {args.device} ({args.precision}); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        folder = Path(tmp)
        _write(folder / "train.csv", splits.train)
        _write(folder / "validation.csv", splits.validation)
        one = _run(folder, 1, args.batch, args)
        many = _run(folder, args.processes, args.batch // args.processes, args)
    for r in (one, many):
        print(f"  {r['processes']} process(es): wall {r['wall_s']:.1f} s (training {r['train_s']:.1f} s), "
              f"{r['steps']} steps of {r['effective_batch']} examples ({r['per_device_batch']} per process), "
              f"examples per process {r['examples_per_rank']}, accuracy {r['accuracy']:.4f}, "
              f"macro-F1 {r['macro_f1']:.4f}, on {r['device']}")
    print(f"ratio {args.processes} processes / 1: wall {many['wall_s'] / one['wall_s']:.2f}x, "
          f"training {many['train_s'] / one['train_s']:.2f}x (below 1 is faster); steps per process "
          f"{many['steps']} vs {one['steps']}; accuracy {many['accuracy'] - one['accuracy']:+.4f}")


if __name__ == "__main__":
    main()
