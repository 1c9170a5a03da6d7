"""The menu bar and the About text (kept out of main_window.py, which wires behaviour)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from .. import __version__
from ..core.base.logs import log_folder


def build_menus(window):
    """File and Help menus; returns (recent submenu, export action, ONNX export action) for the window to update."""
    datasets, exports = window.datasets, window.exports

    def add(menu, text, slot, shortcut=None):
        action = QAction(text, window)
        action.triggered.connect(slot)
        if shortcut:
            action.setShortcut(shortcut)
        menu.addAction(action)
        return action

    file_menu = window.menuBar().addMenu("&File")
    add(file_menu, "&Open dataset…", datasets.open_dialog, QKeySequence.StandardKey.Open)
    recent = file_menu.addMenu("Open &recent")
    recent.aboutToShow.connect(lambda: datasets.fill_recent(recent))
    add(file_menu, "Open &sample dataset", datasets.open_sample)
    file_menu.addSeparator()
    add(file_menu, "&Load configuration…", window.load_config_dialog)
    add(file_menu, "Sa&ve configuration…", window.save_config_dialog)
    file_menu.addSeparator()
    add(file_menu, "Open &adapter (.zip or folder)…", window.load_adapter_dialog)
    export = add(file_menu, "&Export adapter…", lambda: exports.export_dialog("model"))  # the model in use
    export.setEnabled(False)
    # what an export carries of the user's data: nothing unless this is ticked (off at every start)
    examples = QAction("Include example &mistakes in exports", window, checkable=True)
    examples.toggled.connect(exports.set_include_examples)  # toggled: ticked by a click, a shortcut or code alike
    file_menu.addAction(examples)
    examples.setStatusTip("Exports then carry up to 50 validation texts of your data, with their labels")
    onnx = add(file_menu, "Export &ONNX…", exports.export_onnx_dialog)  # the model loaded for prediction
    onnx.setEnabled(False)
    add(file_menu, "&Train elsewhere (job folder)…", exports.train_elsewhere_dialog)
    file_menu.addSeparator()
    add(file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    help_menu = window.menuBar().addMenu("&Help")
    add(help_menu, "&Getting started", window.show_getting_started, QKeySequence.StandardKey.HelpContents)
    add(help_menu, "Open &log folder", open_log_folder)
    add(help_menu, "&About LoRA Studio", window.show_about)
    return recent, export, onnx


def open_log_folder() -> None:
    """Show the folder of the rotating log (full tracebacks of any error the window reported)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices


    folder = log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def about_html(device: str) -> str:
    from importlib.metadata import PackageNotFoundError, version


    lines = [f"<h3>LoRA Studio {__version__}</h3><p>Fine-tune text classifiers on your own data, offline.</p>"]
    for name in ("torch", "transformers", "peft", "PySide6-Essentials"):
        try:
            lines.append(f"{name} {version(name)}<br>")
        except PackageNotFoundError:
            pass
    lines.append(f"<p>{device}</p>")
    return "".join(lines)
