"""Issue 26, part 2, the window's "Label texts" view: one text at a time, labelled by key (a digit or the label's
first letter), Space skips, Ctrl+Z undoes; every label is on disk at once in a new file (the user's never written);
a retrain every N labels, off the GUI thread, adds a point to the score curve; bad input is a sentence."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from tiny_models import toy_examples

from desktop_app.core.base.events import CancelToken
from desktop_app.core.curate.vectors import SentenceVectors
from desktop_app.core.model.config import TrainConfig
from desktop_app.ui import jobs
from desktop_app.ui.labelling_controller import LabellingController
from desktop_app.ui.labelling_view import SCORE, keys_for
from desktop_app.ui.launcher import Launcher
from desktop_app.ui.state import FileId, Workspace


class Datasets:
    """The dataset controller's open(path), recorded."""

    def __init__(self):
        self.opened = []

    def open(self, path, encoding=None):
        self.opened.append(path)
        return True


@pytest.fixture(scope="module")
def vectors(tiny_bert):
    return SentenceVectors(TrainConfig(base_model=str(tiny_bert)))


def _csv(tmp_path, n=40, labelled=10, name="mine.csv", labels=None):
    ex = toy_examples(n)
    given = labels or [l if i < labelled else "" for i, l in enumerate(ex.labels)]
    path = tmp_path / name
    pd.DataFrame({"text": ex.texts, "label": given}).to_csv(path, index=False)
    return path, ex


def _controller(qtbot, tiny_bert, path, vectors=None, report_change=None):
    config = TrainConfig(base_model=str(tiny_bert))
    loaded = jobs.load_data_job(str(path), None, None, config)(lambda e: None, CancelToken())
    if report_change:
        loaded.report = dataclasses.replace(loaded.report, **report_change)
    workspace = Workspace()
    workspace.open_data(FileId.of(path), loaded)
    parent = QWidget()
    qtbot.addWidget(parent)
    controller = LabellingController(parent, Launcher(parent, lambda *a: None), workspace, Datasets(), lambda: config)
    if vectors is not None:  # the base already read: no model load in this test
        controller.vectors, controller.vectors_key = vectors, (config.base_model, config.max_length)
    return controller


def _multi_label_csv(tmp_path):
    """Seven texts, four with label sets (two labels in use), three to label."""
    path = tmp_path / "multi.csv"
    pd.DataFrame({"text": [f"text number {i} of a few words" for i in range(7)],
                  "label": ["red;blue", "blue", "red", "red;blue", "", "", ""]}).to_csv(path, index=False)
    return path


def _idle(qtbot, controller):
    qtbot.waitUntil(lambda: not controller.runner.busy, timeout=120000)


def _saved(controller):
    return pd.read_csv(controller.session.out.path, dtype=str, keep_default_na=False)


def test_keys_are_digits_and_unambiguous_first_letters():
    assert keys_for(("neg", "pos")) == [("1", "n"), ("2", "p")]
    assert keys_for(("pos", "positive", "neg")) == [("1",), ("2",), ("3", "n")]
    assert keys_for(tuple(f"x{i}" for i in range(11)))[9:] == [(), ()]


def test_label_by_digit_and_letter_skip_with_space_undo_with_ctrl_z(qtbot, tmp_path, tiny_bert, vectors):
    path, ex = _csv(tmp_path)
    before = path.read_bytes()
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    view = controller.view
    assert view.isVisible() and [b.text().split()[0] for b in view.buttons] == ["neg", "pos"]
    _idle(qtbot, controller)  # the first choice by a model (10 labels in the file) has landed: no race below

    first = controller.shown
    assert first >= 10 and view.text.text() == ex.texts[first]
    qtbot.keyClick(view, Qt.Key.Key_1)
    assert _saved(controller).label[first] == "neg"  # on disk at once, in the new file
    assert controller.session.out.path.name == "mine-labelled.csv"
    assert "saved to mine-labelled.csv as you give it (1 given in this window)" in view.saved.text()

    second = controller.shown
    assert second not in (None, first)
    qtbot.keyClick(view, "p")
    assert _saved(controller).label[second] == "pos"

    third = controller.shown
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert controller.shown not in (third, None) and _saved(controller).label[third] == ""
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert controller.shown == third  # the skip taken back
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert controller.shown == second and _saved(controller).label[second] == ""  # the label taken back, on disk
    assert path.read_bytes() == before  # the user's file is never written
    _idle(qtbot, controller)


