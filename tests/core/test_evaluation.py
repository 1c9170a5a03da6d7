import numpy as np
import pytest

from desktop_app.core.metrics.evaluation import evaluation_report, scores
from desktop_app.core.metrics.reports import EvalReport


def test_scores_match_hand_computation():
    y_true = [0, 0, 0, 1, 1, 2]
    y_pred = [0, 0, 1, 1, 2, 2]
    s = scores(y_true, y_pred, 3)
    assert s["accuracy"] == pytest.approx(4 / 6)
    # class 0: p=1, r=2/3 -> f1=0.8 ; class 1: p=1/2, r=1/2 -> 0.5 ; class 2: p=1/2, r=1 -> 2/3
    assert s["f1"].tolist() == pytest.approx([0.8, 0.5, 2 / 3])
    assert s["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert s["weighted_f1"] == pytest.approx((0.8 * 3 + 0.5 * 2 + 2 / 3) / 6)
    assert s["confusion"].tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_report_lists_confident_mistakes_first_and_round_trips():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.95, 0.05]])
    rep = evaluation_report(["a", "b", "c", "d"], [0, 1, 0, 1], probs, ["neg", "pos"])
    assert [m.text for m in rep.mistakes] == ["d", "c"]
    assert rep.mistakes[0].true_label == "pos" and rep.mistakes[0].predicted == "neg"
    assert rep.mistakes[0].confidence == pytest.approx(0.95)
    assert EvalReport.from_dict(rep.to_dict()) == rep


def test_absent_class_not_in_macro_f1():
    s = scores([0, 0], [0, 0], 3)
    assert s["macro_f1"] == 1.0 and s["accuracy"] == 1.0
