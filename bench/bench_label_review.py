"""Label review: how many of the top-k suspects are truly mislabelled (k = the number of labels flipped).

Sets: BBC News articles in five topics (bench/news_set.py, 1,700 rows), the four-topic set of passages
(bench/topic_set.py, 1,700 rows) and 1,700 Rotten Tomatoes snippets (fresh / rotten / plot, short and hard). For each, 5% and 10% of the labels flipped at random to another label, seeds 0, 1, 2.
Arms, measured in the same run on the same rows and folds:
  ours      the app's review (core/curate/label_review.py): out-of-fold probabilities from the probe on the frozen
            base's sentence vectors and a TF-IDF logistic regression, averaged; cleanlab ranks them
  tfidf     cleanlab on TF-IDF + logistic regression out-of-fold probabilities alone (the issue's comparison), in
            cleanlab's default order, and ranked as ours ranks (every row by self-confidence)
Rows ranked: cleanlab's find_label_issues (self-confidence order), then every other row by self-confidence.

    python bench/bench_label_review.py [--sets news,topics,snippets] [--shares 0.05,0.1] [--seeds 0,1,2] [--cache-dir DIR]
(the seconds for ours include reading the texts once, measured without the cache)
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
    if name == "news":
        from news_set import news_set

        return news_set()[0]
    if name == "topics":
        from topic_set import topic_set

        return topic_set()[0]
    from bench_small_data import snippets

    return snippets()[0].sample(1700, random_state=0).reset_index(drop=True)


def ranked(targets, probs) -> list[int]:
    from cleanlab.filter import find_label_issues

    issues = [int(i) for i in find_label_issues(targets, probs, return_indices_ranked_by="self_confidence")]
    seen = set(issues)
    confidence = probs[np.arange(len(targets)), targets]
    return issues + [int(i) for i in np.argsort(confidence, kind="stable") if int(i) not in seen]


def main() -> None:
    from desktop_app.core.curate import label_review
    from desktop_app.core.curate.vectors import SentenceVectors
    from desktop_app.core.data.dataset import Examples
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.train.small_data import fold_of
    from topic_set import flip_labels

    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="news,topics,snippets")
    ap.add_argument("--shares", default="0.05,0.1")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache-dir", default="", help="keep each set's sentence vectors here (<set>_lr_vec.npy)")
    args = ap.parse_args()
    vectors = SentenceVectors(TrainConfig())
    print("set share seed | k | ours p@k (s) | tfidf p@k (s) | tfidf ranked as ours | ours found | tfidf found",
          flush=True)
    for set_name in args.sets.split(","):
        clean = data_set(set_name)
        started = time.monotonic()
        cached = Path(args.cache_dir) / f"{set_name}_lr_vec.npy" if args.cache_dir else None
        if cached is not None and cached.exists():  # the review's own cache, filled from the file
            vectors.keep(list(clean.text), np.load(cached))
        found = vectors.of(list(clean.text))
        if cached is not None:
            np.save(cached, found)
        read = time.monotonic() - started
        print(f"{set_name}: {len(clean)} rows {clean.label.value_counts().to_dict()}, sentence vectors in {read:.1f} s",
              flush=True)
        for share in [float(s) for s in args.shares.split(",")]:
            for seed in [int(s) for s in args.seeds.split(",")]:
                noisy, flipped = flip_labels(clean, share, seed)
                examples = Examples(list(noisy.text), list(noisy.label))
                t0 = time.monotonic()
                review = label_review.review_labels(examples, vectors, args.folds, seed=seed)
                ours_s = time.monotonic() - t0 + read  # a fresh review reads the texts too
                k = len(flipped)
                ours = len(set(review.order[:k]) & set(flipped)) / k
                # the comparison: TF-IDF + LR alone, the same folds
                names = list(review.labels)
                targets = np.array([names.index(label) for label in noisy.label])
                fold = fold_of(examples, args.folds, seed)
                t0 = time.monotonic()
                probs = np.zeros((len(targets), len(names)))
                for f in range(args.folds):
                    held = [i for i, x in enumerate(fold) if x == f]
                    train = [i for i, x in enumerate(fold) if x != f]
                    probs[held] = label_review._tfidf_probabilities([examples.texts[i] for i in train], targets[train],
                                                                   [examples.texts[i] for i in held], len(names), False)
                order = ranked(targets, probs)
                tfidf_s = time.monotonic() - t0
                tfidf = len(set(order[:k]) & set(flipped)) / k
                # the same probabilities ranked as ours ranks (every row by self-confidence): the ranking's share
                same = len(set(np.argsort(probs[np.arange(len(targets)), targets], kind="stable")[:k].tolist())
                           & set(flipped)) / k
                found = len(label_review._single_label_issues(targets, probs, label_review.LabelMap.from_labels(names))[0])
                print(f"{set_name} {share:g} {seed} | {k} | {ours:.3f} ({ours_s:.1f}) | {tfidf:.3f} ({tfidf_s:.1f}) | "
                      f"{same:.3f} | {len(review.suspects)} | {found}", flush=True)


if __name__ == "__main__":
    main()
