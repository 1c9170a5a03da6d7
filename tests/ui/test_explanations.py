"""Explained predictions in the window: the typed text's words highlighted (fast while typing, careful on
request), and any row of the mistakes list or of the batch results opened with its explanation."""

from PySide6.QtWidgets import QDialog, QLabel

from desktop_app.core.predict.explain import Explanation, WordScore
from desktop_app.ui.widgets.explanation_view import ExplanationView


def _explanation(method="fast"):
    text = "great plot, awful acting"
    words = [WordScore("great", 0.9, 0, 5), WordScore("plot,", 0.1, 6, 11), WordScore("awful", -0.6, 12, 17),
             WordScore("acting", 0.0, 18, 24)]
    return Explanation(text, "positive", "positive", {"positive": 0.7, "negative": 0.3}, method, words)


def test_words_are_highlighted_by_strength_and_side_with_a_legend(qtbot):
    from desktop_app.ui.widgets.explanation_view import explanation_html

    html = explanation_html(_explanation())
    assert 'rgba(37,99,235,0.90)" title="+0.900">great</span>' in html  # the strongest: the fullest colour
    assert 'rgba(234,88,12,' in html and ">awful</span>" in html       # against: orange
    assert html.count("<span") == 4 and " " in html                    # the spaces between words kept
    view = ExplanationView()
    qtbot.addWidget(view)
    view.show_explanation(_explanation())
    assert "Why “positive”" in view.legend.text() and "words against it" in view.legend.text()
    assert view.careful.isEnabled()  # fast shown: the careful method can follow
    view.show_explanation(_explanation("careful"))
    assert not view.careful.isEnabled() and "48 steps" in view.legend.text()


def test_the_models_score_stands_beside_the_explanation_with_a_caution_when_it_is_weak_or_incomplete(qtbot):
    from dataclasses import replace

    from desktop_app.core.predict.explain import ModelScore

    measured = "measured on 180 held-out validation examples"
    strong, weak = ModelScore("accuracy", 0.91, 0.5, measured), ModelScore("accuracy", 0.72, 0.5, measured)
    view = ExplanationView()
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.show_explanation(replace(_explanation(), model=strong, delta=0.01, change=2.0))
    assert view.score.text() == f"Model: accuracy 91.0%, {measured}."  # a strong model: its score, no caution
    assert view.caution.text() == ""
    height = view.sizeHint().height()
    view.show_explanation(replace(_explanation(), model=weak, delta=0.9, change=2.0))
    assert view.score.text() == f"Model: accuracy 72.0%, {measured}."
    caution = view.caution.text()
    assert caution.startswith("⚠ The model is weak (accuracy 72.0%") and caution.endswith("…")  # two: cut to fit
    assert "off by 0.90 of 2.00" in view.caution.toolTip() and "The model is weak" in view.caution.toolTip()
    assert view.sizeHint().height() == height  # cautions never move what lies below the view
    view.show_explanation(None)
    assert view.score.text() == view.caution.text() == ""


def test_typing_explains_and_explain_carefully_replaces_it(qtbot, window, trained_adapter):
    window.load_adapter(str(trained_adapter.adapter_dir))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    window.inference.text.setPlainText("the film was great and wonderful")
    view = window.inference.explanation
    qtbot.waitUntil(lambda: view.explanation is not None and not window.live.busy, timeout=30000)
    assert view.explanation.method == "fast" and [w.word for w in view.explanation.words] == \
        "the film was great and wonderful".split()
    assert "great" in view.text.toHtml()
    assert view.score.text().startswith("Model: accuracy") and "5-fold cross-validation" in view.score.text()
    view.careful.click()
    qtbot.waitUntil(lambda: view.explanation.method == "careful" and not window.tasks.busy, timeout=30000)
    assert view.explanation.delta is not None


def test_a_mistake_opens_with_its_explanation(qtbot, window, trained_adapter):
    from PySide6.QtGui import QStandardItem

    window.load_adapter(str(trained_adapter.adapter_dir))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    model = window.training.mistakes_model
    model.appendRow([QStandardItem("the film was awful number 3"), QStandardItem("pos"), QStandardItem("neg"),
                     QStandardItem("90%")])
    table = window.training.mistakes
    table.doubleClicked.emit(table.model().index(0, 0))
    dialog = window.explanations.dialog
    assert isinstance(dialog, QDialog) and dialog.isVisible() and "Labelled “pos”" in dialog.findChild(QLabel).text()
    view = dialog.findChild(ExplanationView)
    qtbot.waitUntil(lambda: view.explanation is not None and not window.tasks.busy, timeout=30000)
    assert view.explanation.text == "the film was awful number 3"
    dialog.close()


def test_without_a_model_a_row_asks_for_one(qtbot, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    said = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: said.append(a[2]))
    window.explanations.explain_text("some text", "Why?")
    assert said and "Load or train a model first" in said[0]


def test_a_batch_row_opens_with_its_explanation(qtbot, window, trained_adapter, tmp_path):
    from ui_data import classify_file, write_csv

    classify_file(qtbot, window, trained_adapter.adapter_dir, write_csv(tmp_path / "batch.csv", 6), "review")
    preview = window.inference.preview
    preview.doubleClicked.emit(preview.model().index(2, 0))
    view = window.explanations.dialog.findChild(ExplanationView)
    qtbot.waitUntil(lambda: view.explanation is not None and not window.tasks.busy, timeout=30000)
    assert view.explanation.text == str(window.batch_result["review"].iloc[2])
    assert "row 3" in window.explanations.dialog.findChild(QLabel).text()
    window.explanations.dialog.close()


def test_a_hostile_text_is_shown_as_text(qtbot):
    from desktop_app.ui.widgets.explanation_view import explanation_html

    text = '<img src=x onerror=alert(1)> & "quotes"'
    e = Explanation(text, "<b>label</b>", "<b>label</b>", {}, "fast",
                    [WordScore("<img", 0.5, 0, 4), WordScore("&", -0.2, 29, 30)])
    html = explanation_html(e)
    assert "<img" not in html and "&lt;img" in html and "&amp;" in html
    view = ExplanationView()
    qtbot.addWidget(view)
    view.show_explanation(e)
    assert "<b>label" not in view.legend.text() and "&lt;b&gt;label" in view.legend.text()


def test_a_busy_window_says_so_instead_of_explaining_forever(qtbot, window, monkeypatch):
    window.workspace.classifier = object()  # any model: the tasks runner is "busy", nothing runs
    monkeypatch.setattr(window.launcher, "run", lambda *a, **k: False)
    window.explanations.explain_text("some text", "Labelled “<b>spam</b>”")
    dialog = window.explanations.dialog
    view = dialog.findChild(ExplanationView)
    assert "busy" in view.text.toPlainText() and not view.careful.isEnabled()
    heading = dialog.findChild(QLabel)
    assert heading.text() == "Labelled “<b>spam</b>”" and heading.textFormat().name == "PlainText"
    dialog.close()


def test_a_late_careful_result_for_an_older_text_is_dropped(qtbot, window, monkeypatch):
    started = []
    monkeypatch.setattr(window.launcher, "run", lambda runner, name, job, done, failed=None: started.append(done) or True)
    window.workspace.classifier = object()
    view = window.inference.explanation
    old = _explanation()
    window.inference.text.setPlainText(old.text)
    view.show_explanation(old)
    window.explanations.careful_for_typed_text()
    window.inference.text.setPlainText("a newer text")  # typed on while the careful one was computed
    view.show_explanation(None)
    started[-1](_explanation("careful"))
    assert view.explanation is None  # the older text's result did not replace what the box now holds
