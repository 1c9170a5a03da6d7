"""The Dataset step's actions: open a file (dialog, sample, recent, drop), read it again when the columns, the
label settings or the encoding change, choose a validation file. What was read goes to the Workspace with the
file's identity; `opened` says a new file is in use (the window shows the Dataset step), `changed` that the
data in use changed (the window updates what depends on it)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from .. import paths  # paths.sample_dataset looked up at call time: tests patch it
from . import jobs
from .batch_controller import DATA_FILTER
from .state import FileId


class DatasetController(QObject):
    opened = Signal(str)   # a new file's path, read and in use
    changed = Signal()     # the data in use changed (new file, columns, labels, encoding)

    def __init__(self, parent: QWidget, launcher, tasks, workspace, panel, configure, settings) -> None:
        super().__init__(parent)
        self.parent_widget, self.launcher, self.tasks = parent, launcher, tasks
        self.workspace, self.panel, self.configure, self.settings = workspace, panel, configure, settings
        panel.open_requested.connect(self.open_dialog)
        panel.file_chosen.connect(self.open)
        panel.columns_changed.connect(self.columns_changed)
        panel.encoding_chosen.connect(self.encoding_chosen)
        panel.validation_file_requested.connect(self.choose_validation_file)
        panel.sample_requested.connect(self.open_sample)
        configure.cut_changed.connect(panel.set_cut)  # the texts cut at the length Configure says will be used

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Open dataset", self.settings.last_folder("data"),
                                              DATA_FILTER)
        if path:
            self.open(path)

    def open_sample(self) -> None:
        self.open(str(paths.sample_dataset()))

    def fill_recent(self, menu) -> None:
        menu.clear()
        for path in self.settings.recent_files():
            menu.addAction(path, lambda p=path: self.open(p))
        if not menu.actions():
            menu.addAction("(none yet)").setEnabled(False)

    def open(self, path: str, encoding: str | None = None) -> bool:
        """A new file: its labels read as its data shows (the label settings start from auto again); a text
        file in `encoding`, else in the encoding guessed."""
        self.panel.set_busy(True)
        file = FileId.of(path)

        def done(loaded) -> None:
            self.panel.set_busy(False)
            self.settings.add_recent_file(path)
            self.settings.set_last_folder("data", str(Path(path).parent))
            self.panel.set_table(loaded.table, loaded.report, loaded.yes_no_columns, encoding)
            self.configure.set_token_lengths(loaded.token_lengths, loaded.model_limit)
            self.workspace.open_data(file, loaded)
            self.opened.emit(path)
            self.changed.emit()

        def failed(*_) -> None:
            self.panel.set_busy(False)
            data = self.workspace.data
            if data is not None:  # the file read before stays, and the Encoding list says how it was read
                self.panel.set_encoding(data.table, data.encoding)

        job = jobs.load_data_job(path, None, None, self.configure.config(), encoding=encoding)
        if not self.launcher.run(self.tasks, "reading data", job, done, failed):
            failed()
            return False
        return True

    def columns_changed(self, *_columns) -> None:
        """The columns or the label settings changed: the report again, with what the Dataset page now says."""
        data, file = self.workspace.data, self.workspace.dataset
        if data is None:
            return
        if self.tasks.busy:  # a report (or another task) is on its way: ask again once it is done
            QTimer.singleShot(200, self, self.columns_changed)  # not after the window has gone
            return
        sel = self.panel.selection()

        def done(loaded) -> None:
            if self.workspace.dataset != file:  # another file was opened meanwhile: this report is not its
                return
            self.panel.set_report(loaded.report, loaded.yes_no_columns)
            self.configure.set_token_lengths(loaded.token_lengths, loaded.model_limit)
            self.workspace.open_data(file, loaded)
            self.changed.emit()
        self.launcher.run(self.tasks, "checking columns", jobs.load_data_job(
            file.path, sel["text_column"], sel["label_column"], self.configure.config(), data.table,
            self.panel.label_spec(), data.encoding), done)

    def encoding_chosen(self, encoding: str) -> None:
        """The file again, in the encoding chosen on the Dataset page ("": let LoRA Studio guess)."""
        if self.workspace.dataset is not None:
            self.open(self.workspace.dataset.path, encoding or None)

    def choose_validation_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.parent_widget, "Validation file",
                                              self.settings.last_folder("data"), DATA_FILTER)
        if path:
            self.panel.set_validation_file(path)
