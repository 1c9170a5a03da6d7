"""Step 1: choose a data file, see it, pick the text and label columns, read the report, set the split."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QGroupBox, QHBoxLayout, QHeaderView,
                               QLabel, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QScrollArea, QSplitter,
                               QStackedWidget, QStyle, QTableView, QVBoxLayout, QWidget)

from ..frame_model import FrameModel, columns_first, fit_columns
from ..widgets.charts import BarList
from ..widgets.drop_zone import DropZone
from ..widgets.no_wheel import guard_fields
from .label_controls import LabelControls

# what the Encoding list offers besides the guess and its rivals: the encodings users' files come in most
COMMON_ENCODINGS = ("utf-8", "cp1252", "latin-1", "utf-16", "shift_jis", "euc_jp", "cp949", "gb18030", "big5",
                    "cp1251", "koi8_r", "cp1250", "cp1253", "cp1254", "cp1255", "cp1256", "cp874", "cp1258")


class DatasetPanel(QWidget):
    open_requested = Signal()
    file_chosen = Signal(str)
    columns_changed = Signal(str, str)        # text column, label column (or how labels are read: label_spec())
    encoding_chosen = Signal(str)             # the text file's encoding ("": guessed)
    validation_file_requested = Signal()
    sample_requested = Signal()
    split_changed = Signal()                  # the validation or test share, or the validation file
    review_requested = Signal()               # Review labels…: the rows whose label looks wrong
    label_requested = Signal()                # Label texts…: label the rows without a label, one at a time

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.report = None
        self.labels = LabelControls(self)
        self.labels.changed.connect(self._columns_edited)
        self.validation_path: str | None = None
        self.stack = QStackedWidget()
        self.drop = DropZone("Drop a data file here\n\nCSV, TSV, JSON Lines, Parquet or Excel, "
                             "with one column of texts and one of labels")
        self.drop.file_dropped.connect(self.file_chosen)
        self.drop.open_clicked.connect(self.open_requested)
        self.stack.addWidget(self._build_empty())
        self.stack.addWidget(self._build_loaded())
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        layout = QVBoxLayout(self)
        title = QLabel("<h2>1 · Dataset</h2>")
        layout.addWidget(title)
        layout.addWidget(self.busy)
        layout.addWidget(self.stack, 1)
        guard_fields(self)  # the wheel scrolls the side column; it changes a field only once that has focus

    def _build_empty(self) -> QWidget:
        """The first page a new user sees: drop or open a file, or try the bundled sample (under Open…)."""
        hint = QLabel("No data at hand? Try LoRA Studio on 420 short product reviews labelled "
                      "positive, negative or neutral.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.sample_button = QPushButton("Try the sample dataset")
        self.sample_button.setToolTip("Loads the sample reviews that come with LoRA Studio.")
        self.sample_button.clicked.connect(self.sample_requested)
        layout = self.drop.layout()
        at = layout.count() - 1  # before the closing stretch
        layout.insertSpacing(at, 24)
        layout.insertWidget(at + 1, hint)
        layout.insertWidget(at + 2, self.sample_button, 0, Qt.AlignmentFlag.AlignHCenter)
        return self.drop

    def _build_loaded(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        top = QHBoxLayout()
        self.facts = QLabel()
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)
        other = QPushButton("Open another file…")
        other.clicked.connect(self.open_requested)
        top.addWidget(self.facts, 1)
        self.review_button = QPushButton("Review labels…")
        self.review_button.setToolTip("Find the rows whose label looks wrong, and fix or drop them in a new file.")
        self.review_button.clicked.connect(self.review_requested)
        top.addWidget(self.review_button)
        self.label_button = QPushButton("Label texts…")
        self.label_button.setToolTip("Label the rows that have no label yet, one text at a time, the most useful "
                                     "first; the labels go to a new file beside this one.")
        self.label_button.clicked.connect(self.label_requested)
        top.addWidget(self.label_button)
        top.addWidget(other)
        outer.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = FrameModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # a column wider than a narrow table still shows its name (centred, it sat out of view)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        split.addWidget(self.table)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        columns = QGroupBox("Columns")
        form = QFormLayout(columns)
        self.text_combo, self.label_combo = QComboBox(), QComboBox()
        form.addRow("Text:", self.text_combo)
        form.addRow("Label:", self.label_combo)
        self.encoding_combo = QComboBox()
        self.encoding_combo.setToolTip("How the file's bytes become letters. If the texts or labels look garbled, "
                                       "choose the encoding that reads right (the checks below name the likely ones).")
        self.encoding_combo.activated.connect(lambda i: self.encoding_chosen.emit(self.encoding_combo.itemData(i)))
        form.addRow("Encoding:", self.encoding_combo)
        self.label_combo.setPlaceholderText("(the yes/no columns below)")
        self.text_combo.activated.connect(self._columns_edited)
        self.label_combo.activated.connect(self._label_column_chosen)
        self.labels.add_to(form)
        side_layout.addWidget(columns)

        self.classes = classes = QGroupBox("Classes")
        classes_layout = QVBoxLayout(classes)
        self.class_bars = BarList()
        classes_layout.addWidget(self.class_bars)
        side_layout.addWidget(classes)

        checks = QGroupBox("Checks")
        checks_layout = QVBoxLayout(checks)
        self.messages = QListWidget()
        self.messages.setWordWrap(True)
        self.messages.setMinimumHeight(48)  # grows with the room left; the label settings need some
        checks_layout.addWidget(self.messages)
        side_layout.addWidget(checks, 1)

        splits = QGroupBox("Validation")
        split_form = QFormLayout(splits)
        self.val_share = QDoubleSpinBox(suffix=" %", decimals=0, minimum=5, maximum=50, value=15)
        self.test_share = QDoubleSpinBox(suffix=" %", decimals=0, minimum=0, maximum=40, value=0)
        self.val_share.setToolTip("Share of each class held out to measure the model (stratified).")
        self.test_share.setToolTip("Optional share held out for a final test, never seen during training.")
        for box in (self.val_share, self.test_share):
            box.valueChanged.connect(lambda _v: self.split_changed.emit())
        split_form.addRow("Validation share:", self.val_share)
        split_form.addRow("Test share:", self.test_share)
        val_row = QHBoxLayout()
        self.val_file_label = QLabel("or a separate file: none")
        pick = QPushButton("Choose…")
        pick.clicked.connect(self.validation_file_requested)
        clear = QPushButton("Clear")
        clear.clicked.connect(lambda: self.set_validation_file(None))
        val_row.addWidget(self.val_file_label, 1)
        val_row.addWidget(pick)
        val_row.addWidget(clear)
        split_form.addRow(val_row)
        side_layout.addWidget(splits)
        for combo in side.findChildren(QComboBox):  # a long column name or encoding does not widen the column
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        scroll = _SideScroll()  # the label settings add rows: they scroll instead of making the window taller
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.viewport().setAutoFillBackground(False)
        side.setAutoFillBackground(False)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        split.addWidget(scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        outer.addWidget(split, 1)
        return page

    # -- fed by the main window -------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def set_table(self, table, report, yes_no: list[str] = (), encoding: str | None = None) -> None:
        """`encoding`: the one the user chose for this file (None: the guess, table.encoding)."""
        self.model.set_frame(table.frame)
        self.set_encoding(table, encoding)
        for combo in (self.text_combo, self.label_combo):
            combo.clear()
            combo.addItems(table.columns)
        self.stack.setCurrentIndex(1)
        QTimer.singleShot(0, lambda: fit_columns(self.table, 360))  # once the page has its real width
        self.labels.reset()
        self.set_report(report, yes_no)

    def set_report(self, report, yes_no: list[str] = ()) -> None:
        self.report = report
        if report.text_column:
            self.text_combo.setCurrentText(report.text_column)
        if report.label_column:
            self.label_combo.setCurrentText(report.label_column)
        elif report.label_columns:
            self.label_combo.setCurrentIndex(-1)  # the placeholder: the labels are the yes/no columns
        self.labels.set_report(report, list(yes_no))
        self._chosen_columns_first(report.columns, [report.text_column, report.label_column, *report.label_columns])
        fmt = report.format + (f", {report.encoding}" if report.encoding else "")
        line = report.describe_labels()
        labels = f"<br>{escape(line[:1].upper() + line[1:])}" if report.multi_label else ""
        self.facts.setText(f"<b>{escape(Path(report.file).name)}</b> — {fmt} — {report.rows_read:,} rows, "
                           f"{len(report.columns)} columns — <b>{report.rows_usable:,}</b> usable examples{labels}")
        self.classes.setTitle("Labels (texts with each)" if report.multi_label else "Classes")
        counts = report.class_counts
        shown = sorted(counts.items(), key=lambda kv: -kv[1])[:30]
        self.class_bars.set_items([(name, n, f"{n:,}") for name, n in shown])
        self._show_messages()

    def set_cut(self, sentence: str) -> None:
        """The texts the length training will use cuts (Configure decides the length; "" when none is cut)."""
        self._cut = sentence
        if getattr(self, "report", None) is not None:
            self._show_messages()

    def _show_messages(self) -> None:
        report, cut = self.report, getattr(self, "_cut", "")
        self.messages.clear()
        style = self.style()
        for text in report.errors:
            QListWidgetItem(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical), text, self.messages)
        for text in report.warnings + ([cut] if cut and report.ok else []):
            QListWidgetItem(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), text, self.messages)
        if report.ok and not report.warnings and not cut:
            QListWidgetItem(style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                            "No problems found. Ready to train.", self.messages)

    def set_encoding(self, table, chosen: str | None) -> None:
        """Automatic (naming the guess), the encodings that could be right, then the common ones; only a text
        file has an encoding (Parquet and Excel store letters, not bytes)."""
        combo = self.encoding_combo
        combo.clear()
        guessed = f"Automatic ({table.encoding})" if table.encoding and not chosen else "Automatic"
        combo.addItem(guessed, "")
        names = [*table.candidates, *COMMON_ENCODINGS]
        if chosen:
            names.insert(0, chosen)
        for name in dict.fromkeys(names):
            combo.addItem(name + ("  (could be right)" if name in table.candidates else ""), name)
        combo.setCurrentIndex(combo.findData(chosen) if chosen else 0)
        combo.setEnabled(table.encoding is not None)

    def _chosen_columns_first(self, columns: list[str], chosen: list[str | None]) -> None:
        columns_first(self.table, columns, chosen)

    def set_validation_file(self, path: str | None) -> None:
        self.validation_path = path
        self.val_file_label.setText(f"or a separate file: {Path(path).name if path else 'none'}")
        self.val_share.setEnabled(path is None)
        self.split_changed.emit()

    def _label_column_chosen(self) -> None:
        self.labels.use_label_column()
        self._columns_edited()

    def _columns_edited(self) -> None:
        sel = self.selection()
        self.columns_changed.emit(sel["text_column"] or "", sel["label_column"] or "")

    # -- read by the main window ------------------------------------------
    def selection(self) -> dict:
        columns = self.labels.spec().columns
        return {"text_column": self.text_combo.currentText() or None,
                "label_column": None if columns else self.label_combo.currentText() or None,
                "validation_fraction": self.val_share.value() / 100,
                "test_fraction": self.test_share.value() / 100,
                "validation_path": self.validation_path}

    def label_spec(self):
        """How the labels are to be read (core/multilabel.LabelSpec), as the user set it here."""
        return self.labels.spec()


class _SideScroll(QScrollArea):
    """Scrolls up and down only, so it is never narrower than what it holds: the splitter narrows the table
    instead (which scrolls sideways itself) and the Validation buttons stay in view on a narrow window."""

    def minimumSizeHint(self):  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        inner = self.widget().minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
        return QSize(max(hint.width(), inner), hint.height())
