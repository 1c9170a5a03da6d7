"""QApplication set-up and the GUI entry point."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    # here, not at the top: the display is checked before any Qt module loads (see below)
    from .startup_check import check_display

    if not check_display():  # before Qt: a missing xcb library would end the process with a plugin error
        return 1
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    # here, not at the top: these load Qt, which the display check above must precede
    from .. import __version__
    from ..core.base.logs import install_excepthooks, setup_logging
    from ..paths import resource_path
    from .main_window import MainWindow

    setup_logging()
    install_excepthooks()

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setOrganizationName("LoRA Studio")
    app.setApplicationName("LoRA Studio")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource_path("icon.png"))))
    # here, not at the top: it loads Qt (after the display check)
    from .gc_policy import collected_on_gui_thread

    with collected_on_gui_thread():  # Qt objects are never destroyed from a training thread
        window = MainWindow()
        window.show()
        return app.exec()
