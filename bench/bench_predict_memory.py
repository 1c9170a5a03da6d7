"""Peak memory of `predict DATA --out`: streamed (predict_file) vs the old whole-table path, 10k vs 200k rows.

Each run is a fresh child process that loads the classifier, notes its peak RSS, predicts the file and
notes the peak again, so the difference is what the data cost. Run from the repo root:
    python bench/bench_predict_memory.py [--adapter DIR] [--rows 10000 200000]
Without --adapter a tiny BERT adapter is trained in a few seconds (the model's size does not matter
here: the point is whether memory grows with the rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _Sampler(threading.Thread):
    """The highest RSS while predicting: ru_maxrss alone would also hold the model's loading peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.done = _rss_mb(), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, _rss_mb())


def child(mode: str, adapter: str, data: str, out: str) -> None:
    import torch

    from desktop_app.core.predict.inference import Classifier

    torch.set_num_threads(1)  # a tiny model on a shared 2-core machine: 30x faster than 2 contended threads
    clf = Classifier.load(adapter)
    clf.predict(["warm up the model once"])
    loaded, load_maxrss, sampler = _rss_mb(), _peak_mb(), _Sampler()
    sampler.start()
    start = time.perf_counter()
    if mode == "stream":
        from desktop_app.core.predict.predict_file import predict_file

        rows = predict_file(clf, data, out).rows
    else:  # what cmd_predict did before: the table, a copy with predictions, the CSV text, all in memory
        import io

        from desktop_app.core.disk.atomic import atomic_write_text
        from desktop_app.core.data.tables import read_table
        from desktop_app.core.predict.inference import predict_frame

        frame = predict_frame(clf, read_table(data).frame, "text")
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL)
        atomic_write_text(Path(out), buffer.getvalue())
        rows = len(frame)
    seconds = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    maxrss = _peak_mb()  # catches spikes between samples, if they rose above the loading peak
    peak = max(sampler.peak, _rss_mb(), maxrss if maxrss > load_maxrss else 0)
    print(json.dumps({"rows": rows, "loaded_mb": loaded, "peak_mb": peak, "maxrss_mb": maxrss, "seconds": seconds}))


def _tiny_adapter(folder: Path) -> str:
    from tiny_models import build_tiny_bert, toy_examples

    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    ex = toy_examples()
    base = build_tiny_bert(folder / "tiny-bert", ex.texts)
    config = TrainConfig(base_model=str(base), epochs=1, batch_size=16, min_steps=0)
    return str(run_training(config, Dataset(ex, LabelMap.from_labels(ex.labels), None),
                            out_dir=folder / "adapter").adapter_dir)


def _write_data(path: Path, rows: int) -> None:
    from tiny_models import WORDS

    rng = random.Random(0)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text"])
        for i in range(rows):  # ~150-character reviews, like short product or film reviews
            writer.writerow([i, " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40)))])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--adapter")
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 200_000])
    ap.add_argument("--child", nargs=4, metavar=("MODE", "ADAPTER", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        adapter = args.adapter or _tiny_adapter(tmp)
        print(f"adapter: {adapter}\n{'path':<7} {'rows':>8} {'file MB':>8} {'RSS after load':>15} "
              f"{'peak RSS predicting':>20} {'growth':>7} {'ru_maxrss':>10} {'seconds':>8}", flush=True)
        results = {}
        for rows in args.rows:
            data = tmp / f"data-{rows}.csv"
            _write_data(data, rows)
            for mode in ("stream", "old"):
                proc = subprocess.run([sys.executable, __file__, "--child", mode, adapter, str(data),
                                       str(tmp / f"out-{mode}-{rows}.csv")],
                                      capture_output=True, text=True, check=True)
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                results[mode, rows] = r["peak_mb"]
                print(f"{mode:<7} {r['rows']:>8,} {data.stat().st_size / 1e6:>8.1f} {r['loaded_mb']:>12.0f} MB "
                      f"{r['peak_mb']:>17.0f} MB {r['peak_mb'] - r['loaded_mb']:>4.0f} MB {r['maxrss_mb']:>7.0f} MB "
                      f"{r['seconds']:>8.1f}", flush=True)
        small, big = min(args.rows), max(args.rows)
        for mode in ("stream", "old"):
            print(f"{mode}: peak RSS predicting {big:,} rows / {small:,} rows = "
                  f"{results[mode, big] / results[mode, small]:.2f}")


if __name__ == "__main__":
    main()
