"""Step 4: the adapter in use, live single-text predictions, and batch predictions on a file."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit,
                               QProgressBar, QPushButton, QScrollArea, QSizePolicy, QTableView, QVBoxLayout, QWidget)

from ...core.predict.inference import PREDICTED
from ...formatting import batch_summary_lines
from ..frame_model import FrameModel, columns_first, fit_columns
from ..jobs import SUMMARY
from ..widgets.charts import BarList
from ..widgets.confusion import ConfusionMatrixView
from ..widgets.explanation_view import ExplanationView
from ..widgets.flow_layout import FlowLayout
from ..widgets.no_wheel import guard_fields
from .score_text import manifest_scores

MAX_BARS_HEIGHT = 170  # px: the probability bars of 8 labels at most; more scroll


class InferencePanel(QWidget):
    load_adapter_requested = Signal()
    predict_requested = Signal(list)          # texts
    batch_file_requested = Signal()
    batch_run_requested = Signal(str)         # text column
    batch_cancel_requested = Signal()
    batch_save_requested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.thresholds: dict[str, float] | None = None  # multi-label models: each label's threshold
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>4 · Predict</h2>"))
        adapter_box = QGroupBox("Model in use")
        adapter_row = QHBoxLayout(adapter_box)
        self.adapter_info = QLabel("No model yet: train one, or load an adapter you exported earlier.")
        self.adapter_info.setWordWrap(True)
        self.adapter_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        load = QPushButton("Load adapter…")
        load.clicked.connect(self.load_adapter_requested)
        adapter_row.addWidget(self.adapter_info, 1)
        adapter_row.addWidget(load, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(adapter_box)

        single = QGroupBox("Type or paste a text")
        single_outer = QVBoxLayout(single)
        single_layout = QHBoxLayout()
        single_outer.addLayout(single_layout)
        self.text = QPlainTextEdit(placeholderText="e.g. The battery died after two days and support never answered.")
        self.text.setMaximumHeight(72)
        self.text.textChanged.connect(self._text_changed)
        single_layout.addWidget(self.text, 3)
        result = QVBoxLayout()
        self.verdict = QLabel("–")
        self.verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # cut, never widens
        self.verdict.setStyleSheet("font-size: 18px; font-weight: 600;")
        self.bars = BarList(maximum=1.0)
        self.bars_area = bars = QScrollArea()  # many labels scroll here instead of running under the explanation
        bars.setWidget(self.bars)
        bars.setWidgetResizable(True)
        bars.viewport().setAutoFillBackground(False)  # the group box shows through, as before the scroll area
        self.bars.setAutoFillBackground(False)
        bars.setFrameShape(QFrame.Shape.NoFrame)
        bars.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        result.addWidget(self.verdict)
        result.addWidget(bars)
        result.addStretch(1)
        single_layout.addLayout(result, 2)
        self.explanation = ExplanationView()  # why: the typed text's words, highlighted
        line = self.explanation.score.minimumHeight() + max(0, self.explanation.layout().spacing())
        self.explanation.setMaximumHeight(84 + line)  # and the line of the model's score and cautions
        single_outer.addWidget(self.explanation)
        layout.addWidget(single)
        self.debounce = QTimer(self, singleShot=True, interval=200)
        self.debounce.timeout.connect(self._emit_predict)

        batch = QGroupBox("Classify a whole file")
        batch_layout = QVBoxLayout(batch)
        row = FlowLayout()  # a narrow window wraps the buttons onto a second row instead of cutting them
        self.open_batch = QPushButton("Open file…")
        self.open_batch.clicked.connect(self.batch_file_requested)
        self.batch_file = QLabel("No file chosen.")
        self.column = QComboBox()
        self.column.setMinimumContentsLength(12)
        self.run_batch = QPushButton("Classify")
        self.run_batch.clicked.connect(lambda: self.batch_run_requested.emit(self.column.currentText()))
        self.cancel_batch = QPushButton("Cancel")
        self.cancel_batch.clicked.connect(self.batch_cancel_requested)
        self.save_batch = QPushButton("Save predictions…")
        self.save_batch.clicked.connect(self.batch_save_requested)
        column = QWidget()  # the label and its list stay together when the row wraps
        column_row = QHBoxLayout(column)
        column_row.setContentsMargins(0, 0, 0, 0)
        column_row.addWidget(QLabel("Text column:"))
        column_row.addWidget(self.column)
        for w in (self.open_batch, self.batch_file, column, self.run_batch, self.cancel_batch, self.save_batch):
            row.addWidget(w)
        batch_layout.addLayout(row)
        self.batch_progress = QProgressBar()
        batch_layout.addWidget(self.batch_progress)
        # its room is kept while it is empty: the buttons above never move when a summary comes or goes (a click
        # on Cancel landed where Cancel had been a moment before)
        self.summary_area = QWidget()
        summary_row = QHBoxLayout(self.summary_area)
        summary_row.setContentsMargins(0, 0, 0, 0)
        self.batch_summary = QLabel("")
        self.batch_summary.setWordWrap(True)
        self.batch_summary.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.batch_matrix = ConfusionMatrixView()
        self.batch_matrix.setToolTip("Rows: the file's label. Columns: the model's prediction.")
        height = max(124, 6 * self.batch_summary.fontMetrics().lineSpacing())  # the matrix, or 6 lines of text
        self.batch_matrix.setMinimumSize(260, height)
        self.batch_matrix.setMaximumHeight(height)
        self.batch_matrix.hide()
        summary_row.addWidget(self.batch_summary, 1)
        summary_row.addWidget(self.batch_matrix, 1)
        self.summary_area.setFixedHeight(height)
        batch_layout.addWidget(self.summary_area)
        self.preview_model = FrameModel()
        self.preview = QTableView()
        self.preview.setModel(self.preview_model)
        self.preview.setWordWrap(False)
        self.preview.verticalHeader().setDefaultSectionSize(22)
        self.preview.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.preview.horizontalHeader().setStretchLastSection(True)
        self.preview.setMinimumHeight(96)  # a few rows even at the default window size
        batch_layout.addWidget(self.preview, 1)
        layout.addWidget(batch, 1)
        guard_fields(self)  # the wheel scrolls the page; it changes the column only once that has focus
        self.cancel_batch.setEnabled(False)  # only while a file is classified (set_batch_running)
        self.set_batch_actions(False, False, False)
        self.set_model_ready(False)

    # -- behaviour --------------------------------------------------------
    def _text_changed(self) -> None:
        self.debounce.start()

    def _emit_predict(self) -> None:
        text = self.text.toPlainText().strip()
        if text and self.text.isEnabled():
            self.predict_requested.emit([text])
        elif not text:
            self.full_verdict = None
            self.verdict.setText("–")
            self.verdict.setToolTip("")
            self.bars.set_items([])
            self.bars_area.setMinimumHeight(self.bars.minimumHeight())
            self.explanation.clear()

    # -- fed by the main window -------------------------------------------
    def set_model_ready(self, ready: bool) -> None:
        self.text.setEnabled(ready)  # the batch buttons follow the window's rules (set_batch_actions)

    def set_batch_actions(self, can_open: bool, can_classify: bool, can_save: bool) -> None:
        """From the window's state (ui/state.py Rules): never set one by one elsewhere."""
        self.open_batch.setEnabled(can_open)
        self.run_batch.setEnabled(can_classify and self.column.count() > 0)
        self.save_batch.setEnabled(can_save)

    def set_adapter(self, manifest, source: str) -> None:
        """Show a loaded adapter's Manifest. Every string in it came from whoever shared the adapter:
        escaped, so a label such as <img src=…> stays text."""
        from html import escape


        multi = manifest.task == "multi_label"
        cuts = manifest.thresholds or [0.5] * len(manifest.labels)
        self.thresholds = dict(zip(manifest.labels, cuts)) if multi else None
        self.bars.row = 20 if multi else 26  # labels are often many: tighter bars
        self.explanation.set_targets(list(manifest.labels) if multi else None)
        kinds = f"Labels: {escape(', '.join(manifest.labels))} (several per text)" if multi else \
            f"Classes: {escape(', '.join(manifest.labels))}"
        self.adapter_info.setText(
            f"<b>{escape(source)}</b><br>Base model: {escape(manifest.base_model.name)} · {kinds}"
            f"<br>{manifest_scores(manifest)} · Created "
            f"{escape(manifest.created[:16].replace('T', ' ') or '?')}{escape(trained_where(manifest.training))}")
        self.set_model_ready(True)
        self._emit_predict()

    def show_prediction(self, prediction, explanation=None) -> None:
        if explanation is not None:
            self.explanation.show_explanation(explanation)
        else:  # live_job could not explain it: the reason is in the log
            self.explanation.clear("No explanation for this text (Help › Open log folder says why).")
        items = sorted(prediction.probabilities.items(), key=lambda kv: -kv[1])
        if prediction.labels is not None:  # several labels per text: each label on its own, with its threshold
            cuts = self.thresholds or {}
            self.full_verdict = "  ·  ".join(prediction.labels) or "none of the labels"
            self.bars.set_items([(name, p, f"{'✓ ' if name in prediction.labels else ''}{p:.0%} "
                                  f"(threshold {cuts.get(name, 0.5):.0%})") for name, p in items],
                                highlight=prediction.labels, markers=cuts)
        else:
            self.full_verdict = f"{prediction.label}  ·  {prediction.confidence:.0%}"
            self.bars.set_items([(name, p, f"{p:.1%}") for name, p in items], highlight=prediction.label)
        self.bars_area.setMinimumHeight(min(self.bars.minimumHeight(), MAX_BARS_HEIGHT))  # beyond: it scrolls
        self._fit_verdict()

    def _fit_verdict(self) -> None:
        """The verdict on one line, cut with "…" where a long label set does not fit (all of it in the tooltip).
        Not word-wrapped: a wrapped label's height depends on its width, which the page's layout, sized by
        minimums, ignores, and the bars would then run under the explanation on a small window."""
        text = getattr(self, "full_verdict", None)
        if text is None:
            return
        width = max(40, self.verdict.width())
        shown = self.verdict.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, width)
        self.verdict.setText(shown)
        self.verdict.setToolTip(text if shown != text else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_verdict()

    def set_batch_file(self, name: str, columns: list[str], guess: str | None) -> None:
        """A file to classify was read: its name and columns; the previous file's predictions go."""
        self.batch_file.setText(name)
        self.batch_file.setToolTip(name)
        self.column.clear()
        self.column.addItems(columns)
        if guess:
            self.column.setCurrentText(guess)
        self.clear_batch_result()

    def set_batch_running(self, running: bool) -> None:
        """Cancel only while a file is classified; what was shown before is not this run's result."""
        self.cancel_batch.setEnabled(running)
        if running:
            self.clear_batch_result()

    def clear_batch_result(self) -> None:
        """No predictions shown: none were made yet for this file and model, or they were cancelled."""
        self.preview_model.set_frame(None)
        self.batch_progress.setValue(0)
        self.show_batch_summary(None)

    def set_batch_progress(self, done: int, total: int) -> None:
        self.batch_progress.setMaximum(max(1, total))
        self.batch_progress.setValue(done)

    def set_batch_result(self, frame, text_column: str | None = None) -> None:
        self.preview_model.set_frame(frame.head(5000))  # a preview; the saved file has every row

        multi = frame.attrs.get(PREDICTED) == "predicted_labels"  # not the column's presence: an old file has it
        first = ["predicted_labels"] if multi else ["predicted_label", "confidence"]
        columns_first(self.preview, [str(c) for c in frame.columns], [*first, text_column])
        fit_columns(self.preview, 360)

        self.show_batch_summary(frame.attrs.get(SUMMARY))

    def show_batch_summary(self, summary) -> None:
        """Rows and time; with a label column in the file, accuracy and macro-F1 against it and the matrix."""
        from html import escape

        if summary is None:
            self.batch_summary.setText("")
            self.batch_matrix.hide()
            return
        lines = batch_summary_lines(summary, lambda s: f"<b>{s}</b>", escape)
        report = summary.report
        if report is not None and not report.multi_label:  # several labels per text: no confusion matrix
            self.batch_matrix.set_matrix(report.labels, report.confusion)
        self.batch_matrix.setVisible(report is not None and not report.multi_label)
        self.batch_summary.setText("<br>".join(lines))


def trained_where(training: dict) -> str:
    """Where and how a model was trained, from its (validated) manifest: " · Trained on …" or nothing."""
    device, world = training.get("device"), training.get("world_size") or 1
    if not device:
        return ""
    spread = f" × {world} processes (batch {training.get('effective_batch', '?')} per update)" if world > 1 else ""
    return f" · Trained on {device}{spread}"
