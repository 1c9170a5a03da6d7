"""Issue 26, the core of the label review: out-of-fold probabilities ranked by cleanlab; rows named as the file has
them; bad input gets a sentence; fixes are saved as a new file and the user's file is never written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desktop_app.core.base.errors import DataError
from desktop_app.core.curate import label_review
from desktop_app.core.curate.label_files import LabelFile, reviewed_table
from desktop_app.core.curate.vectors import SentenceVectors
from desktop_app.core.data.dataset import Examples, inspect
from desktop_app.core.model.config import TrainConfig
from tiny_models import toy_examples, toy_multilabel


@pytest.fixture(scope="module")
def vectors(tiny_bert):
    return SentenceVectors(TrainConfig(base_model=str(tiny_bert)))


def _flip(examples, rows):
    labels = list(examples.labels)
    for i in rows:
        labels[i] = "pos" if labels[i] == "neg" else "neg"
    return Examples(examples.texts, labels)


def test_flipped_labels_come_first(vectors):
    """Toy texts whose words say their label: the six flipped rows lead the ranking, with the right suggestion."""
    flipped = [3, 10, 27, 40, 77, 101]
    review = label_review.review_labels(_flip(toy_examples(120), flipped), vectors, folds=5)
    assert set(review.order[:6]) == set(flipped)
    top = {s.index: s for s in review.suspects[:6]}
    assert set(top) == set(flipped)
    for i, suspect in top.items():
        truth = toy_examples(120).labels[i]
        assert suspect.suggested == (truth,) and suspect.given != (truth,) and 0.5 < suspect.score <= 1.0
    assert review.suspects == sorted(review.suspects, key=lambda s: -s.score)  # self-confidence order
    assert len(review.order) == 120 and sorted(review.order) == list(range(120))


def test_out_of_fold_means_a_row_never_judges_itself(monkeypatch):
    """Every fold's models are fitted on the other folds' rows only (each row a vector of its own)."""
    seen = []
    real = label_review.fit_probe

    def spy(features, targets, *args, **kwargs):
        seen.append({row.astype(np.float32).tobytes() for row in features})
        return real(features, targets, *args, **kwargs)
    monkeypatch.setattr(label_review, "fit_probe", spy)
    examples = toy_examples(60)
    found = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    fold = label_review.fold_of(examples, 3, 0)
    label_review.out_of_fold(found, examples.texts, label_review.targets_of(examples, label_review.LabelMap.from_labels(
        examples.labels)), fold, 2, False, lambda e: None, label_review.CancelToken())
    for k, fitted in enumerate(seen):
        held = {found[i].astype(np.float32).tobytes() for i, f in enumerate(fold) if f == k}
        assert not fitted & held and len(fitted) == sum(1 for f in fold if f != k)


def test_rows_are_the_files_data_rows_before_any_is_skipped(vectors, tmp_path):
    """A file with an empty text and a duplicate above the flipped row: its `row` is its place among the data rows
    as read (header excluded), not its place among the examples kept."""
    ex = toy_examples(120)
    rows = [("", "neg"), (ex.texts[0], ex.labels[0])] + list(zip(ex.texts, ex.labels))  # row 0 empty, row 2 a duplicate
    flipped = [30, 61, 90]  # example 30 is the file's data row 32
    for i in flipped:
        rows[i + 2] = (rows[i + 2][0], "pos" if rows[i + 2][1] == "neg" else "neg")
    path = tmp_path / "data.csv"
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(path, index=False)
    _, examples = inspect(path, "text", "label")
    assert examples.rows[:3] == [1, 3, 4]  # row 0: empty text; row 2: a duplicate of row 1
    review = label_review.review_labels(examples, vectors, folds=5)
    assert review.suspects and {s.row for s in review.suspects} & {i + 2 for i in flipped}
    for s in review.suspects:  # the file's row, its text, its place among the examples kept
        assert s.row == examples.rows[s.index] and s.text == rows[s.row][0] and s.given == (rows[s.row][1],)


def test_multi_label_rows_are_reviewed_too(vectors):
    examples = toy_multilabel(150)
    labels = list(examples.labels)
    wrong = [5, 50, 95]
    for i in wrong:
        labels[i] = tuple(n for n in ("praise", "complaint", "story") if n not in labels[i])[:1]
    review = label_review.review_labels(Examples(examples.texts, labels, multi_label=True), vectors, folds=5)
    assert review.multi_label and set(wrong) <= set(review.order[:8])
    first = next(s for s in review.suspects if s.index in wrong)
    assert first.suggested == examples.labels[first.index]


@pytest.mark.parametrize("examples,message", [
    (Examples([], []), "no labelled rows"),
    (Examples([f"text {i}" for i in range(20)], ["spam"] * 20), "same label"),
    (Examples(["a", "b", "c", "d"], ["x", "y", "x", "y"]), "too few"),
    # 2 rows of each of five labels: every row would be judged by models that hardly saw its label
    (Examples([f"text {i}" for i in range(10)], [f"topic {i % 5}" for i in range(10)]), "Too few rows of each label"),
    # one label with enough rows is not enough either: nothing to compare it with
    (Examples([f"text {i}" for i in range(14)], ["big"] * 10 + ["a", "b", "c", "d"]), "Too few rows of each label"),
])
def test_what_cannot_be_reviewed_gets_a_sentence(vectors, examples, message):
    with pytest.raises(DataError, match=message):
        label_review.review_labels(examples, vectors, folds=5)


def test_fixes_go_to_a_new_file_and_the_users_file_is_untouched(tmp_path):
    source = tmp_path / "reviews.csv"
    frame = pd.DataFrame({"id": ["1", "2", "3"], "text": ["a", "b", "c"], "label": ["pos", "neg", "pos"]})
    frame.to_csv(source, index=False)
    before = source.read_bytes()
    (tmp_path / "reviews-reviewed.csv").write_text("someone else's file")
    out = LabelFile.beside(source, "reviewed")
    written = out.write(reviewed_table(frame, {0: ("neg",)}, {1}, "label"))
    assert written == tmp_path / "reviews-reviewed-2.csv" and source.read_bytes() == before
    assert (tmp_path / "reviews-reviewed.csv").read_text() == "someone else's file"
    again = pd.read_csv(written, dtype=str)
    assert again.to_dict("list") == {"id": ["1", "3"], "text": ["a", "c"], "label": ["neg", "pos"]}


def test_a_label_file_changed_by_someone_else_is_not_written_over(tmp_path):
    out = LabelFile.beside(tmp_path / "data.csv", "labelled")
    first = out.write(pd.DataFrame({"text": ["a"], "label": ["x"]}))
    first.write_text("edited in a spreadsheet")
    second = out.write(pd.DataFrame({"text": ["a"], "label": ["y"]}))
    assert first.read_text() == "edited in a spreadsheet" and second != first and "another program" in out.moved[0]
    assert pd.read_csv(second).label.tolist() == ["y"]


def test_the_explaining_model_has_a_head_for_every_label(vectors):
    """Three labels (the head the vectors were read with has two): the classifier predicts as the probe does."""
    from desktop_app.core.curate.vectors import probabilities
    from desktop_app.core.train.probe import fit_probe
    from tiny_models import toy_examples as toy

    examples = toy(90, labels=("a", "b", "c"))
    found = vectors.of(examples.texts)
    targets = np.array([("a", "b", "c").index(x) for x in examples.labels])
    made = vectors.classifier(found, targets, ("a", "b", "c"), False)
    expected = probabilities(*fit_probe(found, targets, 3, False, 0), found[:5], False)
    assert np.allclose(made.predict_proba(examples.texts[:5]), expected, atol=1e-4)


def test_a_model_loaded_in_one_job_answers_to_the_cancel_and_progress_of_the_job_reading_with_it(tiny_bert):
    """A large file's review loads the base model in a timing job, then reads the texts in the review job: Stop
    in the review job must stop the reading, and its progress must go to that job, not to the ended one."""
    from desktop_app.core.base.events import CancelToken, Cancelled, WorkProgress
    from desktop_app.core.curate.vectors import CHUNK

    first_events = []
    vectors = SentenceVectors(TrainConfig(base_model=str(tiny_bert)), first_events.append, CancelToken())
    seen = []
    found = vectors.of(toy_examples(70).texts, emit=seen.append, cancel=CancelToken())
    assert found.shape[0] == 70 and [e for e in seen if isinstance(e, WorkProgress)]
    assert not [e for e in first_events if isinstance(e, WorkProgress)]

    stop, steps = CancelToken(), []

    def emit(event):  # Stop pressed as the first chunk of step 1 is read
        if isinstance(event, WorkProgress) and event.what.startswith("Step 1"):
            steps.append(event.done)
            stop.cancel()
    texts = toy_examples(3 * CHUNK, seed=4)
    with pytest.raises(Cancelled):
        label_review.review_labels(texts, vectors, emit=emit, cancel=stop)
    assert steps == [CHUNK]  # the reading stopped after its first chunk, on the review job's token
