"""The Dataset step's actions (open a file, the sample, a recent file; re-read it when the columns or the
label settings change; the validation file); methods of the main window, kept here so main_window.py stays
small. Each takes the window as its first argument."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from . import jobs
from .batch_actions import DATA_FILTER


def open_dataset_dialog(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open dataset", window.settings.last_folder("data"), DATA_FILTER)
    if path:
        window.open_dataset(path)


def open_sample(window) -> None:
    from ..paths import sample_dataset

    window.open_dataset(str(sample_dataset()))


def fill_recent(window) -> None:
    window.recent_menu.clear()
    for path in window.settings.recent_files():
        window.recent_menu.addAction(path, lambda p=path: window.open_dataset(p))
    if not window.recent_menu.actions():
        window.recent_menu.addAction("(none yet)").setEnabled(False)


def open_dataset(window, path: str, encoding: str | None = None) -> None:
    """A new file: its labels read as its data shows (the label settings start from auto again); a text
    file in `encoding`, else in the encoding guessed."""
    window.dataset.set_busy(True)
    cfg = window.configure.config()

    def done(loaded):
        window.dataset.set_busy(False)
        window.data, window.data_path = loaded, path
        window.settings.add_recent_file(path)
        window.settings.set_last_folder("data", str(Path(path).parent))
        window.dataset.set_table(loaded.table, loaded.report, loaded.yes_no_columns, encoding)
        window.configure.set_token_lengths(loaded.token_lengths, loaded.model_limit)
        window._update_title()
        window._data_changed()

    def failed(*_):
        window.dataset.set_busy(False)
        if window.data is not None:  # the file read before stays, and the Encoding list says how it was read
            window.dataset.set_encoding(window.data.table, window.data.encoding)

    if not window._run(window.tasks, "reading data", jobs.load_data_job(path, None, None, cfg, encoding=encoding), done,
                       failed):
        failed()


def columns_changed(window, *_columns) -> None:
    """The columns or the label settings changed: the report again, with what the Dataset page now says."""
    if window.data is None:
        return
    if window.tasks.busy:  # a report (or another task) is on its way: ask again once it is done
        QTimer.singleShot(200, window, window._columns_changed)  # not after the window has gone
        return
    sel = window.dataset.selection()

    def done(loaded):
        window.data = loaded
        window.dataset.set_report(loaded.report, loaded.yes_no_columns)
        window.configure.set_token_lengths(loaded.token_lengths, loaded.model_limit)
        window._data_changed()
    window._run(window.tasks, "checking columns", jobs.load_data_job(
        window.data_path, sel["text_column"], sel["label_column"], window.configure.config(), window.data.table,
        window.dataset.label_spec(), window.data.encoding), done)


def encoding_chosen(window, encoding: str) -> None:
    """The file again, in the encoding chosen on the Dataset page ("": let LoRA Studio guess)."""
    if window.data_path is not None:
        window.open_dataset(window.data_path, encoding or None)


def data_changed(window) -> None:
    if not window.trainer.busy:  # the Train page describes the data now loaded, not an earlier run's
        window.training.reset()
        window.curve.forget()  # nor a learning curve of the earlier data
    window._update_steps()
    window._update_train_size()
    window._update_plan()
    window.estimate.request()


def choose_validation_file(window) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Validation file", window.settings.last_folder("data"), DATA_FILTER)
    if path:
        window.dataset.set_validation_file(path)
