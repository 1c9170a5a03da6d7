"""Window-test helpers shared by the UI test files: a small reviews CSV, and loading it into a window."""

from __future__ import annotations

from tiny_models import write_toy_csv


def write_csv(path, n=120):
    return write_toy_csv(path, n)


def load(qtbot, window, path):
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=30000)
