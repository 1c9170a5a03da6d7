"""The headless CLI: inspect JSON, train/predict/evaluate/info on a tiny model, bad input -> one line, exit 2."""

import csv
import json

import pytest

from desktop_app.cli import main


def _write_csv(path, n=80):
    from tiny_models import toy_examples

    ex = toy_examples(n)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "review", "sentiment"])
        for i, (t, l) in enumerate(zip(ex.texts, ex.labels)):
            w.writerow([i, t, l])
    return path


def test_inspect_json(tmp_path, capsys):
    path = _write_csv(tmp_path / "d.csv")
    assert main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["text_column"] == "review" and report["label_column"] == "sentiment"
    assert report["rows_read"] == 80 and report["rows_usable"] == 80
    assert report["class_counts"] == {"neg": 40, "pos": 40}
    assert isinstance(report["warnings"], list) and report["errors"] == []


def test_inspect_human_and_blocking_error(tmp_path, capsys):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "\n".join(f"t{i},same" for i in range(10)))
    assert main(["inspect", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Only one class" in captured.err and "Rows:" in captured.out


@pytest.mark.parametrize("argv", [
    ["inspect", "/no/such/file.csv"],
    ["train", "/no/such/file.csv"],
    ["train"],
    ["info", "/no/such/adapter"],
    ["predict", "/no/such/adapter", "--text", "hi"],
    ["evaluate", "/no/such/adapter", "/no/such/file.csv"],
])
def test_bad_input_is_one_line_and_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("lora-studio: ") and err.count("\n") == 1 and "Traceback" not in err


def test_bad_settings_exit_2(tmp_path, capsys):
    path = _write_csv(tmp_path / "d.csv")
    assert main(["train", str(path), "--epochs", "0"]) == 2
    assert "epochs" in capsys.readouterr().err


def test_train_predict_evaluate_info(tmp_path, capsys, tiny_bert):
    data = _write_csv(tmp_path / "d.csv")
    out = tmp_path / "adapter"
    assert main(["train", str(data), "--model", str(tiny_bert), "--epochs", "1", "--lr", "0.005",
                 "--out", str(out)]) == 0
    text = capsys.readouterr()
    assert "Accuracy" in text.out and "macro-F1" in text.out and "step" in text.err
    assert (out / "manifest.json").is_file()

    assert main(["predict", str(out), "--text", "the film was great"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.split("\t")[0] in {"neg", "pos"}
    assert main(["predict", str(out), "--text", "the film was great", "--int8"]) == 0
    fast = capsys.readouterr().out.splitlines()[0]
    assert abs(float(fast.split("\t")[1]) - float(first.split("\t")[1])) < 0.1

    preds = tmp_path / "preds.csv"
    assert main(["predict", str(out), str(data), "--out", str(preds)]) == 0
    rows = list(csv.DictReader(open(preds, encoding="utf-8")))
    assert len(rows) == 80
    assert list(rows[0])[:3] == ["id", "review", "sentiment"]
    assert {"predicted_label", "confidence", "prob_neg", "prob_pos"} <= set(rows[0])
    assert abs(float(rows[0]["prob_neg"]) + float(rows[0]["prob_pos"]) - 1) < 1e-3
    err = capsys.readouterr().err  # the summary: rows, time, and the score against the file's label column
    accuracy = sum(r["predicted_label"] == r["sentiment"] for r in rows) / len(rows)
    assert "80 rows classified in" in err and f"“sentiment” column (80 labelled rows): accuracy {accuracy:.1%}" in err
    assert "rows: true label, columns: predicted" in err

    assert main(["evaluate", str(out), str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["examples"] == 80 and 0 <= report["accuracy"] <= 1

    assert main(["info", str(out)]) == 0
    assert "Classes:    neg, pos" in capsys.readouterr().out


def test_evaluate_with_unknown_labels(tmp_path, capsys, trained_adapter):
    path = tmp_path / "other.csv"
    path.write_text("text,label\n" + "\n".join(f"t {i},{'x' if i % 2 else 'y'}" for i in range(20)))
    assert main(["evaluate", str(trained_adapter.adapter_dir), str(path)]) == 2
    assert "does not know" in capsys.readouterr().err


def test_devices(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "cpu" in out and "PyTorch" in out


def test_separate_validation_file(tmp_path, capsys, tiny_bert):
    train = _write_csv(tmp_path / "train.csv", 60)
    val = tmp_path / "val.csv"
    val.write_text("id,review,sentiment\n1,the film was great,pos\n2,the film was awful,neg\n3,so dull,neg\n")
    assert main(["train", str(train), "--validation", str(val), "--model", str(tiny_bert), "--epochs", "1",
                 "--out", str(tmp_path / "a")]) == 0
    assert "(3 examples)" in capsys.readouterr().out
    bad = tmp_path / "bad_val.csv"
    bad.write_text("id,review,sentiment\n1,a,pos\n2,b,meh\n")
    assert main(["train", str(train), "--validation", str(bad), "--model", str(tiny_bert)]) == 2
    assert "labels the training file lacks: meh" in capsys.readouterr().err


@pytest.mark.parametrize("sent", ["SIGINT", "SIGTERM"])  # SIGTERM: how torchrun ends the other ranks
def test_ctrl_c_stops_training_cleanly(tmp_path, tiny_bert, sent):
    import os
    import signal
    import subprocess
    import sys
    import time

    data = _write_csv(tmp_path / "d.csv", 200)
    out = tmp_path / "adapter"
    proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "train", str(data), "--model", str(tiny_bert),
                             "--epochs", "100", "--batch-size", "4", "--out", str(out)],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    for line in proc.stderr:  # wait until training has really started
        if "step" in line:
            break
    start = time.monotonic()
    proc.send_signal(getattr(signal, sent))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert time.monotonic() - start < 20
    assert "nothing was saved" in err and "Traceback" not in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_a_second_sigterm_ends_training_at_once(tmp_path):
    """The first SIGTERM asks for a clean stop; a second one (a launcher that will not wait) is not ignored."""
    import signal
    import subprocess
    import sys

    script = f"""
import os, signal, time
import desktop_app.core.train.training as training
from desktop_app.cli import main

def stuck(config, data, on_event=None, cancel=None, out_dir=None):
    os.kill(os.getpid(), signal.SIGTERM)
    assert cancel.cancelled, "the first SIGTERM cancels"
    print("first handled", flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)  # a step that does not return: only the second SIGTERM can end this
    raise SystemExit(5)

training.run_training = stuck
main(["train", "--sample", "--out", {str(tmp_path / "a")!r}])
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "first handled" in proc.stdout and proc.returncode == -signal.SIGTERM, proc.stderr


def test_a_bug_is_one_line_with_the_traceback_in_the_log_and_verbose_prints_it(tmp_path, capsys, monkeypatch):
    from desktop_app.core.base.logs import log_path

    def broken(args):
        raise ZeroDivisionError("a bug deep inside")
    monkeypatch.setitem(__import__("desktop_app.cli").cli.COMMANDS, "devices", broken)
    assert main(["devices"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and str(log_path()) in err
    assert "ZeroDivisionError: a bug deep inside" in log_path().read_text(encoding="utf-8")
    assert main(["--verbose", "devices"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_predict_explains_a_text_as_json_and_a_file_with_top_words(tmp_path, capsys, trained_adapter):
    adapter = str(trained_adapter.adapter_dir)
    text = "the film was great and wonderful"
    assert main(["predict", adapter, "--text", text, "--explain", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["label"] in ("neg", "pos") and abs(sum(out["probabilities"].values()) - 1) < 1e-4
    assert [a["token"] for a in out["attributions"]] == text.split()  # words, in text order
    assert all(isinstance(a["score"], float) for a in out["attributions"])
    assert main(["predict", adapter, "--text", text, "--explain", "--careful"]) == 0
    assert "Why “" in capsys.readouterr().out
    data = _write_csv(tmp_path / "d.csv", 6)
    preds = tmp_path / "preds.csv"
    assert main(["predict", adapter, str(data), "--explain", "--out", str(preds)]) == 0
    rows = list(csv.DictReader(open(preds, encoding="utf-8")))
    assert len(rows) == 6 and all(set(r["top_words"].split("; ")) <= set(r["review"].split()) | {""} for r in rows)
    assert main(["predict", adapter, "--text", text, "--explain", "--int8"]) == 2
    assert "full-precision" in capsys.readouterr().err


def test_small_data_is_cross_validated_and_says_so(tmp_path, capsys, tiny_bert):
    data = _write_csv(tmp_path / "small.csv", n=40)
    out = tmp_path / "small-adapter"
    assert main(["train", str(data), "--model", str(tiny_bert), "--folds", "4", "--epochs", "2", "--out",
                 str(out)]) == 0
    text = capsys.readouterr()
    assert "warning: --epochs sets the usual path; on small data (40 examples)" in text.err  # said, not dropped
    assert "Estimated by 4-fold cross-validation" in text.out and "±" in text.out
    assert "cross-validated, then every example trains the kept model" in text.err
    assert "Validation (best epoch)" not in text.out
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "estimated by 4-fold cross-validation on 40 examples" in info and "±" in info
    plain = tmp_path / "split-adapter"
    assert main(["train", str(data), "--model", str(tiny_bert), "--small-data", "off", "--epochs", "1",
                 "--out", str(plain)]) == 0
    text = capsys.readouterr()
    assert "Validation (best epoch)" in text.out and "cross-validation" not in text.out
    assert "usual path" not in text.err


def test_small_data_flags_are_checked(capsys):
    assert main(["train", "x.csv", "--folds", "1"]) == 2
    assert "folds" in capsys.readouterr().err


def test_info_names_the_kept_epoch_prints_the_note_and_how_settings_were_set(tmp_path, capsys, trained_adapter):
    """`info` said the scores but not which epoch's they are, nor the run's note (issue 23 walk, item 5)."""
    import shutil

    folder = tmp_path / "kept-early"
    shutil.copytree(trained_adapter.adapter_dir, folder)
    path = folder / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    note = "These are epoch 2.00's numbers, the best epoch and the one saved; the last epoch evaluated (3.00) scored 58%."
    data["training"].update(epochs=3.0, kept_epoch=2.0, note=note,
                            settings={"epochs": "exact", "learning_rate": "automatic", "max_length": "automatic"})
    data["config"].update(epochs=3.0, max_length=None)
    path.write_text(json.dumps(data), encoding="utf-8")
    assert main(["info", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Epochs:     3 trained; the scores are epoch 2's, the one kept" in out
    assert f"Note:       {note}" in out
    assert "Settings:   epochs 3 (exact), learning rate " in out and "max length automatic" in out
