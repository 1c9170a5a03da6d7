"""Labelling the open file's unlabelled rows (issue 26): a LabellingSession on the GUI thread, its retrains as jobs.

The session (core/curate/labelling.py) saves every label at once to a new file beside the user's; here it is only
driven. The base model's sentence vectors are made once, in a job, and kept while the base model stays the same;
each retrain is a job on a snapshot, so labelling goes on meanwhile, and its result is applied when it comes back.
The text on screen stays the one labelled, whatever order a retrain brings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from ..core.base.errors import DataError, StudioError
from ..core.base.events import WorkProgress
from ..core.curate.labelling import LabellingSession, retrain
from ..core.curate.vectors import SentenceVectors
from ..core.data.columns import guess_columns
from ..core.data.multilabel import LabelSpec
from ..core.data.tables import read_table
from .geometry import show_in_front
from .jobs import heavy_libraries
from .labelling_view import LabellingView
from .runner import Runner


def vectors_job(config):
    """The base model, loaded once for the session: what every retrain reads the texts with."""
    def job(emit, cancel):
        heavy_libraries()
        return SentenceVectors(config, emit, cancel)
    return job


def retrain_job(snapshot, vectors):
    def job(emit, cancel):
        return retrain(snapshot, vectors, emit=emit, cancel=cancel)  # this job's bridge, not the one it was made on
    return job


class LabellingController(QObject):
    def __init__(self, parent, launcher, workspace, datasets, config, panel=None) -> None:
        """`config`: a callable giving the settings in use (their base model reads the texts); `datasets`: what
        opens a file (Use this file); `panel`: the Dataset page, whose `label_requested` starts a session."""
        super().__init__(parent)
        self.parent_widget, self.launcher, self.workspace = parent, launcher, workspace
        self.datasets, self.config = datasets, config
        self.runner = launcher.watch(Runner(self), quiet=True)  # failures are said in the view
        self.runner.event.connect(self._progress)
        self.view: LabellingView | None = None
        self.session: LabellingSession | None = None
        self.shown: int | None = None        # the row on screen
        self.source = ""                     # the file the session labels
        self.data = None                     # its jobs.LoadedData as read when the session began: the dataset in
                                             # use may change meanwhile, the session's rows and name may not
        self.made_before = 0                 # labels the file had when the session started
        self.vectors, self.vectors_key = None, None
        self.more_texts: tuple = ()          # texts of another file, labelled into the new file too
        self.labels: tuple = ()              # the labels the session was begun with
        if panel is not None:
            panel.label_requested.connect(self.start)

    # -- starting ---------------------------------------------------------
    def start(self) -> None:
        """A session on the file in use (its unlabelled rows), in a window of its own; the open one is raised
        when it labels the same file."""
        data, file = self.workspace.data, self.workspace.dataset
        if data is None or file is None:
            return
        if self.view is not None and self.session is not None and self.source == file.path:
            show_in_front(self.view)
            return
        if self.view is not None:
            self.view.close()  # every label it made is on disk already
        self.session, self.shown, self.source, self.data = None, None, file.path, data
        self.view = view = LabellingView(self.parent_widget)
        view.labelled.connect(self.label)
        view.skipped.connect(self.skip)
        view.undone.connect(self.undo)
        view.retrain_every_changed.connect(self._every_changed)
        view.labels_named.connect(self._begin)
        view.use_file_requested.connect(self.use_file)
        view.more_texts_requested.connect(self.add_texts)
        self.more_texts, self.labels = (), ()
        view.set_header(f"Labelling {file.name}")
        view.set_source(file.name)
        view.set_working(False)  # until the labels are known and a session begins
        show_in_front(view)
        labels = tuple(data.report.class_counts)
        if len(labels) < 2 and data.report.text_column:
            view.ask_labels(labels)
            return
        self._begin(labels)

    def _begin(self, labels: tuple) -> None:
        data, view = self.data, self.view
        self.labels = labels
        report = data.report
        multi = report.multi_label
        spec = LabelSpec(multi, report.label_separator, tuple(report.label_columns)) if multi else LabelSpec()
        frame, label_column = data.table.frame, report.label_column
        if label_column is None and not spec.columns:  # a file of texts only: the labels go to a new column
            label_column = "label"
            if label_column not in frame.columns:
                frame = frame.assign(label="")
        try:
            self.session = LabellingSession.start(frame, report.text_column or "", label_column,
                                                  tuple(labels), self.source, multi, spec, self.more_texts,
                                                  retrain_every=view.retrain_every())
        except StudioError as exc:
            # every row labelled: texts of another file can be labelled into the same new file
            view.show_problem(exc.message, exc.hint, more_texts="nothing left to label" in exc.message)
            if self.session is None:
                view.set_working(False)
            return
        view.show_problem("")
        view.set_labels(self.session.labels, multi)
        self.made_before = len(self.session.given)
        self._show_next()
        self._retrain()  # the first texts chosen by a model, as soon as the base is read

    # -- the user's actions -------------------------------------------------
    def _on_screen_first(self) -> None:
        """Whatever a retrain did to the queue, the key pressed acts on the text the user sees."""
        session, shown = self.session, self.shown
        if shown is not None and session.current() != shown and shown not in session.given \
                and shown not in session.skipped:
            session.queue = [shown] + [r for r in session.queue if r != shown]

    def label(self, labels: tuple) -> None:
        session = self.session
        if session is None or session.current() is None:
            return
        self._on_screen_first()
        try:
            session.label(tuple(labels))
        except StudioError as exc:
            self.view.show_problem(exc.message, exc.hint)
            return
        self.view.show_problem("")
        self._show_next()
        if session.due:
            self._retrain()

    def skip(self) -> None:
        if self.session is not None:
            self._on_screen_first()
            self.session.skip()
            self._show_next()

    def undo(self) -> None:
        if self.session is None:
            return
        try:
            self.session.undo()
        except StudioError as exc:
            self.view.show_problem(exc.message, exc.hint)
        self._show_next()

    def add_texts(self, path: str | None = None) -> None:
        """Texts of another file (its text column, guessed) to label, added as rows of the new labelled file."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.view, "Texts to label", str(Path(self.source).parent),
                                                  "Tables (*.csv *.tsv *.txt *.jsonl *.json *.parquet *.xlsx)")
        if not path:
            return
        try:
            table = read_table(path)
            column = guess_columns(table.frame)[0]
            if column is None:
                raise DataError(f"“{Path(path).name}” has no column of texts.", "Choose a file with a text column.")
        except StudioError as exc:
            self.view.show_problem(exc.message, exc.hint, more_texts=True)
            return
        known = set(self.data.examples.texts)
        self.more_texts = tuple(dict.fromkeys(t for t in (str(v).strip() for v in table.frame[column].tolist()
                                                          if v is not None) if t and t not in known))
        self._begin(self.labels)

    def use_file(self) -> None:
        """The labelled file becomes the dataset in use (the Dataset page reads it)."""
        if self.session is not None and self.session.out.path.exists():
            self.datasets.open(str(self.session.out.path))
            self.view.close()

    def _every_changed(self, n: int) -> None:
        if self.session is not None:
            self.session.retrain_every = n
            if self.session.due:
                self._retrain()

    # -- what the view shows --------------------------------------------------
    def _show_next(self) -> None:
        session, view = self.session, self.view
        self.shown = row = session.current()
        view.show_text(None if row is None else session.text(row))
        view.set_can_undo(bool(session.history))
        total = sum(1 for r in range(len(session.frame)) if session.text(r))
        left = sum(1 for r in session.queue if r not in session.given and r not in session.skipped)
        made = len(session.given) - self.made_before
        view.set_header(f"Labelling {Path(self.source).name}: {len(session.given)} of {total} texts labelled, "
                        f"{left} to go" + (f", {len(session.skipped)} skipped" if session.skipped else "") + ".")
        if session.out.path.exists():
            view.show_saved(" ".join([f"Each label is saved to {session.out.path.name} as you give it ({made} "
                                      "given in this window)."] + session.out.moved))
        if row is not None:
            view.show_done(None)
        elif session.skipped:
            view.show_done(f"Nothing left to label but the {len(session.skipped)} texts you skipped (Ctrl+Z brings "
                           f"them back). The labels are in {session.out.path.name}.")
        else:
            view.show_done(f"Every text has a label now: they are in {session.out.path.name}.")
        if row is None:
            view.use_button.setEnabled(session.out.path.exists())

    # -- the model that chooses the texts ---------------------------------------
    def _retrain(self) -> None:
        """Load the base once, then retrain on a snapshot; labelling goes on while it runs."""
        session = self.session
        if session is None or self.runner.busy:
            return  # asked again when the running job ends
        config = self.config()
        key = (config.base_model, config.max_length)
        if self.vectors is None or self.vectors_key != key:
            self.view.show_model("Reading the base model that chooses the next texts…")
            self.launcher.run(self.runner, "reading the base model", vectors_job(config),
                              lambda made: self._vectors_ready(made, key), self._failed)
            return
        if not session.given:
            self.view.show_model("The texts come in file order until the first labels are given.")
            return
        snapshot = session.retrain_input()
        self.view.show_model(f"Learning from {len(snapshot.texts)} labels…")
        self.launcher.run(self.runner, "choosing the next texts", retrain_job(snapshot, self.vectors),
                          lambda output: self._retrained(session, output), self._failed)

    def _vectors_ready(self, vectors, key) -> None:
        self.vectors, self.vectors_key = vectors, key
        if self.session is not None:
            self.view.show_model("")
            self._retrain()

    def _retrained(self, session, output) -> None:
        if session is not self.session:  # another session began meanwhile
            return
        session.apply(output)
        shown = self.shown
        if shown is not None and shown not in session.given and shown not in session.skipped:
            session.queue = [shown] + [r for r in session.queue if r != shown]  # the text on screen stays
        if output.score is not None:
            self.view.add_score(output.labelled, output.score)
            self.view.show_model(f"Estimated score of the model when it last learned, from {output.labelled} labels: "
                                 f"{output.score:.2f} (macro-F1; it runs low, as the texts it asks are the hardest). "
                                 "The next texts are the ones it is least sure of.")
        else:
            self.view.show_model(f"The next texts are chosen by a model of {output.labelled} labels; the score is "
                                 "drawn once every label has two texts.")
        self._show_next()
        if session.due:  # labels given while it ran
            self._retrain()

    def _failed(self, message: str, hint: str) -> None:
        if self.view is not None:
            self.view.show_model(f"The texts come in file order: {message} {hint}".strip())

    def _progress(self, event) -> None:
        if isinstance(event, WorkProgress) and self.view is not None and event.total:
            self.view.show_model(f"{event.what}: {event.done} of {event.total}…")
