"""Step 3: start/stop, live progress and charts, the log, then the results and the run history."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
                               QPlainTextEdit, QProgressBar, QPushButton, QSplitter, QStackedWidget, QTableView,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ...core.artifacts.manifest import read_manifest
from ...core.base import events as ev
from ...core.base.errors import StudioError
from ...formatting import clock
from ..widgets.charts import LineChart
from ..widgets.confusion import ConfusionMatrixView
from ..widgets.flow_layout import FlowLayout
from ..widgets.label_errors import LabelErrorsView
from . import label_results, score_text
from .curve_box import CurveBox
from .history_panel import HistoryPanel

IDLE_STATS = "Step – · Epoch – · Elapsed – · Remaining –"
LOSS, SMALL_LOSS = "Training loss", "Training loss (each fold's model, then the kept one)"
NO_EPOCH_SCORES = ("Small data: no score per epoch. Cross-validation estimates it, and the Results tab shows it "
                   "when the run ends.")
READY = "Ready: press Start training."
WAITING = "Ready when your data is."


class TrainingPanel(QWidget):
    start_requested = Signal()
    stop_requested = Signal()
    stop_keep_best_requested = Signal()  # "Stop and keep the best epoch": runner.cancel(keep_best=True)
    export_requested = Signal()
    elsewhere_requested = Signal()  # "Train elsewhere…": a job folder for a GPU machine (core/job.py)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.small_run = False     # the run shown cross-validates (small-data path): no per-epoch scores
        self.shown_result = None   # the result on the Results tab; None once reset for another run or data
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>3 · Train</h2>"))
        controls = FlowLayout()  # a narrow window wraps the buttons onto a second row instead of cutting them
        self.start_button = QPushButton("Start training")
        self.start_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("Stop now and keep nothing; the previous model (if any) is unchanged.")
        self.keep_best_button = QPushButton("Stop and keep the best epoch")
        self.keep_best_button.setEnabled(False)
        self.keep_best_button.setToolTip("Stop now and save the best epoch evaluated so far, labelled as a "
                                         "stopped run (needs at least one finished epoch).")
        self.export_button = QPushButton("Export adapter…")
        self.export_button.setEnabled(False)
        self.elsewhere_button = QPushButton("Train elsewhere…")
        self.elsewhere_button.setToolTip("Write a job folder (your data as used, these settings and the commands) "
                                         "to train on a GPU machine or several, with torchrun.")
        self.elsewhere_button.clicked.connect(self.elsewhere_requested)
        self.start_button.clicked.connect(self.start_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.keep_best_button.clicked.connect(self.stop_keep_best_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.state_label = QLabel(WAITING)
        self.state_label.setWordWrap(True)  # a long outcome wraps instead of widening the window
        for button in (self.start_button, self.stop_button, self.keep_best_button, self.elsewhere_button,
                       self.export_button):
            controls.addWidget(button)
        layout.addLayout(controls)
        layout.addWidget(self.state_label)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        layout.addWidget(self.progress)
        self.stats = QLabel(IDLE_STATS)
        layout.addWidget(self.stats)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._live_tab(), "Live")
        self.tabs.addTab(self._results_tab(), "Results")
        self.tabs.addTab(self._history_tab(), "Run history")
        layout.addWidget(self.tabs, 1)

    def _live_tab(self) -> QWidget:
        page = QSplitter(Qt.Orientation.Vertical)
        charts = QWidget()
        row = QHBoxLayout(charts)
        self.loss_chart = LineChart(LOSS, "step")
        self.metric_chart = LineChart("Validation", "epoch", y_range=(0.0, 1.0))
        row.addWidget(self.loss_chart)
        row.addWidget(self.metric_chart)
        page.addWidget(charts)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(5000)
        page.addWidget(self.log)
        page.setStretchFactor(0, 3)
        page.setStretchFactor(1, 1)
        return page

    def _results_tab(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        self.summary = QLabel("Results appear here when a run finishes.")
        self.summary.setWordWrap(True)
        self.curve_box = CurveBox()  # shown after a small-data run only
        head = QVBoxLayout()
        head.addWidget(self.summary)
        head.addWidget(self.curve_box)
        grid.addLayout(head, 0, 0, 1, 2)
        self.per_class_box = per_class_box = QGroupBox("Per class")
        box_layout = QVBoxLayout(per_class_box)
        self.per_class = QTableWidget(0, 5)
        self.per_class.setHorizontalHeaderLabels(label_results.SINGLE_PER_CLASS)
        self.per_class.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.per_class.verticalHeader().hide()
        box_layout.addWidget(self.per_class)
        grid.addWidget(per_class_box, 1, 0)
        self.matrix_box = matrix_box = QGroupBox(label_results.MATRIX_TITLE)
        matrix_layout = QVBoxLayout(matrix_box)
        self.matrix = ConfusionMatrixView()
        self.matrix.cell_chosen.connect(self.filter_mistakes)
        self.label_errors = LabelErrorsView()  # multi-label runs: each label's errors, in place of the matrix
        self.label_errors.chosen.connect(self.filter_label_errors)
        self.matrix_stack = QStackedWidget()
        self.matrix_stack.addWidget(self.matrix)
        self.matrix_stack.addWidget(self.label_errors)
        matrix_layout.addWidget(self.matrix_stack)
        grid.addWidget(matrix_box, 1, 1)
        self.mistakes_box = mistakes_box = QGroupBox(label_results.MISTAKES_TITLE)
        mistakes_layout = QVBoxLayout(mistakes_box)
        head = QHBoxLayout()
        self.mistake_filter = QLabel("All mistakes, most confident first.")
        self.mistake_filter.setTextFormat(Qt.TextFormat.PlainText)  # label names come from the user's data
        show_all = QPushButton("Show all")
        show_all.clicked.connect(lambda: self.filter_mistakes(None, None))
        head.addWidget(self.mistake_filter, 1)
        head.addWidget(show_all)
        mistakes_layout.addLayout(head)
        self.mistakes_model = QStandardItemModel(0, 4)
        self.mistakes_model.setHorizontalHeaderLabels(label_results.SINGLE_MISTAKES)
        self.mistakes_proxy = _MistakeFilter()
        self.mistakes_proxy.setSourceModel(self.mistakes_model)
        self.mistakes = QTableView()
        self.mistakes.setModel(self.mistakes_proxy)
        self.mistakes.setSortingEnabled(True)
        self.mistakes.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.mistakes.verticalHeader().hide()
        mistakes_layout.addWidget(self.mistakes)
        grid.addWidget(mistakes_box, 2, 0, 1, 2)
        grid.setRowStretch(1, 2)
        grid.setRowStretch(2, 3)
        self.results_grid = grid
        return page

    def _history_tab(self) -> QWidget:
        self.history = HistoryPanel()  # its open_requested(str) / deleted(str) signals go to the main window
        return self.history

    # -- fed by the main window -------------------------------------------
    def reset(self, state: str = READY) -> None:
        """A clean page: no charts, log, progress or results of an earlier run or dataset (the history stays).
        The main window calls it when another dataset is loaded; every start calls it too."""
        self.loss_chart.clear()
        self.loss_chart.title = LOSS
        self.metric_chart.clear()
        self.small_run, self.shown_result = False, None
        self.curve_box.clear()
        self.log.clear()
        self.progress.setMaximum(100)
        self.progress.setValue(0)
        self.stats.setText(IDLE_STATS)
        self.state_label.setText(state)
        self.export_button.setEnabled(False)
        self.summary.setText("Results appear here when a run finishes.")
        self.per_class.setRowCount(0)
        self.matrix.set_matrix([], [])
        self.label_errors.set_errors([])
        self.mistakes_model.removeRows(0, self.mistakes_model.rowCount())
        label_results.set_mode(self, False)
        self.filter_mistakes(None, None)
        self.tabs.setCurrentIndex(0)

    def set_idle_state(self, problem: str | None) -> None:
        """Between runs, before any result: say whether Start can be pressed (the gate names the problem)."""
        if self.state_label.text() in (READY, WAITING):
            self.state_label.setText(WAITING if problem else READY)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.keep_best_button.setEnabled(False)  # enabled once an epoch has been evaluated
        if running:
            self.reset("Preparing… (loading the model and your texts)")
        else:  # nothing is kept until a result says so: a plain Stop or a failure keeps no epoch
            self.metric_chart.set_kept(None)
            self._drop_remaining()

    def set_stopping(self) -> None:
        self.stop_button.setEnabled(False)
        self.keep_best_button.setEnabled(False)
        self.state_label.setText("Stopping…")
        self._drop_remaining()

    def _drop_remaining(self) -> None:
        """A time left is only true while the run runs: after Stop or the end it would be stale."""
        text = self.stats.text()
        if " · Remaining " in text:
            kept = [part for part in text.split(" · ") if not part.startswith("Remaining ")]
            self.stats.setText(" · ".join(kept))

    def append_log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def on_event(self, event) -> None:
        if isinstance(event, ev.Started):
            self.progress.setMaximum(event.total_steps)
            label_results.set_mode(self, event.multi_label)
            kinds = f"{len(event.labels)} labels (several per text)" if event.multi_label else \
                f"{len(event.labels)} classes"
            self.small_run = event.validation_examples == 0  # only the small-data path holds nothing out
            if self.small_run:
                self.metric_chart.set_placeholder(NO_EPOCH_SCORES)
                self.loss_chart.title = SMALL_LOSS  # the loss starts again with each model: say why it jumps
                self.state_label.setText(f"Cross-validating on {event.device}: {event.train_examples:,} examples, "
                                         f"{kinds}, max length {event.max_length}.")
                self.append_log(f"Started: {event.total_steps} steps in all (each fold, then the kept model), "
                                f"batch {event.batch_size}.")
            else:
                self.state_label.setText(f"Training on {event.device}: {event.train_examples:,} examples, "
                                         f"{kinds}, max length {event.max_length}.")
                self.append_log(f"Started: {event.total_steps} steps, {event.epochs:g} epochs, "
                                f"batch {event.batch_size}.")
        elif isinstance(event, ev.StepProgress):
            self.progress.setMaximum(event.total_steps)
            self.progress.setValue(event.step)
            speed = f" · {event.samples_per_s:.0f} examples/s" if event.samples_per_s else ""
            # a small run's epoch restarts with each fold's model: the step over all of them says more
            epoch = "" if self.small_run else f" · Epoch {event.epoch:.2f}"
            self.stats.setText(f"Step {event.step}/{event.total_steps}{epoch} · Elapsed "
                               f"{clock(event.elapsed_s)} · Remaining {clock(event.eta_s)}{speed}")
            self.loss_chart.add_point("loss", event.step, event.loss)
        elif isinstance(event, ev.Evaluated) and event.micro_f1 is not None:
            label_results.evaluated(self, event)  # multi-label: micro-F1 first, early stopping follows it
        elif isinstance(event, ev.Evaluated):
            self.metric_chart.add_point("accuracy", event.epoch, event.accuracy)
            self.metric_chart.add_point("macro-F1", event.epoch, event.macro_f1)
            if event.is_best:  # the legend shows the epoch that will be kept, not the last one
                self.metric_chart.set_kept(event.epoch)
            self.keep_best_button.setEnabled(self.stop_button.isEnabled())
            self.append_log(f"Epoch {event.epoch:.2f}: accuracy {event.accuracy:.1%}, macro-F1 {event.macro_f1:.3f}"
                            + ("  ★ best so far" if event.is_best else ""))
        elif isinstance(event, ev.LogLine):
            self.append_log(("⚠ " if event.level == "warning" else "") + event.message)
        elif isinstance(event, ev.ThreadsChanged):  # the header names the thread count in use, as the log does
            head, sep, rest = self.state_label.text().partition(": ")
            if sep and head.startswith("Training on CPU"):
                self.state_label.setText(f"Training on CPU, {event.threads} thread{'s' * (event.threads != 1)}: {rest}")

    def show_outcome(self, text: str) -> None:
        self.state_label.setText(text)

    def show_result(self, result, run_number: int) -> None:
        report = result.validation
        self.export_button.setEnabled(True)
        ended = f"Finished at step {result.steps}"
        if result.status == "stopped":  # the bar keeps the planned steps: a stopped run did not finish
            ended = f"Stopped at step {result.steps} of {self.progress.maximum()}"
        else:
            self.progress.setMaximum(max(1, result.steps))  # early stopping ends before the planned steps
        self.progress.setValue(result.steps)
        # the legend gives the saved weights' record, at the epoch they come from
        self.metric_chart.set_kept(getattr(result, "kept_epoch", None), label_results.kept_values(report))
        estimate = score_text.estimate_of(getattr(result, "estimate", None), report)
        self.small_run = estimate.cross_validated
        fits = f"{estimate.folds + 1} models" if self.small_run else f"epoch {result.epochs:.2f}"
        self.stats.setText(f"{ended} · {fits} · {clock(result.train_seconds)} in all · "
                           f"{result.samples_per_s:.0f} examples/s")
        note = " (stopped early; best epoch kept)" if result.status == "stopped_early" else ""
        if result.status == "stopped":
            note = (f" (stopped by you at epoch {result.stopped_at_epoch or 0:.2f}; best epoch "
                    f"{result.kept_epoch or 0:.2f} kept)")
        label_results.set_mode(self, report.multi_label)
        label_results.set_measured(self, report.multi_label, self.small_run)
        if report.multi_label:
            label_results.show(self, result, report, note, estimate)
        else:
            self._show_single(result, report, note, estimate)
        if getattr(result, "note", ""):  # a number seen while training that differs from these, and why
            self.state_label.setText(f"{self.state_label.text()} {result.note}")
        self.shown_result = result
        if self.small_run:  # "Would more examples help?" makes sense for small data only
            self.curve_box.offer()
        else:
            self.curve_box.clear()
        self.filter_mistakes(None, None)
        self.mistakes.sortByColumn(self.mistakes_model.columnCount() - 1, Qt.SortOrder.DescendingOrder)
        self.tabs.setCurrentIndex(1)
        if result.adapter_dir:
            try:
                self.history.add_manifest(result.adapter_dir.name, read_manifest(result.adapter_dir),
                                          result.adapter_dir)
            except (OSError, StudioError):
                pass  # the run is shown above; the history lists saved runs only

    def _show_single(self, result, report, note: str, estimate) -> None:
        speed = f"{clock(result.train_seconds)} ({result.samples_per_s:.0f} examples/s on {result.device})"
        if estimate.cross_validated:  # the folds' mean ± spread, as the estimate records it
            self.state_label.setText(f"Done{note}: {score_text.cross_validated_scores(estimate, False)} "
                                     "(cross-validated).")
            self.summary.setToolTip(score_text.cross_validated_tip(estimate))
            self.summary.setText(f"{score_text.cross_validated_scores(estimate, False, _bold)} — "
                                 f"{estimate.phrase()} · {estimate.folds + 1} models trained in {speed}")
        else:
            self.state_label.setText(f"Done{note}: accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f}.")
            self.summary.setToolTip("")  # a multi-label run's note does not apply
            self.summary.setText(
                f"<b>Accuracy {report.accuracy:.1%}</b> · <b>macro-F1 {report.macro_f1:.3f}</b> · weighted-F1 "
                f"{report.weighted_f1:.3f} — {estimate.phrase()} · {result.epochs:.1f} epochs in {speed}")
        self.per_class.setRowCount(len(report.per_class))
        for row, c in enumerate(report.per_class):
            for col, value in enumerate([c.label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", f"{c.support:,}"]):
                self.per_class.setItem(row, col, QTableWidgetItem(value))
        self.matrix.set_matrix(report.labels, report.confusion)
        self.mistakes_model.removeRows(0, self.mistakes_model.rowCount())
        for m in report.mistakes:
            conf = QStandardItem(f"{m.confidence:.1%}")
            conf.setData(m.confidence, Qt.ItemDataRole.UserRole)
            text = QStandardItem(m.text)
            text.setToolTip(m.text[:2000])
            self.mistakes_model.appendRow([text, QStandardItem(m.true_label), QStandardItem(m.predicted), conf])

    def add_history_row(self, name: str, manifest, folder=None) -> None:
        """An earlier run (its manifest); with its folder, it can be opened in Predict and deleted."""
        self.history.add_manifest(name, manifest, folder)

    def filter_label_errors(self, label: str, kind: str) -> None:
        """Multi-label: the mistakes where `label` was missed (kind "missed") or wrongly added ("added")."""
        self.mistakes_proxy.set_label_error(label, kind)
        self.mistake_filter.setText(label_results.filter_text(label, kind, self.label_errors.count(label, kind),
                                                              self.mistakes_proxy.rowCount()))

    def filter_mistakes(self, true_label: str | None, predicted: str | None) -> None:
        self.mistakes_proxy.set_pair(true_label, predicted)
        if true_label is None:
            self.matrix.clear_highlight()
            self.label_errors.clear_highlight()
            none = self.per_class.rowCount() and not self.mistakes_model.rowCount()
            every = "example" if self.small_run else "validation example"  # cross-validation scores every row
            self.mistake_filter.setText(f"No mistakes: every {every} was labelled correctly." if none
                                        else label_results.ALL_MISTAKES[self.matrix_stack.currentIndex()])
            return
        count = self.matrix.count(true_label, predicted)
        shown = self.mistakes_proxy.rowCount()
        plural = "example" if count == 1 else "examples"
        if true_label == predicted:
            text = (f"{count} {plural} labelled “{true_label}” {'was' if count == 1 else 'were'} predicted correctly "
                    "(this list shows mistakes only).")
        else:
            listed = "" if count is None or shown >= count else f" (the {shown} most confident are listed)"
            text = f"{count if count is not None else shown} {plural} labelled “{true_label}” predicted as " \
                   f"“{predicted}”{listed}."
        self.mistake_filter.setText(text)


def _bold(text: str) -> str:
    return f"<b>{text}</b>"


HAS_FILTER_CHANGE = hasattr(QSortFilterProxyModel, "beginFilterChange")


class _MistakeFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.pair: tuple[str | None, str | None] = (None, None)
        self.label_error: tuple[str, str] | None = None  # multi-label: (label, "missed" or "added")
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_pair(self, true_label, predicted) -> None:
        self._set_filter((true_label, predicted), None)

    def set_label_error(self, label: str, kind: str) -> None:
        self._set_filter((None, None), (label, kind))

    def _set_filter(self, pair, label_error) -> None:
        if HAS_FILTER_CHANGE:  # Qt 6.10+: invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.pair, self.label_error = pair, label_error
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # the PySide6 floor in pyproject (6.6) has only this
            self.pair, self.label_error = pair, label_error
            self.invalidateFilter()

    def lessThan(self, left, right) -> bool:
        a, b = left.data(Qt.ItemDataRole.UserRole), right.data(Qt.ItemDataRole.UserRole)
        if a is None or b is None:
            return str(left.data()) < str(right.data())
        return a < b

    def filterAcceptsRow(self, row: int, parent) -> bool:
        true_label, predicted = self.pair
        model = self.sourceModel()
        if self.label_error is not None:
            label, kind = self.label_error
            column = label_results.MISSED_COLUMN if kind == "missed" else label_results.ADDED_COLUMN
            return label in (model.index(row, column, parent).data(label_results.NAMES) or [])
        if true_label is None:
            return True
        return model.index(row, 1, parent).data() == true_label and model.index(row, 2, parent).data() == predicted
