"""The batch prediction summary: rows, time, and agreement with a label column when the file has one."""

import pandas as pd
import pytest

from desktop_app.core.metrics.evaluation import batch_summary


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


class _WordClassifier:
    """'good' in the text means pos: enough to check a streamed summary without a model."""
    labels = ("neg", "pos")

    def predict_proba(self, texts):
        import numpy as np

        return np.array([[0.1, 0.9] if "good" in t else [0.8, 0.2] for t in texts], dtype=np.float32)


def test_a_streamed_file_is_summarised_across_chunks(tmp_path):
    """predict_file streams chunks; the summary still scores every row against the label column, and a
    column that looked like labels in the first chunk only is not used."""
    import io

    from desktop_app.core.predict.predict_file import predict_to

    rows = [("good one", "pos", "pos"), ("bad one", "neg", "neg"), ("good two", "neg", "pos"),
            ("bad two", "neg", "maybe"), ("good three", "", "neg")]
    path = tmp_path / "d.csv"
    path.write_text("text,gold,early\n" + "\n".join(",".join(r) for r in rows) + "\n")
    written = predict_to(io.StringIO(), _WordClassifier(), path, "text", chunk_rows=2)
    summary = written.summary
    assert written.rows == 5 and summary.rows == 5 and summary.label_column == "gold"
    assert summary.unlabelled == 1 and summary.report.examples == 4
    assert summary.report.confusion == [[2, 1], [0, 1]] and summary.report.accuracy == pytest.approx(3 / 4)


def test_summary_sentences_are_shared_by_the_cli_and_the_window():
    from desktop_app.formatting import batch_summary_lines, matrix_lines

    frame = _predicted(text=["a", "b", "c", "d"], gold=["pos", "neg", "neg", ""])
    summary = batch_summary(frame, ("neg", "pos"), "text", 2.0)
    plain = batch_summary_lines(summary)
    assert plain[0] == "4 rows classified in 2.00 s (2 rows/s)."
    assert "“gold” column (3 labelled rows): accuracy 66.7% · macro-F1 0.667." in plain[1]
    assert plain[2] == "1 row has no label there and is not scored."
    bold = batch_summary_lines(summary, lambda s: f"<b>{s}</b>")
    assert "<b>accuracy 66.7%</b>" in bold[1]
    assert matrix_lines(["neg", "pos"], [[1, 1], [0, 1]])[1:] == ["       neg   pos", " neg     1     1",
                                                                   " pos     0     1"]
