"""Which column holds the texts and which the labels: guessed from the columns' names and content."""

from __future__ import annotations

import re

import pandas as pd

TEXT_NAME_HINTS = ("text", "review", "sentence", "content", "message", "body", "comment", "tweet",
                   "document", "utterance", "query", "description", "title", "question", "snippet")
LABEL_NAME_HINTS = ("label", "labels", "class", "category", "sentiment", "target", "intent", "topic",
                    "y", "tag", "polarity", "rating", "stars", "emotion", "spam", "classe", "categorie")


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_columns(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    """Guess (text column, label column) from names and content."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        return None, None
    sample = frame.head(5000)
    stats = {}
    for col in columns:
        values = [v for v in sample[col].tolist() if v not in (None, "")]
        if not values:
            stats[col] = (0.0, 0, 0.0)
            continue
        mean_len = sum(len(v) for v in values) / len(values)
        unique = len(set(values))
        stats[col] = (mean_len, unique, unique / len(values))

    def text_score(col):
        mean_len, unique, ratio = stats[col]
        hint = 3.0 if _norm(col) in TEXT_NAME_HINTS or any(h in _norm(col) for h in ("text", "review")) else 0.0
        return hint + min(mean_len, 400) / 40 + ratio * 2

    text_col = max(columns, key=text_score)
    if stats[text_col][0] == 0:
        text_col = None

    def label_score(col):
        mean_len, unique, ratio = stats[col]
        if col == text_col or mean_len == 0:
            return float("-inf")
        hint = 4.0 if _norm(col) in LABEL_NAME_HINTS else 0.0
        if unique < 2:  # still the label if named so: the report then says "only one class"
            return hint - 10
        few = 3.0 if unique <= 50 else (1.0 if unique <= 200 else -5.0)
        return hint + few - ratio * 3 - min(mean_len, 100) / 50

    candidates = [c for c in columns if c != text_col]
    label_col = max(candidates, key=label_score) if candidates else None
    if label_col is not None and label_score(label_col) == float("-inf"):
        label_col = None
    return text_col, label_col
