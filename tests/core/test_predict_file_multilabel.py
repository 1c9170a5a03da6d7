"""A multi-label batch summary reads the file's labels as the model's training file was read (0/1 columns,
separator, none of these) and scores the file's own predicted_labels; a predictions file can be fed back in."""

import csv
import io
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from tiny_models import TOPICS, write_toy_csv, write_toy_multilabel_csv

from desktop_app.cli import main
from desktop_app.core.predict.inference import Classifier
from desktop_app.core.predict.predict_file import predict_to, summarise

LABELS = tuple(sorted(TOPICS))  # complaint, praise, story


def _train(folder, tiny_bert, data) -> str:
    assert main(["train", str(data), "--model", str(tiny_bert), "--epochs", "2", "--lr", "5e-3",
                 "--none-of-these", "--out", str(folder / "adapter")]) == 0
    return str(folder / "adapter")


@pytest.fixture(scope="module")
def flags(tmp_path_factory, tiny_bert):
    """A model trained from one 0/1 column per label, rows with no label meaning none of these."""
    folder = tmp_path_factory.mktemp("flags")
    data = write_toy_multilabel_csv(folder / "flags.csv", 120, none_share=0.2, binary=True)
    return _train(folder, tiny_bert, data), data


@pytest.fixture(scope="module")
def joined(tmp_path_factory, tiny_bert):
    """A model trained from one column of labels joined by "|", empty cells meaning none of these."""
    folder = tmp_path_factory.mktemp("joined")
    data = write_toy_multilabel_csv(folder / "sets.csv", 120, separator="|", none_share=0.2)
    return _train(folder, tiny_bert, data), data


