"""Issue 26, the window's Review labels view: the open dataset reviewed off the GUI thread with progress, the
flipped rows listed with the words behind each suggestion, Keep / Fix / Drop / Undo, the result saved as a new file
beside the user's (whose bytes never change) and put in use; bad input gets a sentence; Cancel stops the review."""

from __future__ import annotations

import csv

import pandas as pd
from PySide6.QtCore import Qt

from desktop_app.ui.review_decisions import DROP, FIX, KEEP, ReviewDecisions
from tiny_models import write_toy_csv

FLIPPED = [3, 10, 27, 40, 77, 101]  # data rows whose label is turned into the other one


def _flip(value: str) -> str:
    return "pos" if value == "neg" else "neg"


def _toy_file(tmp_path, flipped=FLIPPED, one_class=False):
    path = write_toy_csv(tmp_path / "reviews.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for i in flipped:
        rows[i + 1][1] = _flip(rows[i + 1][1])
    if one_class:
        for row in rows[1:]:
            row[1] = "pos"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _open(qtbot, window, tiny_bert, path):
    window.configure.add_model("tiny", str(tiny_bert), select=True)
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=60000)


def _review(qtbot, window):
    reviews = window.reviews
    window.dataset.review_button.click()
    qtbot.waitUntil(lambda: reviews.view is not None and not reviews.runner.busy
                    and (reviews.outcome is not None or reviews.view.message.isVisibleTo(reviews.view)
                         or "stopped" in reviews.view.status.text()), timeout=120000)
    return reviews.view


def test_decisions_keep_fix_drop_and_undo():
    class S:  # a Suspect's fields the decisions read
        def __init__(self, row, given):
            self.row, self.given = row, given
    decisions = ReviewDecisions([S(5, ("neg",)), S(9, ("pos",)), S(2, ("neg",))])
    decisions.decide(0, FIX, ("pos",))
    decisions.decide(1, DROP)
    decisions.decide(2, FIX, ("neg",))  # its own label: nothing to change
    assert decisions.fixes() == {5: ("pos",)} and decisions.drops() == {9}
    decisions.decide(1, KEEP)
    assert decisions.drops() == set() and decisions.describe(1) == "Keep"
    assert decisions.undo() == 1 and decisions.drops() == {9}
    assert decisions.undo() == 2 and decisions.undo() == 1 and decisions.undo() == 0
    assert decisions.undo() is None and not decisions.decided and not decisions.can_undo


