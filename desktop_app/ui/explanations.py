"""Why a text got its label, wherever a text is shown: the Predict page's typed text (Explain carefully),
every row of the mistakes list (Train › Results) and of the batch results (Predict), by double-click.
The window's tasks runner computes them (core/explain.py); this module only wires and shows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QVBoxLayout

from . import jobs
from .panels.label_results import NAMES
from .widgets.explanation_view import ExplanationView


class Explanations:
    def __init__(self, parent, launcher, tasks, workspace, inference, training) -> None:
        """parent: the dialogs' parent; inference, training: the Predict and Train pages."""
        self.parent, self.launcher, self.tasks, self.workspace = parent, launcher, tasks, workspace
        self.inference, self.training = inference, training
        self.dialog: QDialog | None = None
        inference.explanation.careful_requested.connect(self.careful_for_typed_text)
        inference.explanation.target_requested.connect(self.target_for_typed_text)
        training.mistakes.doubleClicked.connect(self._mistake_chosen)
        inference.preview.doubleClicked.connect(self._batch_row_chosen)
        training.mistakes.setToolTip("Double-click a row to see which words made the model's choice.")
        inference.preview.setToolTip("Double-click a row to see which words made its label.")

    def careful_for_typed_text(self) -> None:
        view = self.inference.explanation
        if view.explanation is not None:
            self._for_typed_text("careful", view.chosen_target())

    def target_for_typed_text(self, target: str) -> None:
        """Multi-label: the typed text explained for another of the model's labels."""
        if self.inference.explanation.explanation is not None:
            self._for_typed_text("fast", target)

    def _for_typed_text(self, method: str, target: str | None) -> None:
        view, box = self.inference.explanation, self.inference.text
        if self.workspace.classifier is None:
            return
        text, model = view.explanation.text, self.workspace.classifier

        def show(explanation) -> None:  # only while the box holds that text and that model is in use: else dropped
            if box.toPlainText().strip() == explanation.text and self.workspace.classifier is model:
                view.show_explanation(explanation)
        self._run(text, method, show, view, target)

    def explain_text(self, text: str, title: str, target: str | None = None) -> None:
        """A dialog with `text` explained (fast first; Explain carefully in it for integrated gradients).
        `target`: the label to explain first (multi-label: a mistake's missed or wrongly added label)."""
        if self.workspace.classifier is None:
            QMessageBox.information(self.parent, "Why this label?", "Load or train a model first: explanations "
                                    "come from the model in use in Predict.")
            return
        dialog = QDialog(self.parent)
        dialog.setWindowTitle("Why this label? — LoRA Studio")
        dialog.resize(640, 320)
        layout = QVBoxLayout(dialog)
        heading = QLabel(title)
        heading.setTextFormat(Qt.TextFormat.PlainText)  # labels come from the user's data: text, not markup
        heading.setWordWrap(True)
        layout.addWidget(heading)
        view = ExplanationView()
        view.clear("Explaining…")
        if getattr(self.workspace.classifier, "multi_label", False):
            view.set_targets(list(self.workspace.classifier.labels))
            view.target_requested.connect(lambda target: self._run(text, "fast", view.show_explanation, view, target))
        layout.addWidget(view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout.addWidget(buttons)
        view.careful_requested.connect(lambda: self._run(text, "careful", view.show_explanation, view,
                                                         view.chosen_target()))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        self._run(text, "fast", view.show_explanation, view, target)

    def _run(self, text: str, method: str, show, view: ExplanationView, target: str | None = None) -> None:
        """In the tasks runner; when it is busy, or the explanation fails, the view says so and stays usable."""
        def failed(message: str, hint: str = "") -> None:
            if view.explanation is None:
                view.clear(f"No explanation: {message}")
            view.careful.setEnabled(view.explanation is not None and view.explanation.method == "fast")

        view.careful.setEnabled(False)
        if not self.launcher.run(self.tasks, "explaining",
                                jobs.explain_job(self.workspace.classifier, text, method, target), show, failed):
            failed(f"LoRA Studio is busy ({self.tasks.name}); try again in a moment.")

    def _mistake_chosen(self, index) -> None:
        table = self.training.mistakes.model()
        text = table.index(index.row(), 0).data()
        true, predicted = table.index(index.row(), 1).data(), table.index(index.row(), 2).data()
        if table.columnCount() > 4:  # several labels per text: say what was missed and added
            missed, added = table.index(index.row(), 3).data(), table.index(index.row(), 4).data()
            wrong = "; ".join(part for part in (missed and f"missed: {missed}", added and f"wrongly added: {added}")
                              if part)

            names = (table.index(index.row(), 3).data(NAMES) or []) + (table.index(index.row(), 4).data(NAMES) or [])
            first = names[0] if names else None  # the label the mistake is about: missed first, else wrongly added
            self.explain_text(text, f"Labelled “{true}” in the data, given “{predicted}” ({wrong}): the words the "
                                    f"model used, explained by {self._explainer()}.", first)
            return
        self.explain_text(text, f"Labelled “{true}” in the data, predicted “{predicted}”: the words the model "
                                f"used, explained by {self._explainer()}.")

    def _explainer(self) -> str:
        """Which model explains a mistake: the run's own, or, said plainly, another one loaded in Predict since."""
        ws = self.workspace
        run = getattr(ws.run.value, "adapter_dir", None) if ws.run is not None else None
        if ws.model is None or run is None or ws.model.source == str(run):
            return "the model in use in Predict"
        return f"the model in use in Predict ({ws.model_label}), not the run these mistakes come from"

    def _batch_row_chosen(self, index) -> None:
        batch = self.workspace.batch_to_save()  # the predictions shown: of the file and model selected now
        if batch is None or batch.detail not in batch.value.columns:
            return
        frame, column = batch.value, batch.detail  # the column they were made from, whatever the list says now
        row = index.row()  # the preview shows the result's rows in order (its first 5,000)
        if getattr(self.workspace.classifier, "multi_label", False):  # several labels per text
            labels = str(frame["predicted_labels"].iloc[row])
            given = f"given “{'; '.join(labels.split(';'))}”" if labels else "given none of the labels"
            self.explain_text(str(frame[column].iloc[row]), f"Why was row {row + 1} {given}?")
            return
        text, label = str(frame[column].iloc[row]), str(frame["predicted_label"].iloc[row])
        self.explain_text(text, f"Why was row {row + 1} called “{label}”?")
