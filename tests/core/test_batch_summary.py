"""The batch prediction summary: rows, time, and agreement with a label column when the file has one."""

import pandas as pd
import pytest

from desktop_app.core.evaluation import batch_summary


def _predicted(**columns):
    frame = pd.DataFrame(columns)
    frame["predicted_label"] = ["pos", "neg", "pos", "pos"]
    frame["confidence"] = [0.9, 0.8, 0.7, 0.6]
    frame["prob_neg"], frame["prob_pos"] = [0.1, 0.8, 0.3, 0.4], [0.9, 0.2, 0.7, 0.6]
    return frame


def test_scores_against_the_column_that_holds_the_models_labels():
    frame = _predicted(id=["1", "2", "3", "4"], text=["a", "b", "c", "d"], gold=["pos", "neg", "neg", ""])
    summary = batch_summary(frame, ("neg", "pos"), "text", 1.5)
    assert summary.rows == 4 and summary.seconds == 1.5 and summary.label_column == "gold"
    assert summary.unlabelled == 1 and summary.report.examples == 3
    assert summary.report.accuracy == pytest.approx(2 / 3)
    assert summary.report.confusion == [[1, 1], [0, 1]]
    assert summary.report.macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert [m.text for m in summary.report.mistakes] == ["c"]


def test_no_label_column_means_no_score():
    frame = _predicted(text=["a", "b", "c", "d"], other=["x", "neg", "pos", "y"])
    summary = batch_summary(frame, ("neg", "pos"), "text", 0.2)
    assert summary.report is None and summary.label_column is None and summary.rows == 4