def test_review_lists_flipped_rows_then_fix_drop_undo_save_and_use(qtbot, window, tiny_bert, tmp_path):
    path = _toy_file(tmp_path)
    before = path.read_bytes()
    _open(qtbot, window, tiny_bert, path)
    view = _review(qtbot, window)
    review = window.reviews.outcome.review
    assert {s.row for s in review.suspects[:6]} == set(FLIPPED)
    assert view.table.rowCount() == len(review.suspects) >= 6
    assert f"120 rows reviewed: {len(review.suspects)} may have the wrong label" in view.status.text()
    first = review.suspects[0]
    assert view.table.item(0, 0).text() == str(first.row + 1)
    assert view.table.item(0, 2).text() == first.given[0] and view.table.item(0, 3).text() == first.suggested[0]
    assert first.suggested == (_flip(first.given[0]),)
    # the first row is selected and explained: the words behind the suggested label
    qtbot.waitUntil(lambda: view.explanation.explanation is not None and not window.reviews.runner.busy,
                    timeout=60000)
    assert view.explanation.explanation.label == first.suggested[0]
    assert view.explanation.explanation.text == first.text
    assert view.fix_label.currentText() == first.suggested[0]  # Fix defaults to the suggestion

    view.fix_button.click()  # suspect 0 fixed to its suggestion; on to suspect 1
    assert view.current() == 1 and view.table.item(0, 5).text() == f"Fix → {first.suggested[0]}"
    view.drop_button.click()  # suspect 1 dropped
    view.keep_button.click()  # suspect 2 kept
    qtbot.keyClick(view, "z", modifier=Qt.KeyboardModifier.ControlModifier)
    assert 2 not in view.decisions.decided and view.current() == 2 and view.table.item(2, 5).text() == ""
    view.undo_button.click()  # the drop taken back too
    assert view.decisions.drops() == set()
    view.table.selectRow(1)
    view.drop_button.click()
    fixed, dropped = review.suspects[0], review.suspects[1]
    assert view.decisions.fixes() == {fixed.row: fixed.suggested} and view.decisions.drops() == {dropped.row}

    qtbot.waitUntil(lambda: not window.reviews.runner.busy, timeout=60000)
    view.resize(1000, 620)
    view.grab().save("/tmp/review_view.png")
    view.save_button.click()
    qtbot.waitUntil(lambda: window.reviews.saved_path is not None, timeout=30000)
    saved = tmp_path / "reviews-reviewed.csv"
    assert window.reviews.saved_path == str(saved) and path.read_bytes() == before
    original, written = pd.read_csv(path, dtype=str), pd.read_csv(saved, dtype=str)
    assert len(written) == len(original) - 1
    expected = original.copy()
    expected.loc[fixed.row, "sentiment"] = fixed.suggested[0]
    expected = expected.drop(index=dropped.row).reset_index(drop=True)
    assert written.equals(expected)
    assert view.use_button.isVisibleTo(view) and "reviews-reviewed.csv" in view.saved.text()

    view.use_button.click()
    qtbot.waitUntil(lambda: window.data_path == str(saved) and not window.tasks.busy, timeout=60000)
    assert len(window.data.examples) == 119 and "now uses reviews-reviewed.csv" in view.saved.text()
    assert path.read_bytes() == before


def test_a_file_with_one_class_gets_a_sentence(qtbot, window, tiny_bert, tmp_path):
    path = _toy_file(tmp_path, flipped=[], one_class=True)
    _open(qtbot, window, tiny_bert, path)
    view = _review(qtbot, window)
    assert view.message.isVisibleTo(view) and "same label" in view.message.text()
    assert "Traceback" not in view.message.text() and view.table.rowCount() == 0
    assert not view.progress_row.isVisibleTo(view) and window.reviews.outcome is None


def test_cancel_stops_the_review(qtbot, window, tiny_bert, tmp_path):
    _open(qtbot, window, tiny_bert, _toy_file(tmp_path))
    window.dataset.review_button.click()
    view = window.reviews.view
    assert view.progress_row.isVisibleTo(view) and view.cancel_button.isEnabled()
    view.cancel_button.click()
    qtbot.waitUntil(lambda: not window.reviews.runner.busy, timeout=60000)
    assert "stopped" in view.status.text() and window.reviews.outcome is None and view.table.rowCount() == 0
    assert not view.progress_row.isVisibleTo(view)