def _evaluated(adapter, data, capsys) -> dict:
    assert main(["evaluate", adapter, str(data), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _summary(adapter, data, chunk_rows=2048):
    return predict_to(io.StringIO(), Classifier.load(adapter), data, chunk_rows=chunk_rows).summary


def test_a_model_from_0_1_columns_is_scored_on_its_own_file_as_evaluate_scores_it(flags, tmp_path, capsys):
    adapter, data = flags
    manifest = json.loads((Path(adapter) / "manifest.json").read_text())
    assert manifest["config"]["label_columns"] == list(TOPICS) and manifest["config"]["none_of_these"] is True
    evaluated = _evaluated(adapter, data, capsys)
    summary = _summary(adapter, data)
    assert summary.report is not None and summary.label_column == ", ".join(TOPICS)
    assert summary.unlabelled == 0 and summary.report.examples == evaluated["examples"] == 120
    assert summary.report.micro_f1 == pytest.approx(evaluated["micro_f1"])
    assert summary.report.accuracy == pytest.approx(evaluated["accuracy"])
    assert main(["predict", adapter, str(data), "--out", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err
    assert "No column of the file holds" not in err
    assert "Against the file's “praise”, “complaint”, “story” columns (120 labelled rows): micro-F1" in err


def test_none_of_these_rows_are_scored_as_the_empty_set_as_evaluate_scores_them(joined, capsys):
    adapter, data = joined
    config = json.loads((Path(adapter) / "manifest.json").read_text())["config"]
    assert config["label_separator"] == "|" and config["none_of_these"] is True
    evaluated = _evaluated(adapter, data, capsys)
    summary = _summary(adapter, data)
    assert summary.label_column == "labels" and summary.unlabelled == 0
    assert summary.report.examples == evaluated["examples"] == 120
    assert summary.report.micro_f1 == pytest.approx(evaluated["micro_f1"])
    assert summary.report.accuracy == pytest.approx(evaluated["accuracy"])


@pytest.mark.parametrize("model", ["flags", "joined"])
def test_small_streamed_chunks_give_the_one_chunk_summary(model, request):
    adapter, data = request.getfixturevalue(model)
    whole, streamed = _summary(adapter, data), _summary(adapter, data, chunk_rows=7)
    assert whole.report is not None
    assert (streamed.label_column, streamed.unlabelled) == (whole.label_column, whole.unlabelled)
    assert streamed.report.to_dict() == whole.report.to_dict()


class _Stub:
    """A multi-label classifier as summarise sees it: labels, thresholds and the manifest's reading."""
    multi_label = True
    labels = ("a", "b")

    def __init__(self, **config):
        self.manifest = SimpleNamespace(task="multi_label", config=config)

    def cut_points(self, thresholds=None):
        return np.array([0.5, 0.5])


def test_the_decisions_are_the_files_own_predicted_labels():
    """0.49996 rounds to 0.5 in prob_a, but the model did not choose a: the summary says what the file says."""
    frame = pd.DataFrame({"text": ["x", "y", "z"], "gold": ["a", "b", "b"], "predicted_labels": ["a", "b", "b"],
                          "prob_a": [0.9, 0.1, round(0.49996, 4)], "prob_b": [0.1, 0.9, 0.8]})
    assert frame["prob_a"][2] == 0.5
    report = summarise(_Stub(), frame, "text", 0.1).report
    assert report.examples == 3 and report.accuracy == 1.0 and report.micro_f1 == 1.0 and not report.mistakes


def test_0_1_columns_a_blank_is_no_and_another_value_leaves_the_row_unscored():
    frame = pd.DataFrame({"text": list("vwxyz"), "a": ["1", "", "0", "maybe", None], "b": ["0", "1", "", "1", ""],
                          "predicted_labels": ["a", "b", "", "b", "a"],
                          "prob_a": [0.9, 0.1, 0.2, 0.1, 0.7], "prob_b": [0.1, 0.9, 0.2, 0.8, 0.2]})
    none = summarise(_Stub(label_columns=["a", "b"], none_of_these=True), frame, "text", 0.1)
    assert none.label_column == "a, b" and none.unlabelled == 1 and none.report.examples == 4
    assert [(m.text, m.missed, m.added) for m in none.report.mistakes] == [("z", [], ["a"])]
    skipped = summarise(_Stub(label_columns=["a", "b"]), frame, "text", 0.1)  # empty rows are unlabelled
    assert skipped.unlabelled == 3 and skipped.report.examples == 2 and skipped.report.accuracy == 1.0


def test_a_predictions_file_fed_back_in_gets_its_prediction_columns_once(joined, trained_adapter, tmp_path):
    for n, (adapter, source, extra) in enumerate(((joined[0], joined[1], []),
                                   (str(trained_adapter.adapter_dir), write_toy_csv(tmp_path / "s.csv", 20), []),
                                   (str(trained_adapter.adapter_dir), tmp_path / "s.csv", ["--explain"]))):
        first, again = tmp_path / f"first-{n}.csv", tmp_path / f"again-{n}.csv"  # --out never replaces unasked
        assert main(["predict", adapter, str(source), "--out", str(first), *extra]) == 0
        before = first.read_bytes()
        assert main(["predict", adapter, str(first), "--out", str(again), *extra]) == 0
        assert first.read_bytes() == before  # the input file is never modified
        head_first = next(csv.reader(first.open(encoding="utf-8")))
        head_again = next(csv.reader(again.open(encoding="utf-8")))
        assert len(set(head_again)) == len(head_again) and sorted(head_again) == sorted(head_first)
        predicted = "predicted_labels" if "predicted_labels" in head_first else "predicted_label"
        rows_first = list(csv.DictReader(first.open(encoding="utf-8")))
        rows_again = list(csv.DictReader(again.open(encoding="utf-8")))
        assert [r[predicted] for r in rows_again] == [r[predicted] for r in rows_first]


def test_the_predictions_say_which_column_holds_them_whatever_an_old_file_holds(trained_adapter):
    """A one-label model on a multi-label predictions file: the old predicted_labels column stays (it is the
    user's), and the window must not take it for this model's answer."""
    import pandas as pd

    from desktop_app.core.predict.inference import PREDICTED, predict_frame

    clf = Classifier.load(trained_adapter.adapter_dir)
    old = pd.DataFrame({"text": ["great film", "awful film"], "predicted_labels": ["a;b", ""]})
    out = predict_frame(clf, old, "text")
    assert out.attrs[PREDICTED] == "predicted_label" and "predicted_labels" in out.columns
