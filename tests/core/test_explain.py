"""Explained predictions: the deciding word gets the largest score, integrated gradients are complete,
word pieces become words, int8 is refused, the tokens are the prediction's own."""

import pytest

from desktop_app.core.predict.explain import ExplainError, _Pieces, _words, explain

FILLER = ["river", "table", "cloud", "pencil", "garden", "window", "silver", "morning"]


@pytest.fixture(scope="module")
def one_word_decides(tmp_path_factory):
    """The built-in model (MiniLM) trained for 2 epochs (about 10 s) on texts whose class only one word
    decides: 'zebra' (stripes) or 'walrus' (tusks), among filler words. A tiny random BERT does not do here:
    trained, its gradients at the embeddings are near zero and integrated gradients jump in one step."""
    import random

    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset, Examples
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    rng = random.Random(1)
    texts, labels = [], []
    for i in range(240):
        words = rng.sample(FILLER, 5)
        words.insert(rng.randrange(6), "zebra" if i % 2 else "walrus")
        texts.append(" ".join(words))
        labels.append("stripes" if i % 2 else "tusks")
    folder = tmp_path_factory.mktemp("decides")
    config = TrainConfig(epochs=2, min_steps=0, precision="fp32", early_stopping_patience=0)
    ex = Examples(texts, labels)
    result = run_training(config, Dataset(ex, LabelMap.from_labels(labels), None), out_dir=folder / "adapter")
    assert result.validation.accuracy > 0.95  # the model did learn the rule
    return Classifier.load(folder / "adapter")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fast", "careful"])
def test_the_deciding_word_gets_the_largest_attribution(one_word_decides, method):
    for text, word, label in (("river table walrus cloud pencil", "walrus", "tusks"),
                              ("zebra garden window silver", "zebra", "stripes"),
                              ("the morning zebra was silver", "zebra", "stripes")):
        e = explain(one_word_decides, text, method=method)
        assert e.predicted == label == e.label
        best = max(e.words, key=lambda w: w.score)
        assert best.word == word and best.score > 0
        assert best.score > 3 * max(abs(w.score) for w in e.words if w.word != word)
        assert [w.word for w in e.words] == text.split()  # every word, in text order
        assert e.top_words(1) == [word]


@pytest.mark.slow
def test_integrated_gradients_add_up_to_the_logit_difference(one_word_decides):
    """Completeness, checked independently of Captum's own delta: the scores' sum equals the class logit of
    the text minus that of the baseline (every word piece replaced by padding)."""
    import torch

    from desktop_app.core.predict.explain import _pieces

    clf, text = one_word_decides, "cloud walrus morning garden river"
    e = explain(clf, text, method="careful", steps=64)
    pieces = _pieces(clf.encoder, text)
    with torch.no_grad():
        logits = [clf.model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
                  .logits[0, clf.labels.index(e.label)].item() for ids in (pieces.ids, pieces.baseline)]
    difference = logits[0] - logits[1]
    assert abs(difference) > 0.3  # something to explain
    assert sum(w.score for w in e.words) == pytest.approx(difference, abs=0.05 * abs(difference))
    assert e.delta is not None and e.delta < 0.05 * abs(difference)


@pytest.mark.slow
def test_another_class_can_be_explained(one_word_decides):
    e = explain(one_word_decides, "river zebra table", target="tusks", method="careful")
    assert e.label == "tusks" and e.predicted == "stripes"
    assert min(e.words, key=lambda w: w.score).word == "zebra"  # the word that speaks against 'tusks'
    with pytest.raises(ExplainError, match="not one of this model's classes"):
        explain(one_word_decides, "river", target="mane")


def test_int8_models_are_refused_in_plain_words(trained_adapter):
    from desktop_app.core.predict.inference import Classifier

    quantised = Classifier.load(trained_adapter.adapter_dir, int8=True)
    with pytest.raises(ExplainError, match="full-precision"):
        explain(quantised, "the film was great")