def test_multi_label_rows_are_fixed_with_checkboxes(qtbot, window, tiny_bert, tmp_path):
    from tiny_models import write_toy_multilabel_csv

    path = write_toy_multilabel_csv(tmp_path / "topics.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    wrong = [5, 50, 95]
    for i in wrong:  # a label the text does not name, in place of its own
        frame.loc[i, "labels"] = next(n for n in ("praise", "complaint", "story") if n not in frame.loc[i, "labels"])
    frame.to_csv(path, index=False)
    before = path.read_bytes()
    _open(qtbot, window, tiny_bert, path)
    assert window.data.report.multi_label
    view = _review(qtbot, window)
    review = window.reviews.outcome.review
    assert review.multi_label and view.fix_boxes and not view.fix_label.isVisibleTo(view)
    at = next(i for i, s in enumerate(review.suspects) if s.row in wrong)
    view.table.selectRow(at)
    suspect = review.suspects[at]
    assert tuple(b.text() for b in view.fix_boxes if b.isChecked()) == suspect.suggested
    qtbot.waitUntil(lambda: not window.reviews.runner.busy, timeout=60000)
    view.fix_button.click()
    assert view.decisions.fixes() == {suspect.row: suspect.suggested}
    view.save_button.click()
    qtbot.waitUntil(lambda: window.reviews.saved_path is not None, timeout=30000)
    written = pd.read_csv(window.reviews.saved_path, dtype=str, keep_default_na=False)
    assert written.loc[suspect.row, "labels"] == ";".join(suspect.suggested) and path.read_bytes() == before


def test_a_large_file_is_timed_first_and_a_sample_can_be_reviewed(qtbot, window, tiny_bert, tmp_path, monkeypatch):
    """Above LARGE_REVIEW rows the review first says how long the whole file takes here, and offers a random
    sample; the sample's suspects keep their file rows, and the file is said to be sampled."""
    from desktop_app.ui import review_controller

    monkeypatch.setattr(review_controller, "LARGE_REVIEW", 60)
    asked = []
    monkeypatch.setattr(window.reviews, "ask_sample", lambda rows, seconds: asked.append((rows, seconds)) or "sample")
    path = _toy_file(tmp_path)
    _open(qtbot, window, tiny_bert, path)
    view = _review(qtbot, window)
    qtbot.waitUntil(lambda: window.reviews.outcome is not None, timeout=120000)
    review = window.reviews.outcome.review
    assert asked and asked[0][0] == 120 and asked[0][1] > 0  # the whole file's time, measured
    assert len(review.order) == 60 and "random sample of the file's 120 rows" in view.status.text()
    rows = list(csv.reader(open(path, newline="", encoding="utf-8")))[1:]
    for s in review.suspects:  # the file's rows, whichever were drawn
        assert (s.text, s.given[0]) == (rows[s.row][0], rows[s.row][1])


def test_a_large_file_not_reviewed_when_the_user_cancels(qtbot, window, tiny_bert, tmp_path, monkeypatch):
    from desktop_app.ui import review_controller

    monkeypatch.setattr(review_controller, "LARGE_REVIEW", 60)
    monkeypatch.setattr(window.reviews, "ask_sample", lambda rows, seconds: "")
    _open(qtbot, window, tiny_bert, _toy_file(tmp_path))
    window.dataset.review_button.click()
    qtbot.waitUntil(lambda: "not started" in window.reviews.view.status.text(), timeout=120000)
    assert window.reviews.outcome is None and not window.reviews.runner.busy


def test_a_review_stays_the_one_of_its_file_when_another_dataset_is_opened(qtbot, window, tiny_bert, tmp_path):
    """The view's title names the file reviewed; opening another dataset meanwhile says so in the view, and Save
    still writes the reviewed file's copy (its rows, its name), never the other file's."""
    path = _toy_file(tmp_path)
    _open(qtbot, window, tiny_bert, path)
    view = _review(qtbot, window)
    assert "reviews.csv" in view.windowTitle() and not view.notice.isVisibleTo(view)
    other = tmp_path / "other.csv"
    pd.DataFrame({"text": ["a fine film", "a dull film"] * 20, "label": ["pos", "neg"] * 20}).to_csv(other,
                                                                                                    index=False)
    window.open_dataset(str(other))
    qtbot.waitUntil(lambda: window.data_path == str(other) and not window.tasks.busy, timeout=60000)
    assert "reviews.csv" in view.windowTitle()
    assert view.notice.isVisibleTo(view) and "now other.csv" in view.notice.text()
    suspect = window.reviews.outcome.review.suspects[0]
    qtbot.waitUntil(lambda: not window.reviews.runner.busy, timeout=60000)
    view.table.selectRow(0)
    view.fix_button.click()
    view.save_button.click()
    qtbot.waitUntil(lambda: window.reviews.saved_path is not None, timeout=30000)
    assert window.reviews.saved_path == str(tmp_path / "reviews-reviewed.csv")
    written, original = pd.read_csv(window.reviews.saved_path, dtype=str), pd.read_csv(path, dtype=str)
    assert len(written) == len(original) == 120 and written.loc[suspect.row, "sentiment"] == suspect.suggested[0]
    view.use_button.click()
    qtbot.waitUntil(lambda: window.data_path == window.reviews.saved_path and not window.tasks.busy, timeout=60000)
    assert not view.notice.isVisibleTo(view)


def test_asked_again_the_review_comes_back_with_its_decisions_and_keys_decide(qtbot, window, tiny_bert, tmp_path,
                                                                              monkeypatch):
    """Closing the view and asking again on the same data shows the review made, decisions and all (a review of a
    large file takes minutes); Review again starts anew. K, F and D decide; Save waits for a new decision after a
    save; a review whose models agree with few labels says its suggestions are often wrong."""
    from desktop_app.core.curate import label_review

    monkeypatch.setattr(label_review, "DOUBTFUL_AGREEMENT", 1.01)  # any review counts as doubtful here
    _open(qtbot, window, tiny_bert, _toy_file(tmp_path))
    view = _review(qtbot, window)
    outcome = window.reviews.outcome
    assert view.notice.isVisibleTo(view) and "many suggestions will be wrong" in view.notice.text()
    qtbot.waitUntil(lambda: not window.reviews.runner.busy, timeout=60000)
    first = outcome.review.suspects[0]
    qtbot.keyClick(view.table, Qt.Key.Key_F)
    qtbot.keyClick(view.table, Qt.Key.Key_D)
    qtbot.keyClick(view.table, Qt.Key.Key_K)
    assert view.decisions.fixes() == {first.row: first.suggested}
    assert view.decisions.drops() == {outcome.review.suspects[1].row} and view.decisions.describe(2) == "Keep"
    view.close()
    window.dataset.review_button.click()
    assert view.isVisible() and window.reviews.outcome is outcome and window.reviews.runner.name != "reviewing labels"
    assert view.decisions.fixes() == {first.row: first.suggested} and view.again_button.isVisibleTo(view)

    qtbot.waitUntil(lambda: not window.reviews.runner.busy, timeout=60000)
    view.save_button.click()
    qtbot.waitUntil(lambda: window.reviews.saved_path is not None, timeout=30000)
    assert not view.save_button.isEnabled()  # the same rows again would only be a second copy
    view.table.selectRow(3)
    view.drop_button.click()
    assert view.save_button.isEnabled()

    explaining = window.reviews.runner.busy and window.reviews.runner.name == "explaining"
    view.again_button.click()  # while the next row is explained: the review waits for it, then starts
    assert explaining and "as soon as the explanation" in view.status.text()
    qtbot.waitUntil(lambda: window.reviews.outcome is not None and window.reviews.outcome is not outcome
                    and not window.reviews.runner.busy, timeout=120000)
    assert not view.decisions.decided and view.table.rowCount() == len(window.reviews.outcome.review.suspects)


def test_save_then_review_again_while_a_row_is_explained_saves_and_keeps_the_review(qtbot, window, tiny_bert,
                                                                                    tmp_path):
    """Save waits for the explanation on screen; Review again pressed meanwhile does not drop the save: the file is
    written with the decision, and the review stays until Review again is pressed once more."""
    _open(qtbot, window, tiny_bert, _toy_file(tmp_path))
    view = _review(qtbot, window)
    reviews, outcome = window.reviews, window.reviews.outcome
    qtbot.waitUntil(lambda: not reviews.runner.busy, timeout=60000)
    view.fix_button.click()  # row 0 fixed; row 1 is now being explained
    assert reviews.runner.busy and reviews.runner.name == "explaining"
    view.save_button.click()
    view.again_button.click()
    assert "Saving first" in view.status.text()
    qtbot.waitUntil(lambda: reviews.saved_path is not None and not reviews.runner.busy, timeout=60000)
    written = pd.read_csv(reviews.saved_path, dtype=str)
    first = outcome.review.suspects[0]
    assert written.loc[first.row, "sentiment"] == first.suggested[0] and reviews.outcome is outcome


def test_a_decision_made_while_saving_keeps_save_on(qtbot, window, tiny_bert, tmp_path):
    _open(qtbot, window, tiny_bert, _toy_file(tmp_path))
    view = _review(qtbot, window)
    reviews = window.reviews
    qtbot.waitUntil(lambda: not reviews.runner.busy, timeout=60000)
    view.fix_button.click()
    qtbot.waitUntil(lambda: not reviews.runner.busy, timeout=60000)
    view.save_button.click()
    assert reviews.runner.busy and reviews.runner.name == "saving the reviewed file"
    view.drop_button.click()  # made while the file is written: not in it
    qtbot.waitUntil(lambda: reviews.saved_path is not None and not reviews.runner.busy, timeout=60000)
    assert view.save_button.isEnabled() and "1 fixed, 0 dropped" in view.saved.text()
    qtbot.waitUntil(lambda: view.explanation.explanation is not None, timeout=60000)  # the row chosen meanwhile


def test_review_again_without_a_dataset_and_a_failed_review_leave_no_false_line(qtbot, window, tiny_bert, tmp_path,
                                                                               monkeypatch):
    """Review again with no dataset in use keeps the review shown; a review that failed leaves no notice about
    saving it when another dataset opens; a large file's sample dialog cancelled keeps the review shown."""
    from desktop_app.ui import review_controller

    _open(qtbot, window, tiny_bert, _toy_file(tmp_path))
    view = _review(qtbot, window)
    reviews, outcome = window.reviews, window.reviews.outcome
    qtbot.waitUntil(lambda: not reviews.runner.busy, timeout=60000)
    view.drop_button.click()
    qtbot.waitUntil(lambda: not reviews.runner.busy, timeout=60000)
    monkeypatch.setattr(reviews.workspace, "data", None)
    monkeypatch.setattr(reviews.workspace, "dataset", None)
    view.again_button.click()
    assert "No dataset is in use" in view.status.text() and view.table.rowCount() == len(outcome.review.suspects)
    assert view.decisions.drops() and reviews.outcome is outcome
    monkeypatch.undo()

    monkeypatch.setattr(review_controller, "LARGE_REVIEW", 60)  # Review again on a "large" file, then Cancel
    monkeypatch.setattr(reviews, "ask_sample", lambda rows, seconds: "")
    view.again_button.click()
    qtbot.waitUntil(lambda: "not started" in view.status.text(), timeout=120000)
    assert "review shown is unchanged" in view.status.text() and reviews.outcome is outcome
    assert view.table.rowCount() == len(outcome.review.suspects) and view.decisions.drops()
    monkeypatch.undo()

    one = tmp_path / "one.csv"
    pd.DataFrame({"text": [f"text {i}" for i in range(20)], "label": ["spam"] * 20}).to_csv(one, index=False)
    _open(qtbot, window, tiny_bert, one)
    view.close()  # (offscreen Qt cannot raise a window that is open)
    view = _review(qtbot, window)  # fails: one label
    assert reviews.outcome is None and "same label" in view.message.text()
    other = tmp_path / "other.csv"
    pd.DataFrame({"text": ["a fine film", "a dull film"] * 20, "label": ["pos", "neg"] * 20}).to_csv(other,
                                                                                                    index=False)
    window.open_dataset(str(other))
    qtbot.waitUntil(lambda: window.data_path == str(other) and not window.tasks.busy, timeout=60000)
    assert not view.notice.isVisibleTo(view)
