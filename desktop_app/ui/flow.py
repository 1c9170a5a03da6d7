"""The guided flow: each step's page ends with a primary "Next: … ›" button and a line saying what it waits for;
the Train step's Start button is disabled while the data has a blocking problem, with the problem beside it."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ..core.data.label_reading import settle_labels

PRIMARY = "QPushButton { font-weight: bold; padding: 6px 18px; }"


class _ByMinimumSize(QWidget):
    """The page inside its scroll area, sized to the view down to its minimum size, then scrolled. No layout on
    purpose: with one, the scroll area would size the page by its word-wrapped labels' height-for-width, taller
    than the page needs, and show a scroll bar even at the default window size."""

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.panel = panel
        panel.setParent(self)

    def minimumSizeHint(self):  # noqa: N802 - Qt's names
        return self.panel.minimumSizeHint()

    def sizeHint(self):  # noqa: N802
        return self.panel.sizeHint()

    def resizeEvent(self, event) -> None:  # noqa: N802
        self.panel.setGeometry(self.rect())

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the page's minimum changed (more labels, a longer verdict)
            self.updateGeometry()  # the scroll area resizes this (or shows a scroll bar) from the new minimum
        return super().event(event)


class StepPage(QWidget):
    """A step's panel with a footer: a note on the left, the primary Next button on the right."""

    def __init__(self, panel: QWidget, next_text: str | None, parent=None) -> None:
        super().__init__(parent)
        self.panel = panel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # a window smaller than the page (a laptop screen, many labels) scrolls it: never squeezes widgets
        # over one another, and never grows taller than the screen
        scroll = QScrollArea()
        scroll.setWidget(_ByMinimumSize(panel))
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(scroll, 1)
        footer = QHBoxLayout()
        footer.setContentsMargins(9, 0, 9, 6)
        self.note = QLabel()
        self.note.setWordWrap(True)
        footer.addWidget(self.note, 1)
        self.next_button = QPushButton(next_text or "")
        self.next_button.setStyleSheet(PRIMARY)
        self.next_button.setAutoDefault(True)
        self.next_button.setVisible(next_text is not None)
        footer.addWidget(self.next_button)
        layout.addLayout(footer)

    def set_ready(self, ready: bool, note: str = "") -> None:
        self.next_button.setEnabled(ready)
        self.note.setText(note)


def data_problem(data) -> str | None:
    """The first thing that stops training on the loaded data, in the words the Dataset step uses; None if none."""
    if data is None:
        return "Load a dataset first (step 1)."
    if not data.report.ok:
        errors = list(data.report.errors)
        return (errors[0] if errors else "The data has a blocking problem.") + " See step 1 · Dataset."
    return None


def run_config(dataset, configure, report):
    """The settings a run would use now: the Configure page's, with the Dataset page's columns, label reading
    and split (training here and Train elsewhere use the same), the labels settled as the report read them
    (label_reading.settle_labels: the separator and yes/no columns found go into the adapter's manifest).
    Raises StudioError for settings out of range."""
    from dataclasses import replace


    sel, spec = dataset.selection(), dataset.label_spec()
    config = replace(configure.config(), text_column=report.text_column, label_column=report.label_column,
                     multi_label=spec.multi_label, label_separator=spec.separator, label_columns=spec.columns,
                     none_of_these=spec.none_of_these, validation_fraction=sel["validation_fraction"],
                     test_fraction=sel["test_fraction"])
    return settle_labels(config, report).validate()


def _find_layout(layout: QLayout, widget: QWidget):
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is widget:
            return layout, i
        if item.layout() is not None:
            found = _find_layout(item.layout(), widget)
            if found:
                return found
    return None


class StartGate:
    """Start is enabled only when training could begin; the reason it cannot sits right after the button."""

    def __init__(self, start_button: QPushButton) -> None:
        self.button = start_button
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color: #b3261e;")
        self.label.setVisible(False)
        container = start_button.parentWidget()
        found = _find_layout(container.layout(), start_button) if container and container.layout() else None
        if found:
            layout, index = found
            layout.insertWidget(index + 1, self.label, 2)

    def update(self, problem: str | None, running: bool) -> None:
        self.button.setEnabled(problem is None and not running)
        self.button.setToolTip(problem or "")
        self.label.setText(problem or "")
        self.label.setVisible(bool(problem) and not running)
