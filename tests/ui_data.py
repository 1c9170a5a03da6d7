"""Window-test helpers shared by the UI test files: a small reviews CSV, and loading it into a window."""

from __future__ import annotations

import csv


def write_csv(path, n=120):
    from tiny_models import toy_examples

    ex = toy_examples(n)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["review", "sentiment"])
        w.writerows(zip(ex.texts, ex.labels))
    return path


def load(qtbot, window, path):
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=30000)
