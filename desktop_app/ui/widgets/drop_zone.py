"""A dashed area that accepts a dropped data file or opens a file dialog when clicked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QFrame, QPushButton


def first_local_file(mime) -> str | None:
    if mime.hasUrls():
        for url in mime.urls():
            if url.isLocalFile():
                return url.toLocalFile()
    return None


class DropZone(QFrame):
    file_dropped = Signal(str)
    open_clicked = Signal()

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAcceptDrops(True)
        self.setStyleSheet("#dropZone { border: 2px dashed palette(mid); border-radius: 10px; }"
                           "#dropZone[hover=\"true\"] { border-color: palette(highlight); }")
        layout = QVBoxLayout(self)
        self.label = QLabel(text)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.button = QPushButton("Open…")
        self.button.clicked.connect(self.open_clicked)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    def _hover(self, on: bool) -> None:
        self.setProperty("hover", on)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event) -> None:
        if first_local_file(event.mimeData()):
            event.acceptProposedAction()
            self._hover(True)

    def dragLeaveEvent(self, event) -> None:
        self._hover(False)

    def dropEvent(self, event) -> None:
        self._hover(False)
        path = first_local_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.file_dropped.emit(path)