def test_a_retrain_every_n_labels_adds_a_point_to_the_curve(qtbot, tmp_path, tiny_bert):
    path, ex = _csv(tmp_path)
    controller = _controller(qtbot, tiny_bert, path)  # the base model read in a job, kept for the session
    controller.start()
    view = controller.view
    view.every.setValue(3)
    _idle(qtbot, controller)  # the base read, then a first retrain on the file's 10 labels
    assert controller.vectors is not None
    assert [x for x, _ in view.chart.series[SCORE]] == [10]
    for _ in range(3):
        row = controller.shown
        qtbot.keyClick(view, "n" if ex.labels[row] == "neg" else "p")
    qtbot.waitUntil(lambda: [x for x, _ in view.chart.series[SCORE]] == [10, 13], timeout=120000)
    assert all(0.0 <= y <= 1.0 for _, y in view.chart.series[SCORE])
    assert "13 labels" in view.model_line.text()
    view.grab().save("/tmp/labelling_view.png")
    _idle(qtbot, controller)


def test_a_kill_keeps_every_label_made_so_far(qtbot, tmp_path, tiny_bert, vectors):
    path, ex = _csv(tmp_path)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    made = {}
    for key in ("1", "2", "2", "1", "p"):
        made[controller.shown] = {"1": "neg", "2": "pos", "p": "pos"}[key]
        qtbot.keyClick(controller.view, key)
    _idle(qtbot, controller)
    out = controller.session.out.path
    shiboken6.delete(controller.view)  # gone without any close handler, as a kill leaves it
    saved = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(saved.text) == ex.texts
    for row in range(len(ex.texts)):
        assert saved.label[row] == made.get(row, ex.labels[row] if row < 10 else "")


def test_nothing_left_says_so_and_offers_the_labelled_file(qtbot, tmp_path, tiny_bert, vectors):
    path, _ = _csv(tmp_path, n=14, labelled=12)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    view = controller.view
    qtbot.keyClick(view, "n")
    qtbot.keyClick(view, "p")
    assert controller.shown is None and view.done_box.isVisible() and not view.accepting
    assert "Every text has a label now" in view.done_note.text()
    view.use_button.click()
    assert controller.datasets.opened == [str(controller.session.out.path)]
    _idle(qtbot, controller)


def test_a_file_with_nothing_to_label_or_no_text_column_shows_a_sentence(qtbot, tmp_path, tiny_bert, vectors):
    path, _ = _csv(tmp_path, n=12, labelled=12)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    assert controller.session is None and controller.view.problem.isVisible()
    assert "nothing left to label" in controller.view.problem.text()

    path, _ = _csv(tmp_path, name="other.csv")
    controller = _controller(qtbot, tiny_bert, path, vectors, {"text_column": "body"})
    controller.start()
    assert controller.session is None and "There is no text column “body”" in controller.view.problem.text()
    assert "Traceback" not in controller.view.problem.text()


def test_a_file_without_two_labels_asks_for_their_names(qtbot, tmp_path, tiny_bert, vectors):
    path, _ = _csv(tmp_path, n=12, labels=[""] * 12)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    view = controller.view
    assert view.naming.isVisible() and controller.session is None
    view.names.setText("good, bad")
    view.names.returnPressed.emit()
    assert controller.session is not None and not view.naming.isVisible()
    qtbot.keyClick(view, "b")
    assert _saved(controller).label[0] == "bad"
    _idle(qtbot, controller)


