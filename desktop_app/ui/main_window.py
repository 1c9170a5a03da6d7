"""The main window: four steps in a sidebar, menus, status bar; wires panel intents to runner jobs."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QStackedWidget, QWidget)

from . import batch_actions, data_plan, dataset_actions, exports, jobs
from .adapter_files import ask_adapter, is_adapter
from .auto_estimate import AutoEstimate
from .flow import StartGate, StepPage, data_problem, run_config
from .geometry import fit_to_screen
from .shortcuts import install_for_steps as install_shortcuts
from .panels.config_panel import ConfigPanel
from .panels.dataset_panel import DatasetPanel
from .panels.inference_panel import InferencePanel
from .panels.training_panel import TrainingPanel
from .dialogs import ask_config_file, save_config_file
from .explanations import Explanations
from .learning_curve import LearningCurve
from .live import LivePrediction
from .menus import about_html, build_menus
from .places import default_runs_dir
from .runner import Runner
from .settings import Settings
from .widgets.drop_zone import first_local_file

STEPS = ["Dataset", "Configure", "Train", "Predict"]


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, runs_dir: Path | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.runs_dir = runs_dir or default_runs_dir()
        self.data: jobs.LoadedData | None = None
        self.data_path: str | None = None
        self.result = None
        self.classifier = None
        self.batch_table = None
        self.batch_result = None
        self.run_count = 0
        self.warmed_up = False  # heavy libraries imported and devices known
        self.trainer, self.tasks, self.batch, self.live, self.warm, self.estimator, self.curve_runner = (
            Runner(self) for _ in range(7))
        # their failures are shown where they belong, no pop-up
        self.quiet = (self.live, self.warm, self.estimator, self.curve_runner)
        self.live_prediction = LivePrediction(self.live, self._run, lambda: [self.inference.text.toPlainText().strip()],
                                              lambda p, e: self.inference.show_prediction(p, e))
        self.runners = (self.trainer, self.tasks, self.batch, self.live, self.warm, self.estimator, self.curve_runner)
        self._handlers: dict[Runner, tuple] = {}
        for runner in self.runners:
            runner.finished.connect(self._job_finished)
            runner.failed.connect(self._job_failed)
        self.trainer.event.connect(self._training_event)
        self.batch.event.connect(self._batch_event)
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
        self.estimate = AutoEstimate(self, self.estimator)
        self.curve = LearningCurve(self, self.curve_runner)
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
        self.device_label, self.job_label = QLabel("Device: detecting…"), QLabel("Ready")
        self.statusBar().addPermanentWidget(self.job_label)
        self.statusBar().addPermanentWidget(self.device_label)
        self._connect_panels()
        self.explanations = Explanations(self)  # why a label: typed text, mistakes, batch rows
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
        self._update_steps()
        self._load_run_history()
        QTimer.singleShot(0, self._warm_up)  # heavy imports after the first paint

    # -- construction -----------------------------------------------------
    def _connect_panels(self) -> None:
        d, c, t, i = self.dataset, self.configure, self.training, self.inference
        d.open_requested.connect(self.open_dataset_dialog)
        d.file_chosen.connect(self.open_dataset)
        d.columns_changed.connect(self._columns_changed)
        d.encoding_chosen.connect(self._encoding_chosen)
        d.validation_file_requested.connect(self._choose_validation_file)
        d.sample_requested.connect(self.open_sample)
        d.split_changed.connect(self._split_changed)
        c.browse_model_requested.connect(self._browse_model)
        c.estimate_requested.connect(self.estimate.start)
        c.changed.connect(self.estimate.request)
        c.changed.connect(self._update_plan)
        t.start_requested.connect(self.start_training)
        t.stop_requested.connect(self.stop_training)
        t.stop_keep_best_requested.connect(lambda: self.stop_training(keep_best=True))
        t.history.open_requested.connect(self.load_adapter)
        t.history.deleted.connect(self._run_deleted)
        t.export_requested.connect(self.export_dialog)
        t.elsewhere_requested.connect(self.train_elsewhere_dialog)
        i.load_adapter_requested.connect(self.load_adapter_dialog)
        i.predict_requested.connect(self._predict)
        i.batch_file_requested.connect(self._choose_batch_file)
        i.batch_run_requested.connect(self._run_batch)
        i.batch_cancel_requested.connect(self.batch.cancel)
        i.batch_save_requested.connect(self._save_batch)

    # -- job plumbing -----------------------------------------------------
    def _run(self, runner: Runner, name: str, job, on_done, on_failed=None) -> bool:
        if runner.busy:
            self.statusBar().showMessage(f"Please wait: {runner.name} is still running.", 4000)
            return False
        if not runner.start(job, name):  # shut down: the window is closing
            return False
        self._handlers[runner] = (on_done, on_failed)
        self._update_status()
        return True

    @Slot(object)
    def _job_finished(self, result) -> None:
        on_done, _ = self._handlers.pop(self.sender(), (None, None))
        self._update_status()
        if on_done:
            on_done(result)

    @Slot(str, str)
    def _job_failed(self, message: str, hint: str) -> None:
        runner = self.sender()
        _, on_failed = self._handlers.pop(runner, (None, None))
        self._update_status()
        if on_failed:
            on_failed(message, hint)
        if runner not in self.quiet:
            box = QMessageBox(QMessageBox.Icon.Warning, "LoRA Studio", message, QMessageBox.StandardButton.Ok, self)
            box.setInformativeText(hint)
            box.open()  # non-blocking: tests and users are never stuck behind a modal loop
        self.statusBar().showMessage(message, 8000)

    def _update_status(self, *_args) -> None:
        busy = [r.name for r in (self.trainer, self.tasks, self.batch, self.curve_runner) if r.busy]
        self.job_label.setText("Working: " + ", ".join(busy) if busy else "Ready")

    def _update_title(self) -> None:
        name = Path(self.data_path).name if self.data_path else None
        self.setWindowTitle(f"LoRA Studio — {name}" if name else "LoRA Studio")

    def _update_steps(self) -> None:
        done = [self.data is not None and self.data.report.ok, self.result is not None or self.trainer.busy,
                self.result is not None, self.classifier is not None]
        for i, name in enumerate(STEPS):
            self.steps.item(i).setText(f"{'✓' if done[i] else i + 1}  {name}")
        problem = data_problem(self.data)
        first_error = next(iter(self.data.report.errors), "") if self.data is not None else ""
        self.step_pages[0].set_ready(problem is None, f"Fix this before training: {first_error}" if first_error else "")
        self.step_pages[1].set_ready(problem is None and not self.trainer.busy, "Training is running."
                                     if self.trainer.busy else problem or "")
        self.training.set_idle_state(problem)
        self.step_pages[2].set_ready(self.classifier is not None, "" if self.classifier is not None or
                                     self.trainer.busy else "Predict opens once a model is trained or loaded.")
        self.start_gate.update(problem, self.trainer.busy)

    @Slot(bool)
    def _training_busy(self, busy: bool) -> None:
        self.configure.set_locked(busy)
        self._update_steps()

    def _split_changed(self) -> None:
        self._update_train_size()
        self._update_plan()
        self.estimate.request()

    def _update_train_size(self) -> None:
        sel = self.dataset.selection()
        n = len(self.data.examples.texts) if self.data is not None and self.data.report.ok else 0
        share = 1 - (0 if sel["validation_path"] else sel["validation_fraction"]) - sel["test_fraction"]
        self.configure.set_train_size(max(1, int(n * share)) if n else 0)

    _update_plan = data_plan.update_plan

    # -- start-up ---------------------------------------------------------
    def _warm_up(self) -> None:
        def done(info):
            self.configure.set_devices(info["devices"])
            best = next((d for d in info["devices"] if d.available), None)
            self.device_label.setText(f"Device: {best.name if best else 'CPU'}")
            for model in info["cached"]:
                self.configure.add_model(f"{model.ref} (HF cache)", model.ref)
            self.warmed_up = True

        def failed(message, hint):
            self.device_label.setText("Device: unknown")
            self.warmed_up = True
        self._run(self.warm, "start-up", jobs.warm_up_job(), done, failed)

    def _load_run_history(self) -> None:
        """Earlier runs of this workspace (their manifests) fill the history table."""
        from ..core.runs import saved_runs

        for name, manifest, folder in saved_runs(self.runs_dir):
            self.run_count += 1
            self.training.add_history_row(name, manifest, folder)

    # -- dataset ----------------------------------------------------------
    open_dataset_dialog, open_sample = dataset_actions.open_dataset_dialog, dataset_actions.open_sample
    _fill_recent, open_dataset = dataset_actions.fill_recent, dataset_actions.open_dataset
    _columns_changed, _data_changed = dataset_actions.columns_changed, dataset_actions.data_changed
    _choose_validation_file, _encoding_chosen = dataset_actions.choose_validation_file, dataset_actions.encoding_chosen

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
                self.open_dataset(path)

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
        from ..core.errors import StudioError

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
            config = run_config(self)
        except StudioError as exc:
            QMessageBox.warning(self, "LoRA Studio", str(exc))
            return
        self.estimate.cancel()
        self.curve.forget()  # a curve for the previous run would not be shown now
        if self.estimator.busy or self.curve_runner.busy:  # one model build at a time: start once it has ended
            self.statusBar().showMessage("Stopping the time estimate or learning curve, then training starts…", 3000)
            QTimer.singleShot(100, self.start_training)
            return
        self.settings.set_last_config(config)
        out_dir = self.runs_dir / time.strftime("run-%Y%m%d-%H%M%S")
        examples = self.data.examples  # kept with the result: a learning curve uses what this run used
        self.training.set_running(True)
        self.steps.setCurrentRow(2)

        def done(result):
            self.training.set_running(False)
            if result.status == "cancelled":
                self.training.show_outcome("Stopped. Nothing was saved; the previous model (if any) is unchanged.")
                self._update_steps()
                return
            self.result = result
            self.run_count += 1
            self.training.show_result(result, self.run_count)
            self.curve.remember(result, config, examples)
            self.export_action.setEnabled(True)
            self._update_steps()
            QTimer.singleShot(0, lambda: self._use_trained(result))

        def failed(message, hint):
            self.training.set_running(False)
            self.training.show_outcome(f"Failed: {message}")
            self._update_steps()
        job = jobs.train_job(config, examples, sel["validation_path"], out_dir)
        self._run(self.trainer, "training", job, done, failed)
        self._update_steps()

    def stop_training(self, keep_best: bool = False) -> None:
        self.trainer.cancel(keep_best)
        self.training.set_stopping()

    @Slot(object)
    def _training_event(self, event) -> None:
        self.training.on_event(event)

    def _use_trained(self, result) -> None:
        def done(classifier):
            self._set_classifier(classifier, f"Trained just now ({Path(result.adapter_dir).name})",
                                 result.adapter_dir)
        self._run(self.tasks, "preparing the model", jobs.classifier_from_result_job(result), done)

    # -- adapters and prediction ------------------------------------------
    def load_adapter_dialog(self) -> None:
        path = ask_adapter(self)
        if path:
            self.load_adapter(path)

    def load_adapter(self, path: str) -> None:
        def done(classifier):
            self._set_classifier(classifier, Path(path).name, path)
            self.steps.setCurrentRow(3)
        self._run(self.tasks, "loading the adapter", jobs.load_adapter_job(path), done)

    def _set_classifier(self, classifier, source: str, folder) -> None:
        self.classifier = classifier
        self.training.history.in_use = str(folder)
        self.onnx_action.setEnabled(True)
        self.inference.set_adapter(classifier.manifest, source)
        self._update_steps()

    def _run_deleted(self, folder: str) -> None:
        """A deleted run can no longer be exported; the model in memory still predicts, and says so."""
        if self.result is not None and str(self.result.adapter_dir) == folder:
            self.training.export_button.setEnabled(False)
            self.export_action.setEnabled(False)
        if self.training.history.in_use == folder:
            self.inference.adapter_info.setText(self.inference.adapter_info.text() + "<br><i>Its run was "
                                                "deleted: it predicts until you load another model.</i>")

    def _predict(self, texts: list) -> None:
        self.live_prediction.request(self.classifier, texts)

    _choose_batch_file, _run_batch = batch_actions.choose_batch_file, batch_actions.run_batch
    _batch_event, _save_batch = batch_actions.batch_event, batch_actions.save_batch
    export_dialog, export_adapter = exports.export_dialog, exports.export_adapter
    train_elsewhere_dialog, train_elsewhere = exports.train_elsewhere_dialog, exports.train_elsewhere

    # -- about and closing --------------------------------------------------
    def show_getting_started(self) -> None:
        from .help_text import show_getting_started

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

