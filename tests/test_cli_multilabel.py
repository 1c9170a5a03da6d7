"""The CLI with several labels per text: inspect, train (joined cells and 0/1 columns), evaluate, predict
(--threshold, files, summaries), info and job export, on a tiny model."""

import csv
import json

import pytest
from tiny_models import TOPICS, write_toy_multilabel_csv

from desktop_app.cli import main


@pytest.fixture(scope="module")
def adapter(tmp_path_factory, tiny_bert):
    """A multi-label adapter trained through the CLI from 0/1 columns, rows without labels meaning none."""
    folder = tmp_path_factory.mktemp("cli-multi")
    data = write_toy_multilabel_csv(folder / "flags.csv", 120, none_share=0.2, binary=True)
    assert main(["train", str(data), "--model", str(tiny_bert), "--epochs", "2", "--lr", "5e-3",
                 "--none-of-these", "--out", str(folder / "adapter")]) == 0
    return folder


def test_inspect_says_how_the_labels_are_read(tmp_path, capsys):
    path = write_toy_multilabel_csv(tmp_path / "t.csv", 60)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Labels:    multi-label: 3 labels joined by “;” in “labels”" in out and "Texts per label:" in out
    assert main(["inspect", str(path), "--single-label"]) == 0
    assert "each combination is trained as a class of its own" in capsys.readouterr().out
    assert main(["inspect", str(path), "--json", "--label-separator", "|", "--multi-label"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "multi_label" and "praise;story" in report["class_counts"]  # "|" splits nothing


def test_training_from_yes_no_columns_records_how_labels_were_read(adapter, capsys):
    manifest = json.loads((adapter / "adapter" / "manifest.json").read_text())
    assert manifest["task"] == "multi_label" and manifest["labels"] == sorted(TOPICS)
    assert manifest["config"]["label_columns"] == list(TOPICS) and manifest["config"]["none_of_these"] is True
    assert main(["info", str(adapter / "adapter")]) == 0
    out = capsys.readouterr().out
    assert "Labels:     complaint, praise, story (several per text)" in out and "micro-F1" in out


def test_evaluate_reads_the_file_as_training_did(adapter, capsys):
    assert main(["evaluate", str(adapter / "adapter"), str(adapter / "flags.csv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "multi_label" and report["examples"] == 120  # none-of-these rows included
    assert set(report) >= {"micro_f1", "macro_f1", "accuracy", "hamming_loss", "thresholds", "label_errors"}
    assert main(["evaluate", str(adapter / "adapter"), str(adapter / "flags.csv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("micro-F1 ") and "threshold  missed  added" in out


def test_predict_a_text_with_the_adapter_thresholds_or_the_users(adapter, capsys):
    folder = str(adapter / "adapter")
    assert main(["predict", folder, "--text", "the film was good and plot", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    chosen = [n for n in sorted(TOPICS) if out["probabilities"][n] >= out["thresholds"][n]]
    assert out["labels"] == chosen and out["label"] == ";".join(chosen)
    assert main(["predict", folder, "--text", "x", "--json", "--threshold", "0", "--threshold", "story=1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["labels"] == ["complaint", "praise"] and out["thresholds"]["story"] == 1.0
    assert main(["predict", folder, "--text", "x", "--threshold", "0"]) == 0
    assert "✓ complaint" in capsys.readouterr().out
    for bad, said in ((["--threshold", "2"], "not a threshold"), (["--threshold", "nope=0.3"], "not one of")):
        assert main(["predict", folder, "--text", "x", *bad]) == 2
        assert said in capsys.readouterr().err


def test_threshold_is_refused_for_a_single_label_model(trained_adapter, capsys):
    assert main(["predict", str(trained_adapter.adapter_dir), "--text", "x", "--threshold", "0.3"]) == 2
    assert "--threshold is for multi-label models" in capsys.readouterr().err


def test_predict_a_file_writes_label_sets_and_summarises_them(adapter, tmp_path, capsys):
    source = write_toy_multilabel_csv(tmp_path / "new.csv", 30)
    out = tmp_path / "pred.csv"
    assert main(["predict", str(adapter / "adapter"), str(source), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["text", "labels", "predicted_labels", *(f"prob_{n}" for n in sorted(TOPICS))]
    assert all(set(r["predicted_labels"].split(";")) <= set(TOPICS) | {""} for r in rows)
    err = capsys.readouterr().err
    assert "Against the file's “labels” column (30 labelled rows): micro-F1" in err
    assert "praise: missed" in err and "rows: true label" not in err  # no confusion matrix for label sets


def test_a_hostile_label_name_cannot_become_a_formula(tmp_path, tiny_bert, capsys):
    path = tmp_path / "evil.csv"
    rows = [("good film", "=HYPERLINK(1);fine"), ("bad film", "fine"), ("ok film", "=HYPERLINK(1)")] * 12
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("text", "labels")] + [(f"{t} {i}", lab) for i, (t, lab) in enumerate(rows)])
    assert main(["train", str(path), "--model", str(tiny_bert), "--epochs", "1", "--out", str(tmp_path / "a")]) == 0
    assert main(["predict", str(tmp_path / "a"), str(path), "--threshold", "0", "--out", str(tmp_path / "p.csv")]) == 0
    for row in csv.reader((tmp_path / "p.csv").open(encoding="utf-8")):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_a_multi_label_job_carries_its_label_sets(tmp_path, tiny_bert, capsys):
    source = write_toy_multilabel_csv(tmp_path / "src.csv", 80, separator="|", none_share=0.1)
    assert main(["job", "export", str(source), "--model", str(tiny_bert), "--epochs", "1", "--none-of-these",
                 "--out", str(tmp_path / "job")]) == 0
    config = json.loads((tmp_path / "job" / "config.json").read_text())
    assert config["multi_label"] is True and config["label_separator"] == ";" and config["none_of_these"] is True
    assert main(["train", "--job", str(tmp_path / "job"), "--out", str(tmp_path / "adapter")]) == 0
    manifest = json.loads((tmp_path / "adapter" / "manifest.json").read_text())
    assert manifest["task"] == "multi_label" and manifest["training"]["examples"] > 0
