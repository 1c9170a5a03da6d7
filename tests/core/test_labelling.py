"""Issue 26, the core of the labelling loop: rows with an empty label are asked one at a time, chosen by the model
(uncertain and diverse), every label is saved at once as a new file, undo and skip, a retrain on a snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desktop_app.core.base.errors import DataError
from desktop_app.core.curate import labelling, next_texts
from desktop_app.core.curate.vectors import SentenceVectors
from desktop_app.core.model.config import TrainConfig
from tiny_models import toy_examples


@pytest.fixture(scope="module")
def vectors(tiny_bert):
    return SentenceVectors(TrainConfig(base_model=str(tiny_bert)))


def _table(tmp_path, labelled=10, n=60):
    ex = toy_examples(n)
    frame = pd.DataFrame({"text": ex.texts, "label": [l if i < labelled else "" for i, l in enumerate(ex.labels)]})
    source = tmp_path / "mine.csv"
    frame.to_csv(source, index=False)
    return frame, source, ex


def test_label_skip_undo_and_every_label_on_disk_at_once(tmp_path):
    frame, source, ex = _table(tmp_path)
    before = source.read_bytes()
    session = labelling.LabellingSession.start(frame, "text", "label", ("neg", "pos"), str(source))
    first = session.current()
    assert first is not None and first >= 10  # an unlabelled row
    session.label(("pos",))
    saved = pd.read_csv(session.out.path, dtype=str, keep_default_na=False)
    assert saved.label[first] == "pos" and session.out.path.name == "mine-labelled.csv"
    assert source.read_bytes() == before  # the user's file is never written
    second = session.current()
    session.skip()
    assert session.current() not in (first, second)
    assert session.undo() == second and session.current() == second  # the skip taken back
    assert session.undo() == first and session.current() == first  # the label taken back, and off the disk too
    assert pd.read_csv(session.out.path, dtype=str, keep_default_na=False).label[first] == ""
    assert session.undo() is None


def test_a_retrain_is_due_every_n_labels_and_its_queue_skips_what_was_labelled_meanwhile(tmp_path, vectors):
    frame, source, ex = _table(tmp_path)
    session = labelling.LabellingSession.start(frame, "text", "label", ("neg", "pos"), str(source), retrain_every=3)
    for _ in range(3):
        assert not session.due
        row = session.current()
        session.label((ex.labels[row],))
    assert session.due
    snapshot = session.retrain_input()
    assert not session.due and len(snapshot.texts) == 13 and len(snapshot.pool_rows) == 47
    meanwhile = session.current()
    session.label((ex.labels[meanwhile],))  # labelled while the retrain runs
    out = labelling.retrain(snapshot, vectors, n=10)
    assert out.labelled == 13 and out.score is not None and 0 <= out.score <= 1 and len(out.queue) == 10
    shown = session.current()
    session.apply(out)
    assert session.curve == [(13, out.score)] and meanwhile not in session.queue
    assert session.current() == shown  # a key pressed as the retrain lands labels the text on screen
    session.label((ex.labels[shown],))
    assert session.current() == next(r for r in out.queue if r not in (shown, meanwhile))


def test_the_choice_is_uncertain_and_diverse():
    """Two clear clusters and a band of doubt between them, full of near-duplicates: the choice takes the doubtful
    ones, and not twenty copies of one."""
    rng = np.random.default_rng(0)
    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)
    a, b = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    labelled = unit(np.vstack([a + 0.05 * rng.normal(size=(10, 3)), b + 0.05 * rng.normal(size=(10, 3))]))
    targets = np.array([0] * 10 + [1] * 10)
    sure = unit(np.vstack([a + 0.05 * rng.normal(size=(40, 3)), b + 0.05 * rng.normal(size=(40, 3))]))
    copies = unit(np.tile(a + b, (30, 1)) + 0.001 * rng.normal(size=(30, 3)))  # 30 near-duplicates, all doubtful
    others = unit(np.array([[1, 1, 0.6], [1, 1, -0.6], [0.9, 1.1, 0.0], [1.1, 0.9, 0.3]]))  # doubtful, each different
    pool = np.vstack([sure, copies, others])
    chosen = next_texts.next_texts(labelled, targets, ("a", "b"), pool, 3)
    picked = [c.index for c in chosen]
    assert all(i >= 80 for i in picked)  # none of the sure ones
    assert sum(80 <= i < 110 for i in picked) == 1  # one of the thirty copies, then texts unlike it
    assert chosen == sorted(chosen, key=lambda c: -c.uncertainty)


def test_an_empty_batch_is_empty():
    assert next_texts.diverse_uncertain(np.eye(3), np.ones(3), 0) == []


def test_before_two_labels_are_in_use_the_choice_is_spread_out():
    pool = np.eye(4).repeat(5, axis=0) + 0.01
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    picked = [c.index // 5 for c in next_texts.next_texts(np.zeros((0, 4)), np.zeros(0, int), ("a", "b"), pool, 4)]
    assert sorted(picked) == [0, 1, 2, 3]  # one of each kind


@pytest.mark.parametrize("frame,labels,message", [
    (pd.DataFrame({"body": ["a"], "label": [""]}), ("x", "y"), "no text column"),
    (pd.DataFrame({"text": ["a", "b"], "label": ["x", "y"]}), ("x", "y"), "nothing left to label"),
    (pd.DataFrame({"text": ["a", "b"], "label": ["z", ""]}), ("x", "y"), "not one of the labels"),
    (pd.DataFrame({"text": ["a", "b"], "label": ["", ""]}), ("x",), "at least two labels"),
])
def test_what_cannot_be_labelled_gets_a_sentence(tmp_path, frame, labels, message):
    with pytest.raises(DataError, match=message):
        labelling.LabellingSession.start(frame, "text", "label", labels, str(tmp_path / "f.csv"))


def test_a_real_kill_while_labelling_loses_at_most_the_label_being_made(tmp_path):
    """A process labels rows as fast as it can and is SIGKILLed mid-stream: the new file always parses whole, holds
    every label the process had reported saved, and the user's file is untouched (atomic rewrites)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    frame, source, ex = _table(tmp_path, labelled=0, n=400)
    before = source.read_bytes()
    script = (
        "import sys, pandas as pd\n"
        "from desktop_app.core.curate.labelling import LabellingSession\n"
        f"frame = pd.read_csv({str(source)!r}, dtype=str, keep_default_na=False)\n"
        f"s = LabellingSession.start(frame, 'text', 'label', ('neg', 'pos'), {str(source)!r})\n"
        "n = 0\n"
        "while s.current() is not None:\n"
        "    row = s.current(); s.label(('pos' if row % 2 else 'neg',)); n += 1\n"
        "    print(row, flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    done = []
    deadline = time.monotonic() + 120
    while len(done) < 25 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        done.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(done) >= 25, "the labelling process did not get going"
    saved = pd.read_csv(tmp_path / "mine-labelled.csv", dtype=str, keep_default_na=False)
    assert list(saved.columns) == ["text", "label"] and len(saved) == 400  # whole, never half a file
    assert all(saved.label[r] == ("pos" if r % 2 else "neg") for r in done)  # every label reported saved is there
    labelled = saved.label != ""
    assert labelled.sum() in (len(done), len(done) + 1)  # at most the one being made when the kill came
    assert source.read_bytes() == before