def test_multi_label_ticks_boxes_by_key_and_enter_confirms(qtbot, tmp_path, tiny_bert, vectors):
    controller = _controller(qtbot, tiny_bert, _multi_label_csv(tmp_path), vectors)
    controller.start()
    view = controller.view
    assert view.multi_label and [b.text().split()[0] for b in view.boxes] == ["blue", "red"]
    row = controller.shown
    qtbot.keyClick(view, "r")
    qtbot.keyClick(view, "1")
    assert [box.isChecked() for box in view.boxes] == [True, True]
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert set(_saved(controller).label[row].split(";")) == {"red", "blue"}
    _idle(qtbot, controller)


def test_the_dataset_page_button_opens_the_view_on_the_file_in_use(qtbot, settings, tmp_path, tiny_bert, vectors,
                                                                    monkeypatch):
    from desktop_app.ui.main_window import MainWindow

    monkeypatch.setattr(jobs, "warm_up_job", lambda: (lambda emit, cancel: {"devices": [], "cached": []}))
    win = MainWindow(settings=settings, runs_dir=tmp_path / "runs")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.warmed_up, timeout=10000)
    path, _ = _csv(tmp_path)
    config = TrainConfig(base_model=str(tiny_bert))
    win.workspace.open_data(FileId.of(path), jobs.load_data_job(str(path), None, None, config)(lambda e: None,
                                                                                               CancelToken()))
    win.labelling.config = lambda: config
    win.labelling.vectors, win.labelling.vectors_key = vectors, (config.base_model, config.max_length)
    with qtbot.waitSignal(win.dataset.label_requested):
        win.dataset.label_button.click()
    assert win.labelling.view.isVisible() and win.labelling.session is not None
    assert win.labelling.runner in win.runners  # shut down with the window
    _idle(qtbot, win.labelling)
    for r in win.runners:
        r.shutdown()


def test_a_key_labels_the_text_on_screen_whatever_a_retrain_did_to_the_queue(qtbot, tmp_path, tiny_bert, vectors):
    path, ex = _csv(tmp_path)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    _idle(qtbot, controller)
    view, session = controller.view, controller.session
    on_screen = controller.shown
    other = next(r for r in session.queue if r != on_screen and r not in session.given)
    session.queue = [other] + [r for r in session.queue if r != other]  # as a late retrain could leave it
    qtbot.keyClick(view, Qt.Key.Key_2)
    assert session.given.get(on_screen) == ("pos",) and other not in session.given
    assert _saved(controller).label[on_screen] == "pos"


def test_a_fully_labelled_file_can_take_texts_of_another_file(qtbot, tmp_path, tiny_bert, vectors):
    """Every row has a label: the view says so and offers another file's texts, which become rows of the new
    labelled file (the user's two files untouched)."""
    path, ex = _csv(tmp_path, labelled=40)
    pool_ex = toy_examples(30, seed=7)
    pool = tmp_path / "more.csv"
    pd.DataFrame({"id": range(30), "body": pool_ex.texts}).to_csv(pool, index=False)
    before, pool_before = path.read_bytes(), pool.read_bytes()
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    view = controller.view
    assert "nothing left to label" in view.problem.text() and view.more_texts.isVisibleTo(view)
    controller.add_texts(str(pool))
    _idle(qtbot, controller)
    assert not view.more_texts.isVisibleTo(view) and controller.shown >= 40
    shown_text = view.text.text()
    qtbot.keyClick(view, Qt.Key.Key_1)
    saved = _saved(controller)
    new = list(dict.fromkeys(t for t in pool_ex.texts if t not in ex.texts))  # texts labelled already are left out
    assert len(new) >= 25 and len(saved) == 40 + len(new) and list(saved.text[40:]) == new
    assert saved.label[saved.text == shown_text].tolist() == ["neg"]
    assert path.read_bytes() == before and pool.read_bytes() == pool_before


