"""The "Label texts" window: one text at a time, large, with a button per label and the keys that press it.

A view only: it shows what the controller (labelling_controller.py) gives it and emits what the user asks for.
Keys: 1–9 or a label's first letter (when no other label starts with it) to label, Space to skip, Ctrl+Z to undo;
with several labels a row (multi-label) the keys tick check boxes and Enter confirms. The buttons and boxes take no
keyboard focus, so Space never presses the button last clicked.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .widgets.charts import LineChart

SCORE = "Estimated score (macro-F1)"  # measured on the labels given, by cross-validation
COLUMNS = 4  # label buttons a row


def keys_for(labels: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Each label's keys: its number (the first nine), and its first letter when no other label starts with it."""
    firsts = [name[:1].lower() for name in labels]
    keys = []
    for i, first in enumerate(firsts):
        own = (str(i + 1),) if i < 9 else ()
        if first.isalpha() and first.isascii() and firsts.count(first) == 1:
            own += (first,)
        keys.append(own)
    return keys


class LabellingView(QDialog):
    labelled = Signal(tuple)          # the labels given to the text shown
    skipped = Signal()
    undone = Signal()
    retrain_every_changed = Signal(int)
    labels_named = Signal(tuple)      # the labels to label with, named by the user (the file had fewer than two)
    use_file_requested = Signal()
    more_texts_requested = Signal()   # every row has a label: texts of another file to label

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Label texts — LoRA Studio")
        self.setModal(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the keys label: focus rests on the window itself
        self.resize(760, 720)
        self.labels: tuple[str, ...] = ()
        self.multi_label = False
        self.key_map: dict[str, int] = {}      # key text -> label index
        self.buttons: list[QPushButton] = []
        self.boxes: list[QCheckBox] = []
        self.accepting = False                 # a text is shown and may be labelled

        layout = QVBoxLayout(self)
        self.header = QLabel()
        self.header.setStyleSheet("font-weight: bold;")
        self.header.setWordWrap(True)
        layout.addWidget(self.header)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.more_texts = QPushButton("Add texts from another file…")
        self.more_texts.clicked.connect(lambda _=False: self.more_texts_requested.emit())
        self.more_texts.hide()
        layout.addWidget(self.problem)
        layout.addWidget(self.more_texts, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self._build_naming())

        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.text.font())
        font.setPointSizeF(font.pointSizeF() * 1.5 if font.pointSizeF() > 0 else 15)
        self.text.setFont(font)
        self.text.setMargin(12)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.text)
        self.scroll.setFrameShape(QFrame.Shape.StyledPanel)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.setMinimumHeight(160)
        layout.addWidget(self.scroll, 3)

        self.label_row = QWidget()
        self.grid = QGridLayout(self.label_row)
        self.grid.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label_row)
        layout.addLayout(self._build_actions())

        self.saved = QLabel()
        self.saved.setWordWrap(True)
        self.model_line = QLabel("")
        self.model_line.setWordWrap(True)
        self.model_line.setStyleSheet("color: #555;")
        layout.addWidget(self.saved)
        layout.addWidget(self.model_line)
        self.chart = LineChart("Estimated score as you label", "labels", (0.0, 1.0), point_ticks=True)
        self.chart.set_placeholder("Drawn after each retrain, once every label has two texts.")
        self.chart.setToolTip("Macro-F1 of the model that chooses the texts, measured on your labels by "
                              "cross-validation (each label judged by a model that did not learn from it). With "
                              "few labels it jumps about, and it runs low: the texts asked are the ones the model "
                              "finds hardest. The trend is what counts.")
        self.chart.setMaximumHeight(210)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self._build_done())
        self.set_accepting(False)

    # -- construction -----------------------------------------------------
    def _build_naming(self) -> QWidget:
        self.naming = QWidget()
        row = QVBoxLayout(self.naming)
        row.setContentsMargins(0, 0, 0, 0)
        self.naming_note = QLabel()
        self.naming_note.setWordWrap(True)
        line = QHBoxLayout()
        self.names = QLineEdit()
        self.names.setPlaceholderText("positive, negative")
        self.names.returnPressed.connect(self._names_given)
        start = QPushButton("Start labelling")
        start.setAutoDefault(False)
        start.clicked.connect(self._names_given)
        line.addWidget(QLabel("Labels (separated by commas):"))
        line.addWidget(self.names, 1)
        line.addWidget(start)
        row.addWidget(self.naming_note)
        row.addLayout(line)
        self.naming.hide()
        return self.naming

    def _build_actions(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.skip_button = self._button("Skip (Space)", self.skipped.emit)
        self.undo_button = self._button("Undo (Ctrl+Z)", self.undone.emit)
        self.confirm_button = self._button("Confirm (Enter)", self._confirm)
        self.confirm_button.hide()
        self.every = QSpinBox()
        self.every.setRange(1, 1000)
        self.every.setValue(10)
        self.every.setToolTip("The model that chooses the next texts learns again after this many new labels.")
        self.every.valueChanged.connect(self.retrain_every_changed)
        # typed into only when clicked, and left with Enter: the keys belong to the labels
        self.every.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.every.editingFinished.connect(self.setFocus)
        self.every.installEventFilter(self)
        row.addWidget(self.confirm_button)
        row.addWidget(self.skip_button)
        row.addWidget(self.undo_button)
        row.addStretch(1)
        row.addWidget(QLabel("Retrain every"))
        row.addWidget(self.every)
        row.addWidget(QLabel("labels"))
        return row

    def _build_done(self) -> QWidget:
        self.done_box = QFrame()
        self.done_box.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(self.done_box)
        self.done_note = QLabel()
        self.done_note.setWordWrap(True)
        self.use_button = QPushButton("Use this file")
        self.use_button.setAutoDefault(False)
        self.use_button.setToolTip("Open the labelled file on the Dataset page, in place of the file in use.")
        self.use_button.clicked.connect(self.use_file_requested)
        row.addWidget(self.done_note, 1)
        row.addWidget(self.use_button)
        self.done_box.hide()
        return self.done_box

    def _button(self, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda _=False: slot())
        return button

    # -- set by the controller ----------------------------------------------
    def set_header(self, text: str) -> None:
        self.header.setText(text)

    def set_source(self, name: str) -> None:
        """The file labelled, in the title: the window is never mistaken for another file's."""
        self.setWindowTitle(f"Label texts — {name} — LoRA Studio")

    def set_working(self, on: bool) -> None:
        """Off: no session (nothing to label, or the labels not named yet): only the sentence and its buttons."""
        for widget in (self.scroll, self.label_row, self.chart, self.saved, self.model_line):
            widget.setVisible(on)
        for widget in (self.skip_button, self.undo_button, self.every):
            widget.setEnabled(on)

    def show_problem(self, message: str, hint: str = "", more_texts: bool = False) -> None:
        """A sentence for what cannot be done (a DataError's message and hint), never a traceback; more_texts: offer
        texts of another file (nothing is left to label in this one)."""
        self.problem.setText(f"{message} {hint}".strip())
        self.problem.setVisible(bool(message))
        self.more_texts.setVisible(more_texts)

    def ask_labels(self, known: tuple[str, ...]) -> None:
        said = (f"The file uses one label so far ({known[0]})." if len(known) == 1 else
                "The file has no labels yet.")
        self.naming_note.setText(f"{said} Name at least two labels to choose from.")
        self.names.setText(", ".join(known))
        self.naming.show()
        self.names.setFocus()

    def set_labels(self, labels: tuple[str, ...], multi_label: bool) -> None:
        self.naming.hide()
        self.labels, self.multi_label = labels, multi_label
        for widget in self.buttons + self.boxes:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.buttons, self.boxes, self.key_map = [], [], {}
        for i, (name, keys) in enumerate(zip(labels, keys_for(labels))):
            for key in keys:
                self.key_map[key] = i
            shown = f"{name}   [{' / '.join(k.upper() for k in keys)}]" if keys else name
            if multi_label:
                box = QCheckBox(shown)
                box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
                self.boxes.append(box)
                self.grid.addWidget(box, i // COLUMNS, i % COLUMNS)
            else:
                button = self._button(shown, lambda n=name: self._give((n,)))
                button.setMinimumHeight(34)
                self.buttons.append(button)
                self.grid.addWidget(button, i // COLUMNS, i % COLUMNS)
        self.confirm_button.setVisible(multi_label)
        self.set_working(True)
        self.setFocus()  # the keys label from the first text on

    def show_text(self, text: str | None) -> None:
        """The text to label; None: nothing is left."""
        self.text.setText(text or "")
        for box in self.boxes:
            box.setChecked(False)
        self.set_accepting(text is not None)

    def set_accepting(self, on: bool) -> None:
        self.accepting = on
        for widget in self.buttons + self.boxes + [self.skip_button, self.confirm_button]:
            widget.setEnabled(on)

    def set_can_undo(self, on: bool) -> None:
        self.undo_button.setEnabled(on)

    def show_saved(self, text: str) -> None:
        self.saved.setText(text)

    def show_model(self, text: str) -> None:
        self.model_line.setText(text)

    def add_score(self, labels: int, score: float) -> None:
        self.chart.add_point(SCORE, labels, score)

    def show_done(self, text: str | None) -> None:
        """Nothing is left to label: `text` says so and Use this file is offered; None hides it."""
        self.done_note.setText(text or "")
        self.done_box.setVisible(text is not None)

    def retrain_every(self) -> int:
        return self.every.value()

    # -- the user's keys and clicks -------------------------------------------
    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        """Enter in "Retrain every" sets the number and gives the keys back; it never reaches the window, where
        it would confirm the ticked labels of a multi-label text."""
        if watched is self.every and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.every.interpretText()
            self.setFocus()
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undone.emit()
            return
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if self.accepting and modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            key = event.key()
            if key == Qt.Key.Key_Space:
                self.skipped.emit()
                return
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.multi_label:
                self._confirm()
                return
            index = self.key_map.get(event.text().lower())
            if index is not None:
                if self.multi_label:
                    self.boxes[index].toggle()
                else:
                    self._give((self.labels[index],))
                return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return  # never the dialog's default button by accident
        super().keyPressEvent(event)

    def _confirm(self) -> None:
        self._give(tuple(name for name, box in zip(self.labels, self.boxes) if box.isChecked()))

    def _give(self, labels: tuple[str, ...]) -> None:
        if self.accepting:
            self.labelled.emit(labels)

    def _names_given(self) -> None:
        names = tuple(dict.fromkeys(p.strip() for p in self.names.text().split(",") if p.strip()))
        self.labels_named.emit(names)
