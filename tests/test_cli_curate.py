"""Issue 26, the command line: `review-labels` lists the flipped rows first with their file rows; `suggest` lists pool
rows to label next; bad input gets one sentence and no traceback."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from desktop_app.cli import main
from tiny_models import toy_examples


def _labelled(tmp_path, flipped=(), n=120, name="data.csv"):
    ex = toy_examples(n)
    labels = [("pos" if l == "neg" else "neg") if i in flipped else l for i, l in enumerate(ex.labels)]
    frame = pd.DataFrame({"review": ex.texts, "sentiment": labels})
    frame = pd.concat([pd.DataFrame({"review": [""], "sentiment": ["pos"]}), frame], ignore_index=True)  # row 0 skipped
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path, ex


def test_review_labels_writes_the_suspects_most_suspicious_first(tmp_path, tiny_bert, capsys):
    flipped = [4, 33, 71, 100]
    data, ex = _labelled(tmp_path, flipped)
    out = tmp_path / "suspects.csv"
    assert main(["review-labels", str(data), "--folds", "4", "--model", str(tiny_bert), "--out", str(out)]) == 0
    suspects = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(suspects.columns) == ["row", "text", "given", "suggested", "score"]
    top = suspects.head(4)
    assert set(top.row.astype(int)) == {i + 1 for i in flipped}  # the file's data rows: row 0 is the empty one
    for _, s in top.iterrows():
        i = int(s.row) - 1
        assert s.text == ex.texts[i] and s.suggested == ex.labels[i] and s.given != ex.labels[i]
    assert list(suspects.score.astype(float)) == sorted(suspects.score.astype(float), reverse=True)
    said = capsys.readouterr()
    assert "look mislabelled" in said.out and "many suggestions will be wrong" not in said.err  # the toy labels agree


def test_review_labels_says_when_its_suggestions_are_doubtful(tmp_path, tiny_bert, capsys, monkeypatch):
    from desktop_app.core.curate import label_review

    monkeypatch.setattr(label_review, "DOUBTFUL_AGREEMENT", 1.01)  # as if the models agreed with too few labels
    data, _ = _labelled(tmp_path, [4, 33])
    assert main(["review-labels", str(data), "--folds", "4", "--model", str(tiny_bert), "--out",
                 str(tmp_path / "s.csv")]) == 0
    assert "Note: The models agree with only" in capsys.readouterr().err


def test_suggest_lists_pool_rows_to_label_next(tmp_path, tiny_bert):
    data, _ = _labelled(tmp_path, n=30)
    pool_ex = toy_examples(80, seed=5)
    pool = tmp_path / "pool.csv"
    pd.DataFrame({"id": range(81), "body": [""] + pool_ex.texts}).to_csv(pool, index=False)
    out = tmp_path / "next.csv"
    assert main(["suggest", str(data), str(pool), "--n", "7", "--model", str(tiny_bert),
                 "--pool-text-column", "body", "--out", str(out)]) == 0
    chosen = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(chosen.columns) == ["row", "text", "uncertainty"] and len(chosen) == 7
    assert all(pool_ex.texts[int(r) - 1] == t for r, t in zip(chosen.row, chosen.text))
    assert len(set(chosen.row)) == 7 and "0" not in set(chosen.row)


@pytest.mark.parametrize("rows,message", [
    ({"review": ["a", "b", "c"], "sentiment": ["", "", ""]}, "no labelled rows|no usable|label"),
    ({"review": [f"text {i}" for i in range(30)], "sentiment": ["spam"] * 30}, "same label|one label|only one"),
])
def test_review_labels_refuses_what_it_cannot_review_in_a_sentence(tmp_path, tiny_bert, capsys, rows, message):
    data = tmp_path / "bad.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    assert main(["review-labels", str(data), "--model", str(tiny_bert), "--out", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and re.search(message, err, re.I)
    assert not (tmp_path / "s.csv").exists()


def test_suggest_refuses_a_pool_without_its_text_column(tmp_path, tiny_bert, capsys):
    data, _ = _labelled(tmp_path, n=30)
    pool = tmp_path / "pool.csv"
    pd.DataFrame({"id": [1, 2], "body": ["x", "y"]}).to_csv(pool, index=False)
    assert main(["suggest", str(data), str(pool), "--pool-text-column", "text", "--model", str(tiny_bert),
                 "--out", str(tmp_path / "n.csv")]) == 2
    err = capsys.readouterr().err
    assert "no text column named “text”" in err and "Traceback" not in err


def test_the_users_file_is_never_the_output(tmp_path, tiny_bert, capsys):
    data, _ = _labelled(tmp_path, n=30)
    before = data.read_bytes()
    assert main(["review-labels", str(data), "--model", str(tiny_bert), "--out", str(data), "--overwrite"]) == 2
    assert data.read_bytes() == before and "left untouched" in capsys.readouterr().err


def test_review_labels_can_review_a_sample_with_the_files_rows(tmp_path, tiny_bert, capsys):
    data, ex = _labelled(tmp_path, [4, 33, 71, 100])
    out = tmp_path / "suspects.csv"
    assert main(["review-labels", str(data), "--sample", "60", "--model", str(tiny_bert), "--out", str(out)]) == 0
    assert "of 60 rows (a random sample of 120)" in capsys.readouterr().out
    for _, s in pd.read_csv(out, dtype=str, keep_default_na=False).iterrows():
        assert s.text == ex.texts[int(s.row) - 1]  # the file's row (row 0 is the empty one)