def test_another_dataset_opened_meanwhile_does_not_change_what_the_session_labels(qtbot, tmp_path, tiny_bert,
                                                                                    vectors):
    """The session labels the file it began on: a dataset opened in the window afterwards (the view left open) does
    not slip its rows into that file's labelled copy, nor its texts into the 'already labelled' check."""
    path, ex = _csv(tmp_path, labelled=40)
    other_ex = toy_examples(24, seed=5)
    other = tmp_path / "other.csv"
    pd.DataFrame({"text": other_ex.texts, "label": other_ex.labels}).to_csv(other, index=False)
    pool_ex = toy_examples(30, seed=7)
    pool = tmp_path / "more.csv"
    pd.DataFrame({"body": pool_ex.texts}).to_csv(pool, index=False)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    config = TrainConfig(base_model=str(tiny_bert))
    controller.workspace.open_data(FileId.of(other), jobs.load_data_job(str(other), None, None, config)(
        lambda e: None, CancelToken()))
    controller.add_texts(str(pool))
    _idle(qtbot, controller)
    qtbot.keyClick(controller.view, Qt.Key.Key_1)
    saved = _saved(controller)
    assert controller.session.out.path.name == "mine-labelled.csv"
    new = list(dict.fromkeys(t for t in pool_ex.texts if t not in ex.texts))
    assert list(saved.text[:40]) == ex.texts[:40] and list(saved.text[40:]) == new
    assert "Labelling mine.csv" in controller.view.header.text()


def test_keys_typed_as_the_window_opens_label_the_text_not_the_retrain_box(qtbot, tmp_path, tiny_bert, vectors):
    """A real keyboard sends keys to the widget with focus. As the window opens that is the window itself, never
    the "Retrain every" box (a 3 once went there and made it 310); after the box is edited, Enter gives the keys
    back to the labels."""
    from PySide6.QtWidgets import QApplication

    path, ex = _csv(tmp_path)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    view = controller.view
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5000)
    _idle(qtbot, controller)
    assert "mine.csv" in view.windowTitle()
    first = controller.shown
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_2)
    assert view.every.value() == 10 and _saved(controller).label[first] == "pos"
    view.every.setFocus()  # the user clicks into the box, types 5 and presses Enter
    qtbot.keyClick(view.every, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(view.every, "5")
    qtbot.keyClick(view.every, Qt.Key.Key_Return)
    assert view.every.value() == 5 and controller.session.retrain_every == 5
    second = controller.shown
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_1)
    assert _saved(controller).label[second] == "neg"
    _idle(qtbot, controller)


def test_with_nothing_to_label_only_the_sentence_and_its_button_show(qtbot, tmp_path, tiny_bert, vectors):
    path, ex = _csv(tmp_path, labelled=40)
    controller = _controller(qtbot, tiny_bert, path, vectors)
    controller.start()
    view = controller.view
    assert view.problem.isVisibleTo(view) and view.more_texts.isVisibleTo(view)
    assert not view.scroll.isVisibleTo(view) and not view.chart.isVisibleTo(view)
    assert not view.undo_button.isEnabled() and not view.skip_button.isEnabled()


def test_enter_in_the_retrain_box_sets_it_and_never_confirms_a_multi_label_text(qtbot, tmp_path, tiny_bert, vectors):
    controller = _controller(qtbot, tiny_bert, _multi_label_csv(tmp_path), vectors)
    controller.start()
    view = controller.view
    given = []
    view.labelled.connect(given.append)
    view.every.setFocus()
    qtbot.keyClick(view.every, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(view.every, "3")
    qtbot.keyClick(view.every, Qt.Key.Key_Return)
    assert view.every.value() == 3 and given == [] and _saved_or_none(controller) is None
    _idle(qtbot, controller)


def _saved_or_none(controller):
    return _saved(controller) if controller.session.out.path.exists() else None
