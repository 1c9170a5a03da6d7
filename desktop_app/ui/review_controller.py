"""Review labels (issue 26): the open dataset's rows whose label looks wrong, reviewed off the GUI thread on a
runner of its own (a review reads every text with the base model: it must not hold the window's tasks), explained
row by row, and saved as a new file that can become the dataset in use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.base.events import WorkProgress
from ..core.curate import label_review
from ..core.curate.label_review import DEFAULT_FOLDS, sample_of
from ..core.data.multilabel import LabelSpec
from . import jobs
from .geometry import show_in_front
from .review_jobs import estimate_review_job, review_job, save_reviewed_job
from .review_labels import ReviewLabelsView
from .runner import Runner


LARGE_REVIEW = 5000  # rows: above this the time is estimated first and a random sample of this many is offered


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60)):,} minute{'s' if round(seconds / 60) > 1 else ''}" if seconds >= 90 \
        else f"{max(5, round(seconds / 5) * 5)} seconds"


def label_spec_of(report) -> LabelSpec:
    """How the labels were read, as the dataset report says: what a fix is written back as."""
    return LabelSpec(report.multi_label, report.label_separator, tuple(report.label_columns or ()))


class ReviewController(QObject):
    def __init__(self, parent: QWidget, launcher, workspace, config: Callable, open_file: Callable[[str], bool],
                 folds: int = DEFAULT_FOLDS) -> None:
        """config: the settings now (their base model reads the texts); open_file: makes a file the dataset in use."""
        super().__init__(parent)
        self.parent_widget, self.launcher, self.workspace = parent, launcher, workspace
        self.config, self.open_file, self.folds = config, open_file, folds
        self.runner = launcher.watch(Runner(parent), quiet=True)  # failures are shown in the view, not a pop-up
        self.runner.event.connect(self._event)
        self.view: ReviewLabelsView | None = None
        self.reviewed = None      # the workspace's data (jobs.LoadedData) the review shown was made from
        self.reviewed_file = None  # its FileId
        self.outcome = None       # review_jobs.ReviewOutcome
        self.saved_path: str | None = None
        self._pending_explanation: tuple | None = None
        self._pending_save = False  # Save pressed while an explanation ran: done when it ends
        self._pending_again = False  # Review again pressed while an explanation ran: likewise
        self.samples = 0  # large files' samples drawn so far: each review of one draws another
        workspace.subscribe(self._workspace_changed)

    def _ensure_view(self) -> ReviewLabelsView:
        if self.view is None:
            self.view = ReviewLabelsView(self.parent_widget)
            self.view.cancel_requested.connect(self.cancel)
            self.view.explain_requested.connect(self.explain)
            self.view.save_requested.connect(self.save)
            self.view.use_requested.connect(self.use_saved)
            self.view.again_requested.connect(lambda: self.start(again=True))
        return self.view

    # -- the review ---------------------------------------------------------
    def start(self, again: bool = False) -> None:
        """Show the view and review the dataset in use (its examples as training would read them). Asked for
        again on the same data, the review made is shown with its decisions (again: review it anew)."""
        view = self._ensure_view()
        if not again:  # Review again is pressed in the view: it is in front already
            show_in_front(view)
        data, file = self.workspace.data, self.workspace.dataset
        if not again and self.outcome is not None and data is not None and data is self.reviewed:
            return
        if self.runner.busy:
            if again and self._pending_save:  # one thing at a time, and the user's decisions first
                view.set_status("Saving first: press Review again once the file is saved.")
                return
            if again and self.runner.name == "explaining":  # a second or so: the review starts when it ends
                self._pending_again, self._pending_explanation = True, None
                view.set_status("Reviewing again as soon as the explanation on screen is ready…")
                return
            view.set_status(f"Please wait: {self.runner.name} is still running.")
            return
        if data is None or file is None:
            if self.outcome is not None:  # the review shown, and its decisions, stay
                view.set_status("No dataset is in use: open one to review it. The review shown is unchanged.")
                return
            view.show_review(None)
            view.show_message("Open a dataset first: the review reads its texts and labels.")
            return
        if len(data.examples) > LARGE_REVIEW:  # the time first: the user may review a sample
            self._estimate(data, file)
        else:
            self._review(data, file, data.examples)

    def _estimate(self, data, file) -> None:
        """A large file: the base model timed first, then the user chooses a sample, all, or nothing (the review
        shown, if any, stays until a new one starts)."""
        view, examples = self.view, data.examples
        view.show_message("")
        view.set_status(f"Timing the base model on this computer before reviewing {len(examples):,} rows…")
        view.show_progress(0, 0, "Loading the base model…")

        def done(found) -> None:
            vectors, seconds = found
            view.show_progress(None)
            choice = self.ask_sample(len(examples), seconds)
            if choice == "sample":
                self.samples += 1  # another review, another sample
                self._review(data, file, sample_of(examples, LARGE_REVIEW, self.samples), vectors,
                             of_rows=len(examples))
            elif choice == "all":
                self._review(data, file, examples, vectors)
            else:
                view.set_status("Review not started: the review shown is unchanged." if self.outcome is not None
                                else "Review not started: nothing was changed.")

        def cancelled() -> None:
            view.show_progress(None)
            view.set_status("Review not started: the review shown is unchanged." if self.outcome is not None
                            else "Review stopped: nothing was changed.")
        self.launcher.run(self.runner, "timing the review", estimate_review_job(self.config(), examples, self.folds),
                          done, self._failed, cancelled)

    def ask_sample(self, rows: int, seconds: float) -> str:
        """"sample", "all" or "" (cancel): a large file's review takes minutes; a sample shows what is wrong sooner."""
        sample_seconds = seconds * LARGE_REVIEW / rows + 5
        box = QMessageBox(QMessageBox.Icon.Question, "Review labels",
                          f"Reviewing all {rows:,} rows would take about {_minutes(seconds)} on this computer (the "
                          f"base model reads every text once).", QMessageBox.StandardButton.Cancel, self.view)
        box.setInformativeText(f"A random sample of {LARGE_REVIEW:,} rows takes about {_minutes(sample_seconds)} and "
                               "finds the same kinds of mistake; the whole file finds every one.")
        sample = box.addButton(f"Review {LARGE_REVIEW:,} rows", QMessageBox.ButtonRole.AcceptRole)
        whole = box.addButton(f"Review all {rows:,}", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(sample)
        box.exec()
        return {sample: "sample", whole: "all"}.get(box.clickedButton(), "")

    def _review(self, data, file, examples, vectors=None, of_rows: int | None = None) -> None:
        """A review of `examples` (all of `data`'s, or a sample) begins: what the view showed goes."""
        view = self.view
        self.reviewed, self.reviewed_file, self.outcome, self.saved_path = data, file, None, None
        self._pending_explanation = None
        view.set_source(file.name)
        view.show_notice("")
        view.set_again_target("")
        sampled = f" (a random sample of the file's {of_rows:,})" if of_rows else ""
        view.start(f"Reviewing the labels of {len(examples):,} rows of {file.name}{sampled}…")

        def done(outcome) -> None:
            self.outcome = outcome
            review = outcome.review
            view.show_progress(None)
            view.show_review(review)
            view.set_status(self._status_line(review, len(examples)) + (
                f" A random sample of the file's {of_rows:,} rows: Review again for another." if of_rows else ""))
            view.show_message(" ".join(review.notes))
            self._workspace_changed()  # the notice: a caution, if the models agree with too few labels

        def cancelled() -> None:
            view.show_progress(None)
            view.set_status("Review stopped: nothing was changed.")

        if not self.launcher.run(self.runner, "reviewing labels",
                                 review_job(self.config(), examples, self.folds, vectors), done, self._failed,
                                 cancelled):
            self._failed("LoRA Studio is closing.", "")

    def _failed(self, message: str, hint: str) -> None:
        """A review (or its timing) could not be made: the sentence, never a traceback."""
        self.view.show_progress(None)
        self.view.set_status("The labels could not be reviewed.")
        self.view.show_message(message, hint)

    @staticmethod
    def _status_line(review, rows: int) -> str:
        n = len(review.suspects)
        agree = (f"each row was judged by models that had not seen it, and they agree with {review.agreement:.0%} of "
                 "your labels.")
        return (f"{rows:,} rows reviewed: {n:,} may have the wrong label; {agree}" if n else
                f"{rows:,} rows reviewed: none looks mislabelled; {agree}")

    def cancel(self) -> None:
        self.runner.cancel()
        if self.view is not None:
            self.view.cancel_button.setEnabled(False)
            self.view.set_status("Stopping…")

    def _workspace_changed(self) -> None:
        """Another dataset opened (or this one read again) while the view is open: the review stays the one of the
        file it read, and says so; saving still writes that file's reviewed copy."""
        if self.view is None:
            return
        if self.reviewed is None or self.outcome is None:  # no review shown (failed, stopped, or running)
            self.view.show_notice("")
            return
        now, data = self.workspace.dataset, self.workspace.data
        caution = label_review.caution(self.outcome.review)
        self.view.set_again_target("" if data is self.reviewed or now is None else now.name)
        if data is self.reviewed or (now is not None and now.path == self.saved_path):
            self.view.show_notice(caution)  # the same data, or the reviewed copy just put in use
            return
        was = self.reviewed_file.name
        if now is None:
            line = f"This review is of {was}; no dataset is in use now."
        elif now.path == self.reviewed_file.path and now == self.reviewed_file:
            line = (f"{was} was read again (other columns or settings) since this review: Review labels on the "
                    "Dataset page reviews it as read now.")
        elif now.path == self.reviewed_file.path:
            line = (f"{was} changed on disk since this review: saving writes the rows as they were reviewed. "
                    "Review labels on the Dataset page reviews the file as it is now.")
        else:
            line = (f"This review is of {was}; the dataset in use is now {now.name}. Saving writes {was}'s reviewed "
                    f"copy; Review labels on the Dataset page reviews {now.name}.")
        self.view.show_notice(f"{line} {caution}".strip())

    @Slot(object)
    def _event(self, event) -> None:
        if isinstance(event, WorkProgress) and self.view is not None and self.outcome is None:
            self.view.show_progress(event.done, event.total, event.what)

    # -- explanations ---------------------------------------------------------
    def explain(self, at: int, label: str) -> None:
        """The words that drove the suggestion of suspect `at`; the latest request wins while one runs."""
        if self.outcome is None:
            return
        if self.runner.busy:
            self._pending_explanation = (at, label)
            return
        view = self.view
        if self.outcome.classifier is None:
            view.explanation_failed(at, self.outcome.no_explanations)
            return
        text = self.outcome.review.suspects[at].text

        def done(explanation) -> None:
            view.show_explanation(at, explanation)
            self._next_explanation()

        def failed(message: str, hint: str = "") -> None:
            view.explanation_failed(at, message)
            self._next_explanation()
        self.launcher.run(self.runner, "explaining", jobs.explain_job(self.outcome.classifier, text, "fast", label),
                          done, failed, self._next_explanation)

    def _next_explanation(self) -> None:
        if self._pending_again:
            self._pending_again = self._pending_save = False
            self.start(again=True)
            return
        if self._pending_save:  # Save waited for the explanation that was running: it goes first
            self._pending_save = False
            self.save()
            return
        pending, self._pending_explanation = self._pending_explanation, None
        if pending is not None and self.view is not None and pending[0] == self.view.current():
            self.explain(*pending)

    # -- saving -----------------------------------------------------------------
    def save(self) -> None:
        """The reviewed file's table with the fixes, without the dropped rows, as a new file beside it."""
        view, data, file = self.view, self.reviewed, self.reviewed_file
        if view is None or data is None or self.outcome is None:
            return
        if self.runner.busy:
            self._pending_explanation = None
            if self.runner.name == "explaining":  # a second or so: save as soon as it ends
                self._pending_save = True
                if self._pending_again:  # the decisions are kept first; the new review waits for a new press
                    self._pending_again = False
                    view.set_status("Review again waits: saving first. Press it again once the file is saved.")
                view.show_saved("Saving as soon as the explanation on screen is ready…")
            else:
                view.show_saved(f"Please wait: {self.runner.name} is still running; then save again.")
            return
        decisions = view.decisions
        fixes, drops = decisions.fixes(), decisions.drops()
        report = data.report
        job = save_reviewed_job(file.path, data.table.frame, fixes, drops, report.label_column, label_spec_of(report),
                                report.multi_label)

        version = view.changes  # a decision made while the file is written is not in it: Save stays on for it

        def done(path: str) -> None:
            self.saved_path = path
            view.show_saved(f"Saved {Path(path).name} beside {file.name} ({len(fixes)} fixed, {len(drops)} dropped); "
                            f"{file.name} is unchanged.", can_use=True, unchanged=view.changes == version)
            self._next_explanation()  # a row chosen while saving is explained now

        def failed(message: str, hint: str) -> None:
            view.show_saved(f"Not saved: {message} {hint}".strip())
            self._next_explanation()
        self.launcher.run(self.runner, "saving the reviewed file", job, done, failed)

    def use_saved(self) -> None:
        """The file just saved becomes the dataset in use."""
        if self.saved_path and self.open_file(self.saved_path):
            self.view.show_saved(f"LoRA Studio now uses {Path(self.saved_path).name}.")
