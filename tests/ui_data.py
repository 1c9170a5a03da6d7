"""Window-test helpers shared by the UI test files: a small reviews CSV, and loading it into a window."""

from __future__ import annotations

from tiny_models import write_toy_csv


def write_csv(path, n=120):
    return write_toy_csv(path, n)


def load(qtbot, window, path):
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=30000)


def use_model(window, folder, epochs: int, lr: float, batch: int) -> None:
    """Configure the window to train `folder` (a tiny model) with these settings."""
    window.configure.add_model("tiny", str(folder), select=True)
    window.configure.epochs.setValue(epochs)
    window.configure.lr.setValue(lr)
    window.configure.batch.setValue(batch)


def classify_file(qtbot, window, adapter, path, column: str) -> None:
    """Load `adapter` for prediction and classify the file at `path` in the window, until the result is in."""
    from desktop_app.core.data.tables import read_table

    window.load_adapter(str(adapter))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    window.batches.open_file(str(path))  # as Open file… does after its dialog
    qtbot.waitUntil(lambda: window.workspace.batch_input is not None and not window.tasks.busy, timeout=30000)
    window.batches.classify(column)
    qtbot.waitUntil(lambda: window.batch_result is not None and not window.batch.busy, timeout=30000)
