"""The window at small and large sizes and scale factors: a screenshot of each step, and a list of the buttons of
the page shown that a user cannot see or reach (cut by the window's edge, or only reachable by scrolling sideways).

    QT_QPA_PLATFORM=offscreen python tools/window_sizes.py            # docs/screenshots/sizes-*.png, all scales
    python tools/window_sizes.py --scale 1.5 --check                  # one scale, no screenshots; prints problems

A scale factor needs a fresh QApplication, so each scale runs in its own process, on an offscreen screen (the
offscreen platform reads its screens from a JSON file: offscreen:configfile=…). At scale 1 the window is resized
to 800×600, 1000×650 and 1600×1000 on a 1920×1200 screen; at 1.5 and 2 it restores a remembered 1200×780 on a
1600×1000 screen, where it was 1800×1170 pixels at 1.5, as a user found it. The pages hold realistic content (the sample data, a result, a
model's description and a batch summary), made without training or loading a model: a few seconds a scale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREEN = (1600, 1000)  # scaled: the laptop screen
LARGE_SCREEN = (1920, 1200)  # unscaled: room for every size with the window's frame
SIZES = ((800, 600), (1000, 650), (1600, 1000))
SCALES = (1, 1.5, 2)
PAGES = ("dataset", "configure", "train", "predict")
MARK = "WINDOW-SIZES:"


def run_scale(scale: float, out: Path | None = None, timeout: float = 120) -> list[str]:
    """One scale in a fresh process: the problems found (and screenshots in `out`, if given)."""
    folder = Path(tempfile.mkdtemp())
    config = folder / "screen.json"
    width, height = LARGE_SCREEN if scale == 1 else SCREEN
    config.write_text(json.dumps({"screens": [{"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": f"{scale:g}",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--scale", f"{scale:g}",
               "--settings", str(folder / "settings.ini")] + (["--out", str(out)] if out else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"scale {scale:g} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len(MARK):])


def _child(scale: float, settings_path: str, out: Path | None) -> list[str]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    from desktop_app.ui import jobs
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.settings import Settings

    jobs.warm_up_job = lambda: (lambda emit, cancel: {"devices": [], "cached": []})  # no torch import here
    settings = Settings(QSettings(settings_path, QSettings.Format.IniFormat))
    if scale != 1:  # the size the window had at 100 %, remembered
        remembered = QWidget()
        remembered.setGeometry(40, 40, 1200, 780)
        settings.set_geometry(remembered.saveGeometry())
    window = MainWindow(settings, Path(tempfile.mkdtemp()) / "runs")
    window.show()
    _settle(app)
    _fill(window)
    problems = []
    for size in (SIZES if scale == 1 else (None,)):
        if size is not None:
            window.resize(*size)
        _settle(app)
        problems += _off_screen(window)
        # scaled: named by the screen (the window's own size is what fit_to_screen left of the remembered one)
        name = f"{window.width()}x{window.height()}" if size else f"{SCREEN[0]}x{SCREEN[1]}-at{scale:g}"
        for index, page in enumerate(PAGES):
            window.steps.setCurrentRow(index)
            _settle(app)
            problems += [f"{name} {page}: {p}" for p in hidden_buttons(window.pages.currentWidget(), window)]
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(out / f"sizes-{name}-{page}.png"))
    for runner in window.runners:
        runner.shutdown()
    return problems


def _settle(app) -> None:
    for _ in range(30):
        app.processEvents()


def _off_screen(window) -> list[str]:
    area = window.screen().availableGeometry()
    frame = window.frameGeometry()
    return [] if area.contains(frame) else [f"the window ({frame.width()}x{frame.height()} at {frame.x()},"
                                            f"{frame.y()}) is larger than the screen ({area.width()}x{area.height()})"]


def hidden_buttons(page, window) -> list[str]:
    """Each shown push button of `page` that is cut: by the window's edge, or by any widget around it, except
    a scroll area that scrolls up and down (the button is reachable by scrolling down the page)."""
    from PySide6.QtWidgets import QPushButton

    found = []
    for button in page.findChildren(QPushButton):
        problem = _cut(button, window) if button.isVisible() and button.text() else None
        if problem:
            found.append(f"“{button.text()}” {problem}")
    return found


def _cut(button, window) -> str | None:
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QAbstractScrollArea

    rect = QRect(button.mapTo(window, button.rect().topLeft()), button.size())
    parent = button.parentWidget()
    while parent is not None and parent is not window:
        shown = QRect(parent.mapTo(window, parent.rect().topLeft()), parent.size())
        if rect.left() < shown.left() or rect.right() > shown.right():
            return f"cut at the side by {type(parent).__name__}"
        if rect.top() < shown.top() or rect.bottom() > shown.bottom():
            area = parent.parentWidget()
            if not (isinstance(area, QAbstractScrollArea) and area.viewport() is parent
                    and area.verticalScrollBar().isVisible()):
                return f"cut at the top or bottom by {type(parent).__name__}"
            rect = rect.intersected(shown)  # what is shown of it; the areas further out clip that
            if rect.isEmpty():
                return None  # scrolled out of view: the scroll bar reaches it
        parent = parent.parentWidget()
    return None if window.rect().contains(rect) else "beyond the window's edge"


def _fill(window) -> None:
    """Content like a user's, from the panels' own methods: the sample data and its report, a finished run, a
    model's description and a batch result."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.tables import read_table
    from desktop_app.core.data.dataset import build_report
    from desktop_app.core.metrics.reports import ClassMetrics, EvalReport, Mistake
    from desktop_app.paths import sample_dataset
    from desktop_app.ui import jobs

    table = read_table(str(sample_dataset()))
    report, _examples = build_report(table)
    window.dataset.set_table(table, report)
    labels = ["negative", "neutral", "positive"]
    metrics = [ClassMetrics(name, 0.9, 0.88, 0.89, 20) for name in labels]
    mistakes = [Mistake(f"A review that was hard to read, number {i}", "neutral", "positive", 0.8) for i in range(5)]
    validation = EvalReport(labels, 60, 0.9, 0.89, 0.89, metrics, [[18, 1, 1], [1, 17, 2], [0, 1, 19]], mistakes)
    window.training.show_result(SimpleNamespace(
        status="completed", validation=validation, steps=120, epochs=3.0, train_seconds=95.0, samples_per_s=11.0,
        device="CPU", config=TrainConfig(), adapter_dir=None, kept_epoch=3.0), 1)
    manifest = SimpleNamespace(validation=SimpleNamespace(accuracy=0.9, macro_f1=0.89, examples=60, report={}),
                               task="text-classification", estimate=None, labels=tuple(labels), thresholds=None,
                               base_model=SimpleNamespace(name="all-MiniLM-L6-v2"), created="2026-01-01T10:00",
                               training={"device": "CPU"})
    window.inference.set_adapter(manifest, "run-20260101-100000")

    class Keyword:
        def predict_proba(self, texts):
            return np.array([[0.1, 0.1, 0.8] if "good" in t else [0.8, 0.1, 0.1] for t in texts])
    frame = pd.DataFrame({"text": ["good film", "bad film", "good grief", "awful"] * 25,
                          "label": ["positive", "negative", "negative", "neutral"] * 25})
    Keyword.labels = tuple(labels)
    result = jobs.batch_predict_job(Keyword(), frame, "text")(lambda event: None, SimpleNamespace(cancelled=False))
    window.inference.set_batch_file("reviews.csv", list(frame.columns), "text")
    window.inference.set_batch_result(result, "text")


def main() -> None:
    args = sys.argv[1:]
    scale = float(args[args.index("--scale") + 1]) if "--scale" in args else None
    out = Path(args[args.index("--out") + 1]) if "--out" in args else None
    if "--child" in args:
        sys.path.insert(0, str(ROOT))
        problems = _child(scale, args[args.index("--settings") + 1], out)
        print(MARK + json.dumps(problems), flush=True)
        return
    out = None if "--check" in args else (out or ROOT / "docs" / "screenshots")
    problems = []
    for s in ([scale] if scale else SCALES):
        problems += run_scale(s, out)
    print("\n".join(problems) or "every button of every page is on screen")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
