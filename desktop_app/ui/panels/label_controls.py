"""How the labels are read (Dataset step): one or several per text, the separator of a joined cell, whether a
row without labels means “none of these”, and which yes/no columns are labels. It only holds the user's
choices and shows what the report found; core/multilabel.LabelSpec is what it hands over."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QStyle, QStyleOptionComboBox, QStylePainter

from ...core.data.multilabel import SEPARATORS, LabelSpec

ONE, SEVERAL = "One label", "Several labels"  # per text (the row's name)
AUTO = "auto"
DETECTED = " (auto-detected)"


class LabelControls(QObject):
    changed = Signal()  # the user changed how labels are read (debounced: a few clicks make one report)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.mode: bool | None = None   # None: as the data shows; True/False: the user's choice
        self.columns_in_use = False     # the checked yes/no columns are the labels (not the label column)
        self.multi = False              # what the last report read
        self.unlabelled = False         # the last report found rows without labels
        self.yes_no: list[str] = []     # the table's yes/no columns
        self.last_columns: list[str] = []  # the yes/no columns last read as labels: back when "several" is chosen again
        self.combo = QComboBox()
        self.combo.addItems([ONE, SEVERAL])
        self.combo.setToolTip("One label per text (a class each), or several (each label learnt on its own). "
                              "LoRA Studio detects it; choose here to read the labels the other way.")
        self.combo.activated.connect(self._mode_chosen)
        self.separator = QComboBox()
        self.separator.setEditable(True)
        self.separator.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.separator.addItems([AUTO, *SEPARATORS])
        self.separator.setToolTip("What joins the labels in a cell, e.g. “sports;politics”. "
                                  "Pick one, or type another and press Enter.")
        self.separator.activated.connect(self._edited)
        self.separator.lineEdit().editingFinished.connect(self._edited)
        self.none = QCheckBox("A row without labels means “none of these”")
        self.none.setToolTip("Checked: a row with no label is kept, as a text that has none of the labels. "
                             "Unchecked: such rows are skipped.")
        self.none.toggled.connect(self._edited)
        self.columns = ColumnChoice()
        self.columns.setToolTip("Columns of yes/no (1/0) values, one per label: check those that are labels.")
        self.columns.model().itemChanged.connect(self._column_checked)
        self.debounce = QTimer(self, singleShot=True, interval=250)
        self.debounce.timeout.connect(self.changed)
        self.form: QFormLayout | None = None
        self._filling = False

    def add_to(self, form: QFormLayout) -> None:
        self.form = form
        form.addRow("Per text:", self.combo)
        form.addRow("Separator:", self.separator)
        form.addRow(self.none)
        form.addRow("Yes/no columns:", self.columns)
        self._show_rows(False, [])

    # -- fed by the dataset panel ------------------------------------------
    def reset(self) -> None:
        """A new file: back to reading the labels as its data shows."""
        self.mode, self.columns_in_use, self.last_columns = None, False, []
        self._filling = True
        self.separator.setCurrentIndex(0)
        self.none.setChecked(False)
        self._filling = False

    def set_report(self, report, yes_no: list[str]) -> None:
        self._filling = True
        try:
            self.multi = report.multi_label
            self.columns_in_use = bool(report.label_columns)
            self.yes_no = list(yes_no)
            if report.label_columns:
                self.last_columns = list(report.label_columns)
            for i, text in enumerate((ONE, SEVERAL)):
                self.combo.setItemText(i, text + (DETECTED if self.mode is None and i == int(self.multi) else ""))
            self.combo.setCurrentIndex(int(self.mode if self.mode is not None else self.multi))
            if report.label_separator and self.separator.currentIndex() == 0:
                self.separator.setItemText(0, f"{AUTO} (found “{report.label_separator}”)")
            elif self.separator.currentIndex() == 0 or not self.multi:
                self.separator.setItemText(0, AUTO)
            self.columns.set_columns(yes_no, report.label_columns)
            # "none of these" is offered where it matters: rows without labels were found (or it is on already)
            self.unlabelled = self.none.isChecked() or report.rows_without_labels > 0
            self._show_rows(self.combo.currentIndex() == 1, yes_no)
        finally:
            self._filling = False

    def use_label_column(self) -> None:
        """The user picked a label column: it holds the labels, not the yes/no columns."""
        self.columns_in_use = False

    # -- read by the dataset panel -----------------------------------------
    def spec(self) -> LabelSpec:
        several = self.mode is not False
        columns = tuple(self.checked()) if several and self.columns_in_use else ()
        separator = None if columns or not several else self._separator()
        return LabelSpec(self.mode, separator, columns, several and self.none.isChecked())

    def checked(self) -> list[str]:
        return self.columns.checked()

    def _separator(self) -> str | None:
        text = self.separator.currentText().strip()
        return None if not text or text.startswith(AUTO) else text

    # -- behaviour ------------------------------------------------------------
    def _show_rows(self, several: bool, yes_no: list[str]) -> None:
        if self.form is None:
            return
        self.form.setRowVisible(self.separator, several and not self.columns_in_use)
        self.form.setRowVisible(self.none, several and self.unlabelled)
        self.form.setRowVisible(self.columns, several and len(yes_no) >= 2)

    def _mode_chosen(self, index: int) -> None:
        self.mode = index == 1
        if not self.mode:
            self.columns_in_use = False
        elif self.last_columns and not self.columns_in_use:  # several again: the yes/no columns read before
            self._filling = True
            self.columns.set_columns(self.yes_no, self.last_columns)
            self._filling = False
            self.columns_in_use = True
        self._edited()

    def _column_checked(self, _item) -> None:
        if not self._filling:
            self.columns_in_use = True
            self._edited()

    def _edited(self, *_args) -> None:
        if not self._filling:
            self.debounce.start()


class ColumnChoice(QComboBox):
    """A drop-down of checkable column names that shows the checked ones ("fresh, rotten, plot"); it stays open
    while the user checks several (one line in the form instead of a list)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setModel(QStandardItemModel(self))
        self.view().pressed.connect(self._pressed)
        self._keep_open = False

    def set_columns(self, names: list[str], checked) -> None:
        model = self.model()
        model.blockSignals(True)
        model.clear()
        for name in names:
            item = QStandardItem(name)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # _pressed toggles it (the view would toggle it twice)
            item.setCheckState(Qt.CheckState.Checked if name in checked else Qt.CheckState.Unchecked)
            model.appendRow(item)
        model.blockSignals(False)
        self.update()

    def item(self, row: int) -> QStandardItem:
        return self.model().item(row)

    def checked(self) -> list[str]:
        model = self.model()
        return [model.item(r).text() for r in range(model.rowCount())
                if model.item(r).checkState() == Qt.CheckState.Checked]

    def summary(self) -> str:
        chosen = self.checked()
        return ", ".join(chosen) if chosen else "none checked"

    def _pressed(self, index) -> None:
        item = self.model().itemFromIndex(index)
        checked = item.checkState() == Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)
        self._keep_open = True  # the click that checked it does not close the list
        self.update()

    def hidePopup(self) -> None:  # noqa: N802 - Qt's name
        if self._keep_open:
            self._keep_open = False
            return
        super().hidePopup()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        room = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                           QStyle.SubControl.SC_ComboBoxEditField, self).width()
        option.currentText = self.fontMetrics().elidedText(self.summary(), Qt.TextElideMode.ElideRight, room)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
