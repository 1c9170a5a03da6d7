"""Issue 22, item 3: the Predict page's buttons stay where they are when a batch summary comes or goes (the row
jumped ~30 px as a run started, and a click on Cancel landed on nothing)."""

import numpy as np
import pandas as pd
import pytest

from desktop_app.ui import jobs
from desktop_app.ui.flow import StepPage
from desktop_app.ui.panels.inference_panel import InferencePanel


class _Keyword:
    labels = ("negative", "positive")

    def predict_proba(self, texts):
        return np.array([[0.2, 0.8] if "good" in t else [0.9, 0.1] for t in texts])


def _result():
    frame = pd.DataFrame({"text": ["good film", "bad film", "good grief", "awful"] * 25,
                          "label": ["positive", "negative", "negative", "negative"] * 25})
    return jobs.batch_predict_job(_Keyword(), frame, "text")(lambda event: None, type("C", (), {"cancelled": False}))


@pytest.mark.parametrize("size", [(610, 540), (980, 690), (1380, 920)])  # the pages of 800×600, 1200×780, 1600×1000
def test_the_batch_buttons_do_not_move_when_the_summary_comes_or_goes(qtbot, size):
    panel = InferencePanel()
    page = StepPage(panel, None)  # as in the window: sized by its minimum, then scrolled
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    qtbot.waitExposed(page)
    panel.set_batch_file("reviews.csv", ["text", "label"], "text")
    qtbot.wait(20)

    def where():
        return [b.mapTo(page, b.rect().topLeft()) for b in (panel.run_batch, panel.cancel_batch, panel.save_batch)]
    before = where()
    panel.set_batch_result(_result(), "text")  # the summary and its matrix appear
    qtbot.wait(20)
    assert panel.batch_matrix.isVisible() and where() == before
    panel.set_batch_running(True)  # a new run clears them: Cancel must stay under the pointer
    qtbot.wait(20)
    assert where() == before
