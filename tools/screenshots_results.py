"""Screenshots of the run-history compare view and the batch prediction summary, without training.

The widgets are the real ones, placed in the real window at its default size (1200×780); the runs and the
batch predictions are made up here (a keyword rule stands in for a trained model), so the screenshots
show the layout, not a measured result. tools/screenshots.py renders the window after a real run.
    QT_QPA_PLATFORM=offscreen python tools/screenshots_results.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _KeywordModel:
    labels = ("negative", "neutral", "positive")

    def predict_proba(self, texts):
        import numpy as np

        out = []
        for t in texts:
            t = t.lower()
            out.append([0.8, 0.15, 0.05] if any(w in t for w in ("late", "broken", "never")) else
                       [0.1, 0.2, 0.7] if any(w in t for w in ("great", "love", "fast")) else [0.2, 0.6, 0.2])
        return np.array(out)


def main() -> None:
    import pandas as pd
    from PySide6.QtCore import QItemSelectionModel, QSettings
    from PySide6.QtWidgets import QApplication

    from desktop_app.core.events import CancelToken
    from desktop_app.core.runs import RunInfo
    from desktop_app.ui import jobs
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.settings import Settings

    app = QApplication.instance() or QApplication(sys.argv)
    app.setStyle("Fusion")
    out = ROOT / "docs" / "screenshots"
    tmp = Path(tempfile.mkdtemp())
    window = MainWindow(Settings(QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat)), tmp / "runs")
    window.resize(1200, 780)
    window.show()

    def settle():
        for _ in range(30):
            app.processEvents()

    history = window.training.history
    base = {"preset": "balanced", "epochs": 3, "learning_rate": 0.0005, "batch_size": 16, "lora.r": 8,
            "lora.alpha": 16, "lora.targets": "attention", "class_weighting": False, "seed": 42}
    runs = [("run-20260112-091502", "support-tickets.csv", "2026-01-12 09:15", 412.0, 4210, 0.861, 0.842, "balanced",
             base),
            ("run-20260112-101733", "support-tickets.csv", "2026-01-12 10:17", 1290.0, 4210, 0.893, 0.881, "thorough",
             {**base, "preset": "thorough", "epochs": 6, "lora.r": 16, "lora.alpha": 32, "class_weighting": True}),
            ("run-20260113-154210", "tweets-latin1.csv", "2026-01-13 15:42", 95.0, 1310, 0.774, 0.701, "quick",
             {**base, "preset": "quick", "epochs": 2})]
    for name, dataset, date, seconds, examples, acc, f1, preset, settings in runs:
        history.add_run(RunInfo(name, None, dataset, date, seconds, examples, acc, f1, preset, "completed",
                                settings, float(settings["epochs"])))
    for row in (0, 1):
        history.table.selectionModel().select(history.table.model().index(row, 0),
                                              QItemSelectionModel.SelectionFlag.Select
                                              | QItemSelectionModel.SelectionFlag.Rows)
    history.compare_selected()
    window.steps.setCurrentRow(2)
    window.training.tabs.setCurrentWidget(history)
    settle()
    window.grab().save(str(out / "3-train-history-compare.png"))
    print("wrote", out / "3-train-history-compare.png")

    texts = ["Delivery was late and the box arrived broken", "Great service, fast refund", "Where is my invoice?",
             "I love the new app", "Support never answered my e-mail", "Can I change my address?"] * 140
    gold = ["negative", "positive", "neutral", "positive", "negative", "negative"] * 140
    frame = pd.DataFrame({"id": [str(i) for i in range(len(texts))], "message": texts, "category": gold})
    result = jobs.batch_predict_job(_KeywordModel(), frame, "message")(lambda e: None, CancelToken())
    window.inference.adapter_info.setText("<b>support-tickets (illustration: a keyword rule, not a trained "
                                          "model)</b><br>Classes: negative, neutral, positive")
    window.inference.set_model_ready(True)
    window.inference.set_batch_file("support-tickets-march.csv", list(frame.columns), "message")
    window.inference.set_batch_progress(len(texts), len(texts))
    window.inference.set_batch_result(result, "message")
    window.steps.setCurrentRow(3)
    settle()
    window.grab().save(str(out / "4-predict-batch-summary.png"))
    print("wrote", out / "4-predict-batch-summary.png")
    window.close()


if __name__ == "__main__":
    main()