def test_word_pieces_are_merged_into_words_the_tokenizers_way(trained_adapter):
    """The tokenizer's word_ids decide: "play"+"##ing" is one word, "good,bad" three, each Chinese character
    one; spaces a tokenizer counts into a piece (SentencePiece's ▁) are not part of the word."""
    from desktop_app.core.predict.explain import _pieces
    from desktop_app.core.predict.inference import Classifier

    text = "unbelievably good, isn't it"
    spans = [(-1, -1), (0, 2), (2, 8), (8, 12), (13, 17), (17, 18), (19, 22), (22, 23), (23, 24), (25, 27), (-1, -1)]
    words = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, -1]
    scores = [9.0, 0.1, 0.2, 0.3, 1.0, 0.5, -0.2, 0.1, -0.1, 0.05, 9.0]
    merged = _words(text, _Pieces([0] * len(spans), spans, [0] * len(spans), False, words), scores)
    assert [w.word for w in merged] == ["unbelievably", "good", ",", "isn", "'", "t", "it"]
    assert [round(w.score, 6) for w in merged] == [0.6, 1.0, 0.5, -0.2, 0.1, -0.1, 0.05]  # specials left out
    clf = Classifier.load(trained_adapter.adapter_dir)
    for text, expected in (("good,bad movie!!", ["good", ",", "bad", "movie", "!", "!"]),
                           ("电影很好", ["电", "影", "很", "好"])):
        pieces = _pieces(clf.encoder, text)
        found = [w.word for w in _words(text, pieces, [0.0] * len(pieces.ids))]
        assert found == expected


def test_spaces_counted_into_a_piece_are_trimmed():
    from desktop_app.core.predict.explain import _trimmed

    read = "hello  world"
    assert _trimmed(read, 5, 12, lambda o: o) == (7, 12)  # "  world" -> "world"
    assert _trimmed(read, 5, 7, lambda o: o) == (-1, -1)  # spaces only: not a word


def test_a_long_text_is_explained_on_what_the_model_reads(trained_adapter):
    """Head and tail are read, the middle is cut: the explanation covers those words and says it was cut."""
    from desktop_app.core.predict.inference import Classifier

    clf = Classifier.load(trained_adapter.adapter_dir)
    text = " ".join(["the film was great"] * 40 + ["number 7"])
    e = explain(clf, text)
    assert e.cut and e.words[-1].word == "7" and len(e.words) < len(text.split())
    assert all(text[w.start:w.end] == w.word for w in e.words)


def test_explanations_from_two_threads_at_once_match_one_at_a_time(trained_adapter):
    """The window explains on two runners (typing, Explain carefully): Captum hooks the shared embedding
    block, so without the classifier's lock one thread's forward passed through the other's hook."""
    import threading

    from desktop_app.core.predict.inference import Classifier

    clf = Classifier.load(trained_adapter.adapter_dir)
    texts = ["the film was great", "the film was awful and boring " * 3 + "number 9"]
    alone = [[round(w.score, 5) for w in explain(clf, t, method="careful").words] for t in texts]
    results, errors = {}, []

    def run(i):
        try:
            for _ in range(3):
                results[i] = [round(w.score, 5) for w in explain(clf, texts[i], method="careful").words]
                clf.predict_proba(texts)  # a plain prediction on the same model meanwhile
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and [results[0], results[1]] == alone


# ---------------------------------------------------------------- how far to trust an explanation
def _manifest(accuracy, supports, task="text-classification", micro_f1=None, estimate=None):
    """The parts of a manifest an explanation's trust reads: labels, task, validation scores, how measured."""
    from types import SimpleNamespace

    from desktop_app.core.artifacts.manifest import SplitScores
    from desktop_app.core.metrics.score_estimate import ScoreEstimate

    labels = tuple(f"c{i}" for i in range(len(supports)))
    examples = sum(supports) if task == "text-classification" else 100
    report = {"accuracy": accuracy, "per_class": [{"label": n, "support": s} for n, s in zip(labels, supports)],
              **({"micro_f1": micro_f1} if micro_f1 is not None else {})}
    return SimpleNamespace(labels=labels, task=task, validation=SplitScores(accuracy, 0.5, examples, report),
                           estimate=estimate or ScoreEstimate(examples=examples))


@pytest.mark.parametrize("accuracy, supports, chance, weak", [
    (0.72, [90, 90], 0.5, True),           # the model: 72% on two balanced classes (bar: 75%)
    (0.80, [90, 90], 0.5, False),
    (0.60, [25, 25, 25, 25], 0.25, True),  # four classes: the bar is 62.5%, not a fixed 80%
    (0.65, [25, 25, 25, 25], 0.25, False),
    (0.92, [180, 20], 0.9, True),          # answering "c0" always scores 90%: 92% is barely better (bar: 95%)
])
def test_a_weak_model_is_judged_against_what_a_model_that_learnt_nothing_scores(accuracy, supports, chance, weak):
    from desktop_app.core.predict.explain import model_score

    score = model_score(_manifest(accuracy, supports))
    assert score.metric == "accuracy" and score.value == accuracy and score.spread is None
    assert score.chance == pytest.approx(chance) and score.weak is weak
    assert score.measured == f"measured on {sum(supports):,} held-out validation examples"


