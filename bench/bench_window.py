"""Window responsiveness, measured (these were wall-clock asserts in tests; timings belong here).

1. Showing a 200,000-row table: FrameModel (virtual) vs. a QStandardItemModel holding the first 20,000
   rows, as a baseline in the same process.
2. First paint of the main window in a fresh process vs. a bare QMainWindow in another fresh process.

Run: QT_QPA_PLATFORM=offscreen python bench/bench_window.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def table_seconds() -> tuple[float, float]:
    import pandas as pd
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QApplication, QTableView

    from desktop_app.ui.frame_model import FrameModel

    app = QApplication.instance() or QApplication([])
    frame = pd.DataFrame({"text": [f"row {i}" for i in range(200_000)], "label": ["a", "b"] * 100_000})

    def show(model_factory) -> float:
        view = QTableView()
        start = time.perf_counter()
        view.setModel(model_factory())
        view.show()
        view.scrollToBottom()
        app.processEvents()
        seconds = time.perf_counter() - start
        view.close()
        return seconds

    def virtual():
        model = FrameModel()
        model.set_frame(frame)
        return model

    def items():  # the usual alternative, on a tenth of the rows
        model = QStandardItemModel(0, 2)
        for text, label in zip(frame["text"][:20_000], frame["label"][:20_000]):
            model.appendRow([QStandardItem(text), QStandardItem(label)])
        return model

    return show(virtual), show(items)


def paint_seconds(code: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        script = ("import time, sys\nfrom pathlib import Path\nfrom PySide6.QtWidgets import QApplication, QMainWindow\n"
                  "app = QApplication([])\nstart = time.perf_counter()\n" + code +
                  "w.show()\nw.repaint()\nprint(time.perf_counter() - start)\n")
        out = subprocess.run([sys.executable, "-c", script.replace("TMP", tmp)], capture_output=True, text=True,
                             env={**os.environ, "XDG_CONFIG_HOME": tmp}, check=True)
        return float(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    virtual, items = table_seconds()
    print(f"200,000 rows, FrameModel: {virtual:.3f} s; 20,000 rows, QStandardItemModel: {items:.3f} s "
          f"(ratio {items / virtual:.1f}x)")
    window = paint_seconds("from desktop_app.ui.main_window import MainWindow\nw = MainWindow(runs_dir=Path('TMP'))\n")
    bare = paint_seconds("w = QMainWindow()\n")
    print(f"first paint: LoRA Studio window {window:.2f} s, bare QMainWindow {bare:.3f} s (difference "
          f"{window - bare:.2f} s)")
