"""A text with its words highlighted by attribution (core/explain.py): blue for the words that support the
explained class, orange for those that speak against it, the stronger the score the stronger the colour; under
it the model's own score and any caution on how far to trust the explanation."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QTextBrowser,
                               QVBoxLayout, QWidget)

from ...core.predict.explain import STEPS

FOR, AGAINST = (37, 99, 235), (234, 88, 12)  # the probability bars' blue; an orange that reads as its opposite
CAUTION = "#b45309"  # a dark amber: a warning that stays readable, and is not the orange of the words against


def explanation_html(explanation) -> str:
    """The text as HTML, each explained word on a background whose strength follows its score; the text
    between words (spaces, line breaks, the cut middle of a long text) is shown as it is."""
    text, words = explanation.text, explanation.words
    strongest = max((abs(w.score) for w in words), default=0.0) or 1.0
    out, at = [], 0
    for w in words:
        out.append(escape(text[at:w.start]))
        r, g, b = FOR if w.score >= 0 else AGAINST
        alpha = 0.12 + 0.78 * abs(w.score) / strongest
        out.append(f'<span style="background-color: rgba({r},{g},{b},{alpha:.2f})" '
                   f'title="{w.score:+.3f}">{escape(w.word)}</span>')
        at = w.end
    out.append(escape(text[at:]))
    return "".join(out).replace("\n", "<br>")


def legend_html(explanation) -> str:
    method = f"{explanation.method}: {STEPS[explanation.method]} steps"
    swatch = '<span style="background-color: rgba({},{},{},0.75)">&nbsp;&nbsp;&nbsp;</span>'
    cut = " · a long text: its middle is not read, so not explained" if explanation.cut else ""
    return (f"Why “{escape(explanation.label)}”: {swatch.format(*FOR)} words for it, {swatch.format(*AGAINST)} "
            f"words against it; a stronger colour weighs more ({method}){cut}.")


def trust_lines(explanation) -> tuple[str, list[str]]:
    """The explaining model's score and how it was measured; the cautions on this explanation (a weak model,
    scores that miss the decision they explain, no score at all)."""
    m = explanation.model
    return (f"Model: {m.shown()}, {m.measured}." if m else ""), explanation.cautions()


class ExplanationView(QWidget):
    careful_requested = Signal()
    target_requested = Signal(str)  # multi-label: explain this label instead (the picker beside the legend)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setMinimumHeight(36)
        row = QHBoxLayout()
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.careful = QPushButton("Explain carefully")
        self.careful.setToolTip(f"Integrated gradients with {STEPS['careful']} steps instead of {STEPS['fast']}: "
                                "about half a second, and the scores add up more exactly to the model's decision.")
        self.careful.clicked.connect(self.careful_requested)
        self.target = QComboBox()  # shown for multi-label models: which label to explain
        self.target.setToolTip("Which label to explain: why the model gave it (or did not).")
        self.target.textActivated.connect(self.target_requested)
        self.target.hide()
        row.addWidget(self.legend, 1)
        row.addWidget(self.target)
        row.addWidget(self.careful)
        # The score, then the cautions, on one line that is always there and cut with "…" (all of it in the
        # tooltip): a caution that comes and goes as the user types must not move the page's buttons below (a
        # wrapped label's height follows its width, which the page's layout, sized by minimums, ignores), and
        # one line, not two, keeps the Predict page of a label-set model within the default window
        self.score, self.caution = QLabel(""), QLabel("")
        self.caution.setStyleSheet(f"color: {CAUTION}")
        trust = QHBoxLayout()
        for line in (self.score, self.caution):
            line.setTextFormat(Qt.TextFormat.PlainText)
            line.setSizePolicy(QSizePolicy.Policy.Fixed if line is self.score else QSizePolicy.Policy.Ignored,
                               QSizePolicy.Policy.Fixed)
            line.setMinimumHeight(line.fontMetrics().lineSpacing())
            trust.addWidget(line, 0 if line is self.score else 1)
        self.full = ("", "")  # the score and the cautions before they were cut to the width
        layout.addWidget(self.text, 1)
        layout.addLayout(row)
        layout.addLayout(trust)
        self.explanation = None
        self.clear()

    def show_explanation(self, explanation, trust: str | None = None) -> None:
        """trust: a line of the caller's on how far the explaining model holds, instead of the model's own score
        and cautions (the label review's model has no saved score: the review measured its agreement)."""
        self.explanation = explanation
        if explanation is None:
            self.clear()
            return
        self.text.setHtml(explanation_html(explanation))
        self.legend.setText(legend_html(explanation))
        score, cautions = trust_lines(explanation)
        self._set_trust(*((trust, "") if trust is not None else (score, "  ".join(f"⚠ {c}" for c in cautions))))
        if self.target.isVisibleTo(self) and self.target.findText(explanation.label) >= 0:
            self.target.setCurrentText(explanation.label)
        self.careful.setEnabled(explanation.method == "fast")

    def _set_trust(self, score: str, caution: str) -> None:
        self.full = (score, caution)
        self._fit_trust()

    def _fit_trust(self) -> None:
        """The score whole where it fits (at most half the line beside a caution), the cautions in the rest."""
        score, caution = self.full
        room, gap = max(80, self.width()), 12
        metrics = self.score.fontMetrics()
        wide = metrics.horizontalAdvance(score) + 2 if score else 0
        if caution:
            wide = min(wide, room // 2)
        self.score.setFixedWidth(min(wide, room))
        cut = False
        for line, text, width in ((self.score, score, wide), (self.caution, caution, room - wide - gap)):
            shown = line.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(40, width))
            line.setText(shown)
            cut = cut or shown != text
        for line in (self.score, self.caution):
            line.setToolTip("\n".join(t for t in self.full if t) if cut else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_trust()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        """Sized by its minimum like its neighbours: its wrapped legend's height-for-width would make the page's
        layout take height from the widgets above it, running the label bars under this view."""
        return False

    def set_targets(self, labels: list[str] | None) -> None:
        """A multi-label model's labels, any of which can be explained; None hides the picker."""
        self.target.clear()
        self.target.addItems(labels or [])
        self.target.setVisible(bool(labels))

    def chosen_target(self) -> str | None:
        """The label the shown explanation explains, when the picker is in use (else None: the prediction)."""
        return self.explanation.label if self.target.isVisibleTo(self) and self.explanation is not None else None

    def clear(self, message: str = "The words that made the label are highlighted here.") -> None:
        self.explanation = None
        self.text.setHtml(f"<i>{escape(message)}</i>")
        self.legend.setText("")
        self._set_trust("", "")
        self.careful.setEnabled(False)