def test_several_labels_per_text_are_judged_by_micro_f1_against_giving_every_label():
    from desktop_app.core.predict.explain import model_score

    # 3 labels, 100 texts, 60 label pairs given of 300: density 0.2, so giving every label scores F1 = 0.4/1.2
    weak = model_score(_manifest(0.3, [30, 20, 10], "multi_label", micro_f1=0.62))
    assert (weak.metric, weak.value, weak.weak) == ("micro-F1", 0.62, True) and weak.chance == pytest.approx(1 / 3)
    assert not model_score(_manifest(0.3, [30, 20, 10], "multi_label", micro_f1=0.70)).weak  # bar: 2/3


def test_a_cross_validated_score_is_its_mean_over_the_folds_and_says_so():
    from desktop_app.core.predict.explain import model_score
    from desktop_app.core.metrics.score_estimate import CROSS_VALIDATION, ScoreEstimate

    estimate = ScoreEstimate(CROSS_VALIDATION, 60, 5, {"accuracy": 0.7, "macro_f1": 0.68},
                             {"accuracy": 0.08, "macro_f1": 0.1})
    score = model_score(_manifest(0.71, [30, 30], estimate=estimate))
    assert (score.value, score.spread, score.weak) == (0.7, 0.08, True)
    assert score.shown() == "accuracy 70.0% ± 8.0"
    assert score.measured == "estimated by 5-fold cross-validation on 60 examples"


def _explained(model=None, delta=0.0, change=2.0, method="fast"):
    from desktop_app.core.predict.explain import Explanation, WordScore

    return Explanation("tedious film", "negative", "negative", {"negative": 0.8, "positive": 0.2}, method,
                       [WordScore("tedious", -0.4, 0, 7), WordScore("film", 0.1, 8, 12)], delta, False, change, model)


def test_cautions_name_a_weak_model_scores_that_miss_the_decision_and_a_model_without_a_score():
    from desktop_app.core.predict.explain import model_score

    weak, strong = model_score(_manifest(0.72, [90, 90])), model_score(_manifest(0.9, [90, 90]))
    assert _explained(strong).cautions() == []
    [caution] = _explained(weak).cautions()
    assert caution.startswith("The model is weak (accuracy 72.0%, where one that learnt nothing scores 50%)")
    # completeness: poor past a quarter of the logit change, or of one logit when the change is smaller
    assert not _explained(strong, delta=0.45, change=2.0).incomplete
    [caution] = _explained(strong, delta=0.55, change=2.0).cautions()
    assert "off by 0.55 of 2.00" in caution and "Explain carefully" in caution
    assert "Read them as rough" in _explained(strong, delta=0.55, change=2.0, method="careful").cautions()[0]
    assert not _explained(strong, delta=0.2, change=0.1).incomplete and _explained(strong, 0.3, 0.1).incomplete
    assert len(_explained(weak, delta=0.55, change=2.0).cautions()) == 2
    assert _explained(None).cautions() == ["This model has no validation score, so how far its explanations hold "
                                           "is unknown."]
    data = _explained(weak, delta=0.55, change=2.0).to_dict()
    assert data["model_score"]["weak"] is True and data["model_score"]["chance"] == 0.5
    assert len(data["cautions"]) == 2 and data["explained_change"] == 2.0


def test_an_explanation_carries_its_models_own_score_and_the_change_it_explains(trained_adapter):
    """The toy adapter is a small-data one: its score is the cross-validated estimate in its manifest; and the
    change the scores explain is the class logit of the text minus that of the baseline, computed here apart."""
    import torch

    from desktop_app.core.predict.explain import _pieces
    from desktop_app.core.predict.inference import Classifier

    clf = Classifier.load(trained_adapter.adapter_dir)
    text = "the film was great and wonderful"
    e = explain(clf, text, method="careful")
    estimate = clf.manifest.estimate
    assert e.model.value == estimate.mean["accuracy"] and e.model.spread == estimate.spread["accuracy"]
    assert "cross-validation" in e.model.measured
    pieces = _pieces(clf.encoder, text)
    with torch.no_grad():
        logits = [clf.model(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long))
                  .logits[0, clf.labels.index(e.label)].item() for ids in (pieces.ids, pieces.baseline)]
    assert abs(logits[0] - logits[1]) > 0.1  # something to explain
    assert e.change == pytest.approx(logits[0] - logits[1], abs=1e-4)
