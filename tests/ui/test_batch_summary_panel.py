"""Predict page: a batch run ends with a summary (rows, time, accuracy and macro-F1 against a label column)."""

import numpy as np
import pandas as pd

from desktop_app.core.base.events import CancelToken
from desktop_app.ui import jobs
from desktop_app.ui.panels.inference_panel import InferencePanel


class _Keyword:
    labels = ("negative", "positive")

    def predict_proba(self, texts):
        return np.array([[0.2, 0.8] if "good" in t else [0.9, 0.1] for t in texts])


def _run(frame):
    return jobs.batch_predict_job(_Keyword(), frame, "text")(lambda event: None, CancelToken())


def test_batch_summary_scores_against_the_files_labels(qtbot):
    panel = InferencePanel()
    qtbot.addWidget(panel)
    frame = pd.DataFrame({"text": ["good film", "bad film", "good grief", "awful"] * 25,
                          "sentiment": ["positive", "negative", "negative", "negative"] * 25})
    panel.set_batch_result(_run(frame), "text")
    text = panel.batch_summary.text()
    assert "100 rows" in text and "classified in" in text and "“sentiment”" in text
    assert "accuracy 75.0%" in text and "macro-F1 0.733" in text
    assert not panel.batch_matrix.isHidden() and panel.batch_matrix.count("negative", "positive") == 25
    panel.set_batch_running(True)  # a new run: the old summary goes
    assert panel.batch_summary.text() == "" and panel.batch_matrix.isHidden()


def test_batch_summary_without_a_label_column_says_so(qtbot):
    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.set_batch_result(_run(pd.DataFrame({"text": ["good", "bad", "meh"]})), "text")
    assert "3 rows" in panel.batch_summary.text() and "nothing to score against" in panel.batch_summary.text()
    assert panel.batch_matrix.isHidden()
