"""The main window: four steps in a sidebar, menus, status bar. It wires panels to controllers (dataset,
batch, exports) that start jobs through one Launcher, and derives every enabled/disabled rule from one
Workspace (ui/state.py), which knows what each result was made from."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
                               QStackedWidget, QWidget)

from ..core.artifacts.runs import saved_runs
from ..core.base.errors import StudioError
from . import data_plan, jobs
from .adapter_files import ask_adapter, ask_for_base, is_adapter
from .auto_estimate import AutoEstimate
from .batch_controller import BatchController
from .dataset_controller import DatasetController
from .dialogs import ask_config_file, save_config_file
from .explanations import Explanations
from .export_controller import ExportController
from .flow import StartGate, StepPage, data_problem, run_config
from .geometry import fit_to_screen
from .help_text import show_getting_started
from .launcher import Launcher
from .labelling_controller import LabellingController
from .learning_curve import LearningCurve
from .live import LivePrediction
from .menus import about_html, build_menus
from .panels.config_panel import ConfigPanel
from .panels.dataset_panel import DatasetPanel
from .panels.inference_panel import InferencePanel
from .panels.training_panel import TrainingPanel
from .places import default_runs_dir
from .review_controller import ReviewController
from .runner import Runner
from .settings import Settings
from .shortcuts import install_for_steps as install_shortcuts
from .state import Workspace
from .widgets.drop_zone import first_local_file

STEPS = ["Dataset", "Configure", "Train", "Predict"]


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, runs_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.runs_dir = runs_dir or default_runs_dir()
        self.workspace = Workspace()  # what is open, and what each result was made from: the one owner
        self.run_count = 0
        self.start_waiting = False  # Start was pressed while the time estimate or learning curve stops
        self.warmed_up = False  # heavy libraries imported and devices known
        self.trainer, self.tasks, self.batch, self.live, self.warm, self.estimator, self.curve_runner = (
            Runner(self) for _ in range(7))
        self.launcher = Launcher(self, self.statusBar().showMessage)
        self.runners = (self.trainer, self.tasks, self.batch, self.live, self.warm, self.estimator, self.curve_runner)
        for runner in self.runners:  # the quiet ones' failures are shown where they belong, no pop-up
            self.launcher.watch(runner, quiet=runner in (self.live, self.warm, self.estimator, self.curve_runner))
        self.launcher.busy_changed.connect(self._update_status)
        self.live_prediction = LivePrediction(self.live, lambda *job: self.launcher.run(*job),
                                              lambda: [self.inference.text.toPlainText().strip()],
                                              lambda p, e: self.inference.show_prediction(p, e),
                                              lambda: self.workspace.classifier)
        self.trainer.event.connect(self._training_event)
        self.trainer.busy_changed.connect(self._update_status)
        self.tasks.busy_changed.connect(self._update_status)
        self.curve_runner.busy_changed.connect(self._update_status)
        self.trainer.busy_changed.connect(self._training_busy)

        self.dataset, self.configure = DatasetPanel(), ConfigPanel()
        self.training, self.inference = TrainingPanel(), InferencePanel()
        self.pages = QStackedWidget()
        nexts = ("Next: Configure ›", "Start training ›", "Next: Predict ›", None)
        self.step_pages = [StepPage(panel, text) for panel, text in
                           zip((self.dataset, self.configure, self.training, self.inference), nexts)]
        for i, page in enumerate(self.step_pages):
            self.pages.addWidget(page)
            page.next_button.clicked.connect(lambda _=False, n=i + 1: self.steps.setCurrentRow(n))
        self.step_pages[1].next_button.clicked.connect(lambda: self.start_training())  # configured: train
        self.start_gate = StartGate(self.training.start_button)
        self.datasets = DatasetController(self, self.launcher, self.tasks, self.workspace, self.dataset,
                                          self.configure, self.settings)
        self.datasets.opened.connect(self._dataset_opened)
        self.datasets.changed.connect(self._data_changed)
        self.reviews = ReviewController(self, self.launcher, self.workspace, self.configure.config, self.datasets.open)
        self.runners += (self.reviews.runner,)  # shut down with the others when the window closes
        self.dataset.review_requested.connect(self.reviews.start)
        self.labelling = LabellingController(self, self.launcher, self.workspace, self.datasets, self.configure.config,
                                             self.dataset)  # Label texts…: the rows without a label, one at a time
        self.runners += (self.labelling.runner,)
        self.batches = BatchController(self, self.launcher, self.tasks, self.batch, self.workspace, self.inference,
                                       self.settings)
        self.exports = ExportController(self, self.launcher, self.tasks, self.workspace, self.config_for_run,
                                        lambda: self.dataset.selection()["validation_path"])
        self.estimate = AutoEstimate(self, self.launcher, self.estimator, self.workspace, self.dataset, self.configure,
                                     (self.trainer, self.curve_runner))
        self.curve = LearningCurve(self, self.launcher, self.curve_runner, self.training, self.trainer)
        self.steps = QListWidget()
        self.steps.setFixedWidth(170)
        self.steps.setStyleSheet("QListWidget { font-size: 14px; } QListWidget::item { padding: 10px 6px; }")
        for i, name in enumerate(STEPS):
            QListWidgetItem(f"{i + 1}  {name}", self.steps)
        self.steps.currentRowChanged.connect(self.pages.setCurrentIndex)
        central = QWidget()
        row = QHBoxLayout(central)
        row.addWidget(self.steps)
        row.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)
        self.recent_menu, self.export_action, self.onnx_action = build_menus(self)
        self.base_request = None  # the open "Base model needed" box of a shared adapter, if any
        self.device_label, self.job_label = QLabel("Device: detecting…"), QLabel("Ready")
        self.statusBar().addPermanentWidget(self.job_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self._connect_panels()
        self.explanations = Explanations(self, self.launcher, self.tasks, self.workspace, self.inference,
                                         self.training)  # why a label: typed text, mistakes, batch rows
        self.workspace.subscribe(self._apply_state)
        last = self.settings.last_config()
        if last is not None:
            self.configure.set_config(last)
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1200, 780)
        fit_to_screen(self)  # a size remembered on a larger screen, or at another scale factor, fits this one
        install_shortcuts(self, self.pages, [p.next_button for p in self.step_pages], self.training.start_button,
                          self.inference.run_batch, self.training.stop_button)
        self.steps.setCurrentRow(0)
        self._update_title()
        self._apply_state()
        self._load_run_history()
        QTimer.singleShot(0, self._warm_up)  # heavy imports after the first paint

    # -- construction -----------------------------------------------------
    def _connect_panels(self) -> None:
        d, c, t, i = self.dataset, self.configure, self.training, self.inference
        d.split_changed.connect(self._split_changed)
        c.browse_model_requested.connect(self._browse_model)
        c.estimate_requested.connect(self.estimate.start)
        self.estimate.device_in_use.connect(self._device_in_use)
        c.changed.connect(self.estimate.request)
        c.changed.connect(self._update_plan)
        t.start_requested.connect(self.start_training)
        t.stop_requested.connect(self.stop_training)
        t.stop_keep_best_requested.connect(lambda: self.stop_training(keep_best=True))
        t.history.open_requested.connect(self.load_adapter)
        t.history.deleted.connect(self._run_deleted)
        t.export_requested.connect(lambda: self.exports.export_dialog("run"))
        t.elsewhere_requested.connect(self.exports.train_elsewhere_dialog)
        i.load_adapter_requested.connect(self.load_adapter_dialog)
        i.predict_requested.connect(self.predict_text)

    # -- what the window shows, from the workspace --------------------------
    # read-only views of the Workspace (tests and the helpers read them); it alone is written
    data = property(lambda self: self.workspace.data)
    data_path = property(lambda self: self.workspace.dataset.path if self.workspace.dataset else None)
    classifier = property(lambda self: self.workspace.classifier)
    result = property(lambda self: self.workspace.run.value if self.workspace.run else None)
    batch_result = property(lambda self: (lambda b: b.value if b else None)(self.workspace.batch_to_save()))

    def _update_status(self, *_args) -> None:
        busy = [r.name for r in (self.trainer, self.tasks, self.batch, self.curve_runner) if r.busy]
        self.job_label.setText("Working: " + ", ".join(busy) if busy else "Ready")

    def _update_title(self) -> None:
        name = Path(self.data_path).name if self.data_path else None
        self.setWindowTitle(f"LoRA Studio — {name}" if name else "LoRA Studio")

    def _apply_state(self) -> None:
        """Every enabled/disabled rule, from the Workspace's Rules: nothing else sets them."""
        ws, rules = self.workspace, self.workspace.rules()
        done = [rules.data_ok, rules.data_ok and ws.runs_started > 0, ws.run is not None, ws.classifier is not None]
        for i, name in enumerate(STEPS):
            self.steps.item(i).setText(f"{'✓' if done[i] else i + 1}  {name}")
        problem = data_problem(ws.data)
        first_error = next(iter(ws.data.report.errors), "") if ws.data is not None else ""
        self.step_pages[0].set_ready(problem is None, f"Fix this before training: {first_error}" if first_error else "")
        self.step_pages[1].set_ready(rules.can_start, "Training is running." if ws.training else problem or "")
        self.training.set_idle_state(problem)
        self.step_pages[2].set_ready(rules.predict_ready, "Training is running: Predict opens with the new model "
                                     "when it ends." if ws.training else "Preparing the new model for Predict…"
                                     if ws.model_pending else "" if rules.predict_ready else
                                     "Predict opens once a model is trained or loaded.")
        self.start_gate.update(problem, ws.training)
        self.training.export_button.setEnabled(rules.can_export)
        self.export_action.setEnabled(rules.can_export_model)
        zipped = ws.model is not None and ws.model.source.lower().endswith(".zip")
        why = "The model in use was opened from a .zip file: share that file as it is." if zipped else ""
        self.training.export_button.setToolTip("" if rules.can_export else why)
        self.export_action.setStatusTip("" if rules.can_export_model else why)
        self.onnx_action.setEnabled(rules.can_export_onnx)
        self.inference.set_batch_actions(rules.can_open_batch, rules.can_classify, rules.can_save_batch)
        if ws.batch is None and not ws.batch_running:
            self.inference.clear_batch_result()


    @Slot(bool)
    def _training_busy(self, busy: bool) -> None:
        self.configure.set_locked(busy)
        self.workspace.set_training(busy)

    def _split_changed(self) -> None:
        self._update_plan()  # the path, and the rows the run trains on (data_plan.run_split)
        self.estimate.request()

    def _device_in_use(self, name: str) -> None:
        """Configure's line and the status bar name the device as training would start on it now."""
        self.configure.show_device_in_use(name)
        self.device_label.setText(f"Device: {name}")

    def _update_plan(self) -> None:
        data_plan.update_plan(self.configure, self.dataset.selection(), self.workspace.data)

    # -- start-up ---------------------------------------------------------
    def _warm_up(self) -> None:
        def done(info):
            self.configure.set_devices(info["devices"])
            best = next((d for d in info["devices"] if d.available), None)
            self._device_in_use(best.name if best else "CPU")
            for model in info["cached"]:
                self.configure.add_model(f"{model.ref} (HF cache)", model.ref)
            self.warmed_up = True

        def failed(message, hint):
            self.device_label.setText("Device: unknown")
            self.warmed_up = True
        self.launcher.run(self.warm, "start-up", jobs.warm_up_job(), done, failed)

    def _load_run_history(self) -> None:
        """Earlier runs of this workspace (their manifests) fill the history table."""

        for name, manifest, folder in saved_runs(self.runs_dir):
            self.run_count += 1
            self.training.add_history_row(name, manifest, folder)

    # -- dataset ----------------------------------------------------------
    def open_dataset(self, path: str, encoding: str | None = None) -> bool:
        return self.datasets.open(path, encoding)

    def _dataset_opened(self, _path: str) -> None:
        """A new file is in use: the window says which, and shows the Dataset step wherever it was opened from."""
        self._update_title()
        self.steps.setCurrentRow(0)

    def _data_changed(self) -> None:
        if not self.trainer.busy:  # the Train page describes the data now loaded, not an earlier run's
            self.training.reset()
            self.curve.forget()  # nor a learning curve of the earlier data
        self._apply_state()
        self._update_plan()  # the path, and the rows the run trains on (data_plan.run_split)
        self.estimate.request()

    def dragEnterEvent(self, event) -> None:
        if first_local_file(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = first_local_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            if is_adapter(path):
                self.load_adapter(str(Path(path).parent) if Path(path).name.lower() == "manifest.json" else path)
            else:
                self.steps.setCurrentRow(0)
                self.datasets.open(path)

    # -- configuration ----------------------------------------------------
    def _browse_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Base model folder (Hugging Face format)",
                                                  self.settings.last_folder("model"))
        if folder:
            self.settings.set_last_folder("model", folder)
            self.configure.add_model(Path(folder).name, folder, select=True)

    def load_config_dialog(self) -> None:
        config = ask_config_file(self)
        if config is not None:
            self.configure.set_config(config)

    def save_config_dialog(self) -> None:
        save_config_file(self, self.configure.config())

    # -- training ---------------------------------------------------------
    def start_training(self) -> None:
        if self.trainer.busy:  # a second Start (or Ctrl+Enter) while the first waits or runs
            return
        problem = data_problem(self.data)
        if problem:  # Start is disabled then, with the problem beside it; this guards other callers
            self.statusBar().showMessage(problem, 8000)
            return
        problem = self.configure.problem()
        if problem:
            QMessageBox.information(self, "LoRA Studio", problem)
            self.steps.setCurrentRow(1)
            return
        sel = self.dataset.selection()
        try:
            config = self.config_for_run()
        except StudioError as exc:
            QMessageBox.warning(self, "LoRA Studio", str(exc))
            return
        self.estimate.cancel()
        self.curve.forget()  # a curve for the previous run would not be shown now
        if self.estimator.busy or self.curve_runner.busy:  # one model build at a time: start once it has ended
            if not self.start_waiting:  # one wait, however often Start is pressed meanwhile
                self.start_waiting = True
                self.statusBar().showMessage("Stopping the time estimate or learning curve, then training starts…",
                                             3000)
                self.training.reset("Starting once the time estimate or learning curve has stopped…")  # not 100%
                QTimer.singleShot(100, self, self._start_after_wait)
            return
        self.settings.set_last_config(config)
        out_dir = self.runs_dir / time.strftime("run-%Y%m%d-%H%M%S")
        examples = self.data.examples  # kept with the result: a learning curve uses what this run used
        trained_on = self.workspace.dataset
        self.training.set_running(True)
        self.steps.setCurrentRow(2)

        def done(result):
            self.training.set_running(False)
            if result.status == "cancelled":
                self.training.show_outcome("Stopped. Nothing was saved; the previous model (if any) is unchanged.")
                self._apply_state()
                return
            self.run_count += 1
            self.training.show_result(result, self.run_count)
            self.curve.remember(result, config, examples)
            self.workspace.finish_run(result, trained_on)
            now = self.workspace.dataset
            if trained_on is not None and now is not None and now != trained_on:  # opened during the run
                self.training.show_outcome(f"These results are of {trained_on.name}, which this run trained on; "
                                           f"{now.name} was opened since.")
            QTimer.singleShot(0, lambda: self._use_trained(result))

        def failed(message, hint):
            self.training.set_running(False)
            self.training.show_outcome(f"Failed: {message}")
            self._apply_state()
        job = jobs.train_job(config, examples, sel["validation_path"], out_dir)
        self.launcher.run(self.trainer, "training", job, done, failed)

    def config_for_run(self):
        """The settings a run would use now (flow.run_config); raises StudioError for settings out of range."""
        return run_config(self.dataset, self.configure, self.workspace.data.report)

    def _start_after_wait(self) -> None:
        self.start_waiting = False
        self.start_training()

    def stop_training(self, keep_best: bool = False) -> None:
        self.trainer.cancel(keep_best)
        self.training.set_stopping()

    @Slot(object)
    def _training_event(self, event) -> None:
        self.training.on_event(event)

    def _use_trained(self, result) -> None:
        """The run's model goes into Predict; while another task holds the runner, it is tried again shortly
        (once refused, it was never put in use and Predict kept the previous model)."""
        def done(classifier):
            self.use_model(classifier, f"Trained just now ({Path(result.adapter_dir).name})", result.adapter_dir)

        def failed(*_):
            self.workspace.model_not_prepared()
        if self.tasks.busy:
            QTimer.singleShot(300, self, lambda: self._use_trained(result))
            return
        if not self.launcher.run(self.tasks, "preparing the model", jobs.classifier_from_result_job(result), done,
                                 failed, failed):
            self.workspace.model_not_prepared()  # the window is closing

    # -- adapters and prediction ------------------------------------------
    def load_adapter_dialog(self) -> None:
        path = ask_adapter(self)
        if path:
            self.load_adapter(path)

    def load_adapter(self, path: str, base_model: str | None = None) -> None:
        def done(classifier):
            if isinstance(classifier, jobs.MissingBase):  # a shared adapter whose base is elsewhere: ask for it
                self.base_request = ask_for_base(self, classifier.message, lambda folder: self.load_adapter(path, folder))
                return
            self.use_model(classifier, Path(path).name, path)
            self.steps.setCurrentRow(3)
        self.launcher.run(self.tasks, "loading the adapter", jobs.load_adapter_job(path, base_model), done)

    def use_model(self, classifier, source: str, folder) -> None:
        self.training.history.in_use = str(folder)
        self.workspace.use_model(classifier, source)  # first: the page predicts the typed text with this model
        self.inference.set_adapter(classifier.manifest, source)

    def _run_deleted(self, folder: str) -> None:
        """A deleted run can no longer be exported; the model in memory still predicts, and says so."""
        self.workspace.run_deleted(folder)
        if self.training.history.in_use == folder:
            self.inference.adapter_info.setText(self.inference.adapter_info.text() + "<br><i>Its run was "
                                                "deleted: it predicts until you load another model.</i>")

    def predict_text(self, texts: list) -> None:
        self.live_prediction.request(self.classifier, texts)

    # -- about and closing --------------------------------------------------
    def show_getting_started(self) -> None:
        self.help_dialog = show_getting_started(self)

    def show_about(self) -> None:
        QMessageBox.about(self, "About LoRA Studio", about_html(self.device_label.text()))

    def closeEvent(self, event) -> None:
        if self.trainer.busy:
            answer = QMessageBox.question(self, "LoRA Studio", "Training is running. Stop it and quit?")
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_last_config(self.configure.config())
        stuck = [runner for runner in self.runners if not runner.shutdown()]
        if stuck:  # a job did not stop in time: closing now would destroy a running thread
            event.ignore()
            self.statusBar().showMessage(f"Waiting for {stuck[0].name} to finish before closing…")
            stuck[0].busy_changed.connect(self._close_when_idle)
            return
        event.accept()

    @Slot(bool)
    def _close_when_idle(self, busy: bool) -> None:
        if not busy:
            self.close()

