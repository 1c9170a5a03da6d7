"""Run history: every saved run with its dataset, date, duration, examples, metrics and preset; two runs
side by side; a run opened in Predict; a run deleted (ours only, after asking)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...core.artifacts.runs import RunInfo, compare, delete_run, duration
from ...core.base.errors import StudioError

COLUMNS = ["Run", "Dataset", "Date", "Duration", "Examples", "Accuracy", "Macro-F1", "Preset", "Outcome"]
COMPARE_HINT = "Select two runs (Ctrl+click) and press Compare."
# the saved settings' names (TrainConfig, flattened) in the words the Configure page uses
SETTING_NAMES = {"base_model": "Base model", "preset": "Preset", "lora.r": "LoRA rank (r)",
                 "lora.alpha": "LoRA alpha", "lora.dropout": "LoRA dropout", "lora.targets": "Adapted layers",
                 "lora.layer_share": "Top layers adapted",
                 "epochs": "Epochs", "learning_rate": "Learning rate", "batch_size": "Batch size",
                 "max_length": "Max length", "max_length_cap": "Max length cap", "weight_decay": "Weight decay",
                 "model_dropout": "Model dropout", "warmup": "Warm-up steps", "class_weighting": "Class weighting",
                 "early_stopping_patience": "Early stopping patience", "min_steps": "Minimum updates",
                 "validation_fraction": "Validation share", "test_fraction": "Test share", "seed": "Seed",
                 "device": "Device", "precision": "Number format", "frozen_cache_mb": "Frozen-layer cache (MB)",
                 "text_column": "Text column", "label_column": "Label column", "allow_download": "Allow downloading",
                 "multi_label": "Labels per text", "label_separator": "Label separator",
                 "label_columns": "Yes/no label columns", "none_of_these": "No label means none of these"}


class _Item(QTableWidgetItem):
    """Sorts by the number behind the text (durations, counts, metrics)."""

    def __init__(self, text: str, key=None) -> None:
        super().__init__(text)
        self.key = key

    def __lt__(self, other) -> bool:
        if isinstance(other, _Item) and self.key is not None and other.key is not None:
            return self.key < other.key
        return self.text() < other.text()  # (super().__lt__ would call back into this method)


class HistoryPanel(QWidget):
    open_requested = Signal(str)  # an adapter folder to use in Predict
    deleted = Signal(str)         # a run folder that was deleted

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.runs: list[RunInfo] = []
        self.estimates: list = []  # each run's ScoreEstimate (how its scores were measured), or None
        self.in_use: str | None = None  # the folder of the model in Predict (the main window keeps it current)
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # the newest run first
        self.table.itemSelectionChanged.connect(self._selection_changed)
        split.addWidget(self.table)
        self.compare_box = QGroupBox("Compare two runs")
        box = QVBoxLayout(self.compare_box)
        self.compare_note = QLabel(COMPARE_HINT)
        self.compare_table = QTableWidget(0, 3)
        self.compare_table.setHorizontalHeaderLabels(["", "", ""])  # not "1 2 3" before a comparison
        self.compare_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare_table.verticalHeader().hide()
        self.compare_table.verticalHeader().setDefaultSectionSize(22)
        self.compare_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.compare_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        box.addWidget(self.compare_note)
        box.addWidget(self.compare_table)
        split.addWidget(self.compare_box)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout.addWidget(split, 1)
        buttons = QHBoxLayout()
        self.compare_button = QPushButton("Compare")
        self.open_button = QPushButton("Open in Predict")
        self.delete_button = QPushButton("Delete run…")
        self.compare_button.clicked.connect(self.compare_selected)
        self.open_button.clicked.connect(self._open)
        self.delete_button.clicked.connect(self.delete_selected)
        buttons.addStretch(1)
        for button in (self.compare_button, self.open_button, self.delete_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._selection_changed()

    # -- filling ------------------------------------------------------------
    def add_run(self, run: RunInfo, estimate=None) -> None:
        """A run's row; a multi-label run's micro-F1 is shown where accuracy is, the accuracy in its tooltip.
        A cross-validated run (its manifest's `estimate`) shows the folds' mean ± spread, as its results did."""
        self.runs.append(run)
        self.estimates.append(estimate)
        micro_f1 = run.micro_f1
        self.table.setSortingEnabled(False)
        row = self.table.rowCount()
        self.table.insertRow(row)
        cells = [_Item(run.name), _Item(run.dataset), _Item(run.date, run.date),
                 _Item(duration(run.seconds), run.seconds if run.seconds is not None else -1),
                 _Item("–" if run.examples is None else f"{run.examples:,}", run.examples or 0),
                 _Item("–" if run.accuracy is None else f"{run.accuracy:.1%}", run.accuracy or 0),
                 _Item("–" if run.macro_f1 is None else f"{run.macro_f1:.3f}", run.macro_f1 or 0),
                 _Item(run.preset), _Item(outcome(run))]
        if micro_f1 is not None:
            cells[5] = _Item(f"micro-F1 {micro_f1:.3f}", micro_f1)
            right = "–" if run.accuracy is None else f"{run.accuracy:.1%}"
            cells[5].setToolTip(f"Several labels per text: micro-F1 {micro_f1:.3f}; every label right on {right} "
                                "of the validation texts.")
        if estimate is not None and estimate.cross_validated:
            _cross_validated_cells(cells, estimate, micro_f1 is not None)
        cells[0].setData(Qt.ItemDataRole.UserRole, len(self.runs) - 1)
        cells[-1].setToolTip(cells[-1].text())  # the outcome, in full where the column cuts it
        for col, item in enumerate(cells):
            if run.note:  # the one sentence saying which epoch's numbers these are, wherever the row is read
                item.setToolTip("\n\n".join(t for t in (item.toolTip(), run.note) if t))
            self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)

    def add_manifest(self, name: str, manifest, folder: Path | None = None) -> None:
        self.add_run(RunInfo.from_manifest(name, manifest, folder), getattr(manifest, "estimate", None))

    def rowCount(self) -> int:  # noqa: N802 - the table's API, kept for callers of the old history table
        return self.table.rowCount()

    def item(self, row: int, column: int):
        return self.table.item(row, column)

    # -- selection and actions ----------------------------------------------
    def selected(self) -> list[RunInfo]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [self.runs[self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)] for r in rows]

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.compare_button.setEnabled(len(chosen) == 2)
        one = chosen[0] if len(chosen) == 1 else None
        self.open_button.setEnabled(bool(one and one.folder))
        self.delete_button.setEnabled(bool(one and one.folder))

    def compare_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) != 2:
            return
        a, b = sorted(chosen, key=lambda run: (run.date, run.name))  # the older run on the left
        metrics, settings = compare(a, b)
        metrics = _measured_rows(metrics, self._estimate(a), self._estimate(b))
        settings = [(SETTING_NAMES.get(key, key.replace("_", " ").capitalize()), x, y) for key, x, y in settings]
        rows = [*metrics, ("Settings that differ", "", "")] + (settings or [("(none: same settings)", "", "")])
        self.compare_table.clearContents()
        self.compare_table.setRowCount(len(rows))
        self.compare_table.setHorizontalHeaderLabels(["", a.name, b.name])
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value if c and len(value) > 30 else "")  # a note, a long name: read in full
                if values[0] == "Settings that differ" or (c and values[1] != values[2]):
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.compare_table.setItem(r, c, item)
        one = len(settings) == 1
        self.compare_note.setText(f"“{a.name}” and “{b.name}”: {len(settings)} setting{'' if one else 's'} "
                                  f"{'differs' if one else 'differ'}; differing values in bold.")

    def _estimate(self, run: RunInfo):
        return next((e for r, e in zip(self.runs, self.estimates) if r is run), None)

    def _open(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1 and chosen[0].folder:
            self.open_requested.emit(str(chosen[0].folder))

    def confirm_delete(self, run: RunInfo) -> bool:
        in_use = ("\n\nIt is the model in use in Predict: it keeps predicting until you load another, but it can "
                  "no longer be exported.") if self.in_use == str(run.folder) else ""
        answer = QMessageBox.question(self, "Delete run", f"Delete the run “{run.name}” and its adapter?\n"
                                      f"{run.folder}{in_use}\n\nThis cannot be undone.")
        return answer == QMessageBox.StandardButton.Yes

    def delete_selected(self) -> None:
        chosen = self.selected()
        if len(chosen) != 1 or chosen[0].folder is None or not self.confirm_delete(chosen[0]):
            return
        run = chosen[0]
        try:
            delete_run(run.folder)
        except (StudioError, OSError) as exc:
            QMessageBox.warning(self, "Delete run", str(getattr(exc, "message", exc)))
            return
        for row in range(self.table.rowCount()):
            if self.runs[self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)] is run:
                self.table.removeRow(row)
                break
        self.compare_table.setRowCount(0)
        self.compare_table.setHorizontalHeaderLabels(["", "", ""])
        self.compare_note.setText(COMPARE_HINT)
        self.deleted.emit(str(run.folder))


def outcome(run: RunInfo) -> str:
    """The outcome, and the epoch the row's scores are from where it is not the last one trained."""
    return run.outcome + (f"; scores of epoch {run.kept_epoch:g}, the one kept" if run.kept_earlier else "")


def _cross_validated_cells(cells: list, estimate, multi: bool) -> None:
    """The Accuracy (micro-F1) and Macro-F1 cells of a cross-validated run: mean ± spread, and how measured."""
    first = ("micro_f1", "micro-F1 ", False) if multi else ("accuracy", "", True)
    for col, (metric, prefix, percent) in ((5, first), (6, ("macro_f1", "", False))):
        shown = estimate.plus_minus(metric, percent=percent)
        if shown:
            cells[col] = _Item(prefix + shown, (estimate.mean or {}).get(metric, 0))
            cells[col].setToolTip(f"{prefix}{shown}, {estimate.phrase()} (mean ± spread over the folds).")


# compare()'s metric rows (core/runs.py) whose values a cross-validated run shows as mean ± spread
_ESTIMATED = {"Accuracy": ("accuracy", True), "Macro-F1": ("macro_f1", False), "Micro-F1": ("micro_f1", False)}


def _measured_rows(metrics: list, a, b) -> list:
    """compare()'s rows with a cross-validated run's scores as its results showed them, and a row saying how
    each run was measured (older adapters: on a validation split)."""
    if not any(e is not None and e.cross_validated for e in (a, b)):
        return metrics
    out = []
    for name, x, y in metrics:
        key = _ESTIMATED.get(name.split(" (")[0])
        if key:
            x, y = (e.plus_minus(key[0], percent=key[1]) or v if e is not None else v for e, v in ((a, x), (b, y)))
        out.append((name, x, y))
        if name == "Date":
            out.append(("Scores measured", *(_phrase(e) for e in (a, b))))
    return out


def _phrase(estimate) -> str:
    return estimate.phrase() if estimate is not None else "on a validation split"
