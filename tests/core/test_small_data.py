"""The small-data path: chosen by the data, folds that never see their own rows, the kept model on every row,
a head that starts as the linear probe, Stop that keeps nothing, and the record of how the score was measured."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from desktop_app.core.train import small_data
from desktop_app.core.model.config import TrainConfig
from desktop_app.core.data.dataset import Examples, prepare_training_data
from desktop_app.core.base.events import CancelToken, LogLine, StepProgress
from desktop_app.core.train.small_data import fold_of
from desktop_app.core.data.small_data_plan import SMALL_ROWS, plan_for
from tiny_models import toy_examples


def _examples(rows: int, classes: int = 2) -> Examples:
    names = [f"c{i}" for i in range(classes)]
    return Examples([f"text {i}" for i in range(rows)], [names[i % classes] for i in range(rows)])


# ------------------------------------------------------------------ which path
@pytest.mark.parametrize("rows, classes, small", [
    (SMALL_ROWS - 1, 2, True), (SMALL_ROWS, 2, False),             # rows in all
    (SMALL_ROWS * 2, 40, True), (SMALL_ROWS * 2, 29, False),      # examples per class: 1200/40 = 30 < 40 ≤ 1200/29
    (40, 5, True), (40_000, 5, False), (6_000, 200, False),       # never 5-fold on 5,000 rows or more
])
def test_the_path_is_chosen_by_rows_and_examples_per_class(rows, classes, small):
    plan = plan_for(_examples(rows, classes), TrainConfig())
    assert plan.small is small
    assert ("cross-validation" in plan.sentence) is small
    assert plan.sentence.startswith(f"{rows:,} examples")


def test_the_path_can_be_forced_either_way():
    assert plan_for(_examples(40), TrainConfig(small_data="off")).small is False
    assert plan_for(_examples(4_000), TrainConfig(small_data="on")).small is True


def test_folds_are_fewer_when_a_class_is_smaller_than_k():
    ex = Examples([f"t{i}" for i in range(23)], ["a"] * 20 + ["b"] * 3)
    assert plan_for(ex, TrainConfig()).folds == 3
    assert plan_for(_examples(40), TrainConfig(folds=4)).folds == 4
    assert "4-fold" in plan_for(_examples(40), TrainConfig(folds=4)).sentence


def test_small_data_has_no_validation_split_and_keeps_the_test_share():
    ex = _examples(100)
    splits = prepare_training_data(ex, TrainConfig(test_fraction=0.2))
    assert splits.plan.small and len(splits.validation) == 0
    assert len(splits.train) + len(splits.test) == 100 and len(splits.test) == 20
    big = prepare_training_data(_examples(1000), TrainConfig())
    assert not big.plan.small and len(big.validation) == 150


def test_folds_are_stratified_and_cover_every_row():
    ex = _examples(43, 3)
    fold = fold_of(ex, 5, seed=1)
    assert sorted(set(fold)) == [0, 1, 2, 3, 4]
    for k in range(5):
        labels = [ex.labels[i] for i in range(43) if fold[i] == k]
        assert max(labels.count(c) for c in "c0 c1 c2".split()) - min(labels.count(c) for c in "c0 c1 c2".split()) <= 1
    sizes = [fold.count(k) for k in range(5)]
    assert max(sizes) - min(sizes) <= 1


# ------------------------------------------------------------------ a real small run, recorded
@pytest.fixture(scope="module")
def recorded_run(tiny_bert, tmp_path_factory):
    """A small run on the tiny model, with every fit's training rows and every prediction's rows recorded."""
    from desktop_app.core.predict import inference
    from desktop_app.core.train.training import run_training

    fits, predicted = [], []
    real_fit, real_predict = small_data.Session.trained_on, inference.predict_probabilities

    def spy_fit(session, rows, *args, **kwargs):
        fits.append([session.examples.texts[i] for i in rows])
        return real_fit(session, rows, *args, **kwargs)

    def spy_predict(model, encoder, texts, *args, **kwargs):
        predicted.append(list(texts))
        return real_predict(model, encoder, texts, *args, **kwargs)

    ex = toy_examples(40)
    config = TrainConfig(base_model=str(tiny_bert))
    splits = prepare_training_data(ex, config)
    events = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(small_data.Session, "trained_on", spy_fit)
        mp.setattr(inference, "predict_probabilities", spy_predict)
        out = tmp_path_factory.mktemp("small") / "adapter"
        result = run_training(config, splits, on_event=events.append, out_dir=out)
    return ex, result, fits, predicted, events


def test_no_fold_predicts_a_row_it_trained_on(recorded_run):
    ex, result, fits, predicted, _ = recorded_run
    folds = result.estimate.folds
    assert folds == 5 and len(fits) == folds + 1 and len(predicted) >= folds
    assert len(set(ex.texts)) == len(ex)
    for trained, held in zip(fits[:folds], predicted[:folds]):
        assert held and not set(held) & set(trained)
        assert len(held) + len(trained) == len(ex)
    every = [t for held in predicted[:folds] for t in held]
    assert sorted(every) == sorted(ex.texts)  # each row predicted exactly once, out of fold


def test_the_kept_model_trains_on_every_row(recorded_run):
    ex, result, fits, _, _ = recorded_run
    assert sorted(fits[-1]) == sorted(ex.texts)
    assert result.train_examples == len(ex) == 40


def test_the_estimate_is_out_of_fold_and_says_so(recorded_run):
    ex, result, _, _, events = recorded_run
    cv = result.cross_validation
    assert cv.probabilities.shape == (40, 2) and np.allclose(cv.probabilities.sum(axis=1), 1, atol=1e-5)
    y = np.array([result.labels.index(v) for v in ex.labels])
    assert result.validation.examples == 40
    assert result.validation.accuracy == pytest.approx(float((cv.probabilities.argmax(1) == y).mean()))
    mean, spread = cv.spread("accuracy")
    assert result.estimate.mean["accuracy"] == pytest.approx(mean)
    assert result.estimate.spread["accuracy"] == pytest.approx(spread)
    assert np.sum(result.validation.confusion) == 40
    finished = [e.message for e in events if isinstance(e, LogLine) and e.message.startswith("Finished")]
    assert finished and "5-fold cross-validation" in finished[0] and "±" in finished[0]
    steps = [e for e in events if isinstance(e, StepProgress)]
    assert steps[-1].step == steps[-1].total_steps == result.steps  # one progress bar over folds and final fit


def test_the_manifest_records_the_estimate_and_the_pooling(recorded_run):
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.artifacts.manifest import read_manifest

    _, result, _, _, _ = recorded_run
    manifest = read_manifest(result.adapter_dir)
    assert manifest.estimate == result.estimate and manifest.estimate.cross_validated
    assert manifest.pooling == "mean" and manifest.format_version == 2
    assert manifest.validation.examples == 40
    reloaded = Classifier.load(result.adapter_dir)
    texts = ["the film was good and great", "the film was awful and dull number 3"]
    assert np.allclose(reloaded.predict_proba(texts), Classifier.from_training(result).predict_proba(texts), atol=1e-5)


# ------------------------------------------------------------------ the head starts as the probe
def test_the_head_gives_the_probes_predictions_before_any_lora_step(tiny_bert):
    from sklearn.linear_model import LogisticRegression

    from desktop_app.core.predict.inference import predict_probabilities
    from desktop_app.core.model.base_models import load_classifier, load_tokenizer, resolve_base_model
    from desktop_app.core.train.preparation import attach_lora
    from desktop_app.core.train.probe import PROBE_C, fit_probe, head_features, set_head
    from desktop_app.core.model.text import TextEncoder

    ex = toy_examples(60, labels=("a", "b", "c"))
    base = resolve_base_model(str(tiny_bert))
    model = load_classifier(base, ("a", "b", "c"), 0.0, pooling="mean")
    encoder = TextEncoder(load_tokenizer(base), 32)
    y = np.array(["abc".index(v) for v in ex.labels])
    features = head_features(model, encoder, ex.texts)
    set_head(model, *fit_probe(features, y, 3))
    z = features / np.linalg.norm(features, axis=1).mean()
    expected = LogisticRegression(C=PROBE_C, max_iter=2000).fit(z, y).predict_proba(z)
    assert np.allclose(predict_probabilities(model, encoder, ex.texts), expected, atol=1e-4)
    lora = attach_lora(TrainConfig(base_model=str(tiny_bert)), base, model)  # LoRA's B starts at zero
    assert np.allclose(predict_probabilities(lora, encoder, ex.texts), expected, atol=1e-4)


def test_each_fit_tunes_pairs_then_its_head_is_the_probe_on_the_tuned_vectors(tiny_bert, monkeypatch):
    """One fit: pair tuning moves the vectors, the probe is fitted on the *tuned* vectors, and the kept model
    predicts exactly what that probe predicts."""
    from sklearn.linear_model import LogisticRegression

    from desktop_app.core.train import pair_tuning
    from desktop_app.core.predict.inference import predict_probabilities
    from desktop_app.core.train.probe import PROBE_C, head_features

    config = TrainConfig(base_model=str(tiny_bert))
    session, rows = _session(tiny_bert, config, toy_examples(30, labels=("a", "b", "c")))
    order, real_tune = [], pair_tuning.tune_pairs
    monkeypatch.setattr(pair_tuning, "tune_pairs", lambda *a, **k: (order.append("pairs"), real_tune(*a, **k)))
    model = session.trained_on(rows, 0, small_data.Progress(lambda e: None, 1000, 16))
    assert order == ["pairs"]
    texts = [session.examples.texts[i] for i in rows]
    features = head_features(model, session.encoder, texts)
    frozen = head_features(session.prepared.model, session.encoder, texts)
    assert not np.allclose(features, frozen, atol=1e-4)  # pair tuning moved the vectors
    z = features / np.linalg.norm(features, axis=1).mean()
    expected = LogisticRegression(C=PROBE_C, max_iter=2000).fit(z, session.target_array[rows]).predict_proba(z)
    assert np.allclose(predict_probabilities(model, session.encoder, texts), expected, atol=1e-4)


def _session(tiny_bert, config, ex):
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.objectives import objective_for
    from desktop_app.core.train.preparation import prepare_model

    label_map = LabelMap.from_labels(ex.label_names())
    objective = objective_for(ex, label_map)
    prepared = prepare_model(config, label_map.names, lambda e: None, CancelToken(), small=True)
    return small_data.Session(config, ex, label_map, objective, prepared, CancelToken()), list(range(len(ex)))


@pytest.mark.parametrize("kind", ["supcon", "cosine"])
def test_pair_tuning_pulls_a_class_together_and_changes_only_lora(tiny_bert, monkeypatch, kind):
    from desktop_app.core.train import pair_tuning
    from desktop_app.core.train.pair_tuning import pair_loss, supcon_loss, target_similarity, tune_pairs
    from desktop_app.core.train.preparation import attach_lora
    from desktop_app.core.train.probe import head_features

    import torch

    config = TrainConfig(base_model=str(tiny_bert))
    session, rows = _session(tiny_bert, config, toy_examples(32))
    model = attach_lora(session.config, session.prepared.base, copy.deepcopy(session.prepared.model))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    target = torch.as_tensor(target_similarity(session.target_array, False))

    measure = supcon_loss if kind == "supcon" else pair_loss  # the loss tuned is the loss that falls
    # the contrastive loss cannot go below log(partners): each text's partners share the probability at best
    floor = float(np.log((session.target_array == session.target_array[0]).sum() - 1)) if kind == "supcon" else 0.0

    def loss():
        return float(measure(torch.as_tensor(head_features(model, session.encoder, session.examples.texts)), target))

    start = loss()
    monkeypatch.setattr(pair_tuning, "PAIR_LOSS", kind)
    monkeypatch.setattr(pair_tuning, "PAIR_LEARNING_RATE", 1e-2)  # a random tiny model moves slowly at the default rate
    tune_pairs(model, session.encoder, session.ids, session.target_array, False,
               small_data.Progress(lambda e: None, 1000, 16), None, 0)
    assert loss() - floor < (start - floor) * 0.7
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed)


def test_the_anchor_holds_the_vectors_near_where_they_started_and_weighs_less_as_rows_grow(tiny_bert, monkeypatch):
    from desktop_app.core.train import pair_tuning
    from desktop_app.core.train.pair_tuning import anchor_loss, anchor_weight, examples_per_class, tune_pairs
    from desktop_app.core.train.preparation import attach_lora
    from desktop_app.core.train.probe import head_features

    import torch

    assert anchor_weight(4) == pytest.approx(2.0) and anchor_weight(32) == pytest.approx(0.25)
    assert anchor_weight(0) == 0.0
    assert examples_per_class(np.array([0, 0, 0, 2]), False) == 2.0  # the classes present: 3 and 1
    assert examples_per_class(np.array([[1, 0, 1], [1, 0, 0]]), True) == 1.5  # labels present: 2 and 1
    unit = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 2.0]]), dim=-1)
    assert float(anchor_loss(torch.tensor([[3.0, 0.0], [0.0, 1.0]]), unit)) == pytest.approx(0.0)  # lengths do not count
    assert float(anchor_loss(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), unit)) == pytest.approx(1.0)

    config = TrainConfig(base_model=str(tiny_bert))
    session, rows = _session(tiny_bert, config, toy_examples(24))
    monkeypatch.setattr(pair_tuning, "PAIR_LEARNING_RATE", 1e-2)  # a random tiny model moves slowly at the default rate

    def drift(anchor: float) -> float:
        """1 - cosine of the tuned vectors to the untuned ones, after tuning with this anchor."""
        monkeypatch.setattr(pair_tuning, "ANCHOR_PER_CLASS", anchor)
        model = attach_lora(session.config, session.prepared.base, copy.deepcopy(session.prepared.model))
        origin = torch.nn.functional.normalize(
            torch.as_tensor(head_features(model, session.encoder, session.examples.texts)), dim=-1)
        tune_pairs(model, session.encoder, session.ids, session.target_array, False,
                   small_data.Progress(lambda e: None, 1000, 16), None, 0)
        return float(anchor_loss(torch.as_tensor(head_features(model, session.encoder, session.examples.texts)),
                                 origin))

    free, held = drift(0.0), drift(12.0 * 20)  # 12 per class: weight 20
    assert free > 0.01 and held < free / 2


def test_pair_targets_are_one_class_or_the_overlap_of_label_sets():
    from desktop_app.core.train.pair_tuning import pair_loss, target_similarity

    import torch

    from desktop_app.core.train.pair_tuning import pair_steps

    # the fewest steps, then 20 passes over the rows, then no more than 60 steps however many rows
    assert [pair_steps(n) for n in (1, 2, 8, 24, 96, 192, 4000)] == [0, 10, 10, 15, 60, 60, 60]
    assert target_similarity(np.array([0, 1, 0]), False).tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    sets = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    t = target_similarity(sets, True)
    assert t[0, 1] == pytest.approx(0.5) and t[0, 2] == 0 and t[3, 4] == 1 and t[0, 3] == 0
    # the pulled-together and the pushed-apart pairs weigh half each, however many there are of each
    vectors = torch.tensor([[1.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 3.0]])  # lengths do not count
    target = torch.as_tensor(target_similarity(np.array([0, 0, 0, 1, 1]), False))
    assert float(pair_loss(vectors, target)) == pytest.approx(0.0)
    assert float(pair_loss(vectors, 1 - target)) == pytest.approx(1.0)
    # every pair at similarity 1: the 4 pairs of one class are right, the 6 of two classes wrong: 0.5, not 0.6
    assert float(pair_loss(torch.ones(5, 2), target)) == pytest.approx(0.5)


def test_a_two_class_probe_and_a_missing_class():
    from desktop_app.core.train.probe import fit_probe

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 5))
    y = (x[:, 0] > 0).astype(int)
    w, b = fit_probe(x, y, 3)  # class 2 never seen in these rows
    logits = x @ w.T + b
    assert (logits.argmax(1) == y).mean() > 0.9 and (logits.argmax(1) != 2).all()


# ------------------------------------------------------------------ mean pooling
def test_mean_pooling_ignores_padding_and_survives_a_copy(tiny_bert):
    from desktop_app.core.predict.inference import predict_probabilities
    from desktop_app.core.model.base_models import load_classifier, load_tokenizer, resolve_base_model
    from desktop_app.core.model.pooling import pooling_of
    from desktop_app.core.model.text import TextEncoder

    base = resolve_base_model(str(tiny_bert))
    model = load_classifier(base, ("a", "b"), 0.0, pooling="mean").eval()
    encoder = TextEncoder(load_tokenizer(base), 64)
    short, long = "good film", "the film was very very boring and dull and terrible " * 3
    alone = predict_probabilities(model, encoder, [short])
    padded = predict_probabilities(model, encoder, [short, long], batch_size=2)[:1]
    assert np.allclose(alone, padded, atol=1e-5)
    twin = copy.deepcopy(model)
    assert pooling_of(twin) == "mean"
    assert np.allclose(predict_probabilities(twin, encoder, [short, long], batch_size=2)[:1], alone, atol=1e-5)
    cls = load_classifier(base, ("a", "b"), 0.0, pooling="cls").eval()
    assert pooling_of(cls) == "cls"


# ------------------------------------------------------------------ Stop keeps nothing
def test_stop_during_the_folds_keeps_nothing(tiny_bert, tmp_path):
    from desktop_app.core.train.training import run_training

    cancel = CancelToken()
    seen = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, StepProgress) and event.step >= 3:
            cancel.cancel(keep_best=True)

    config = TrainConfig(base_model=str(tiny_bert))
    out = tmp_path / "never"
    result = run_training(config, prepare_training_data(toy_examples(40), config), on_event=on_event, cancel=cancel,
                          out_dir=out)
    assert result.status == "cancelled" and result.model is None
    assert not out.exists()
    assert any("Nothing was saved" in e.message for e in seen if isinstance(e, LogLine))
    assert not any(isinstance(e, LogLine) and e.message.startswith("Fold 2") for e in seen)


# ------------------------------------------------------------------ the record, hostile
@pytest.mark.parametrize("bad", [
    "x", [], {"version": True, "kind": "cross_validation"}, {"version": 99, "kind": "validation_split"},
    {"version": 1, "kind": "guess"}, {"version": 1, "kind": "cross_validation", "examples": 40, "folds": 1,
                                     "mean": {"accuracy": 0.5}, "spread": {"accuracy": 0.1}},
    {"version": 1, "kind": "cross_validation", "examples": 40, "folds": 5, "mean": {"accuracy": 2}, "spread": {}},
    {"version": 1, "kind": "cross_validation", "examples": 40, "folds": 5, "mean": {"loss": 0.1},
     "spread": {"loss": 0.1}},
    {"version": 1, "kind": "validation_split", "examples": -1},
])
def test_a_hostile_estimate_is_refused_in_a_sentence(bad):
    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.metrics.score_estimate import ScoreEstimate

    with pytest.raises(AdapterError):
        ScoreEstimate.from_dict(bad)


def test_older_adapters_open_as_measured_on_a_validation_split(trained_adapter):
    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.artifacts.adapter_layout import MANIFEST
    from desktop_app.core.artifacts.manifest import parse_manifest

    raw = json.loads((trained_adapter.adapter_dir / MANIFEST).read_text())
    raw.pop("estimate", None)
    manifest = parse_manifest(json.dumps(raw).encode(), "old")
    assert not manifest.estimate.cross_validated and manifest.pooling in ("cls", "mean")
    raw.update(format_version=1, pooling="mean")  # mean pooling needs format 2: an old reader would read [CLS]
    with pytest.raises(AdapterError):
        parse_manifest(json.dumps(raw).encode(), "forged")


def test_the_time_estimate_counts_every_fold_and_its_pair_tuning(tiny_bert, monkeypatch):
    from desktop_app.core.train import pair_tuning
    from desktop_app.core.model import precision
    from desktop_app.core.train.estimate import estimate_epoch_seconds

    # a fixed step time: the comparisons below are about what is counted, not about this machine's speed
    monkeypatch.setattr(precision, "measure_steps", lambda model, batches, names=("fp32", "bf16"), **k:
                        {name: 0.25 for name in names})
    ex = toy_examples(40)
    config = TrainConfig(base_model=str(tiny_bert))
    plain = estimate_epoch_seconds(config, ex.texts)
    small = estimate_epoch_seconds(config, ex.texts, labels=ex.labels)
    assert small["fits"] == 6 and small["folds"] == 5 and plain["fits"] == 1
    kept, fold = pair_tuning.pair_steps(40), pair_tuning.pair_steps(32)  # every fold trains on 4 of 5 parts
    assert kept > fold > pair_tuning.PAIR_STEPS  # past the fewest: passes over the rows count
    assert small["epochs"] == small_data.passes(40) == pytest.approx(kept * 32 / 40)
    # the kept model's epochs take its share of the six fits' steps
    assert small["seconds_per_epoch"] * small["epochs"] == pytest.approx(small["total_seconds"] * kept /
                                                                         (kept + 5 * fold))
    monkeypatch.setattr(pair_tuning, "PAIR_EPOCHS", 2 * pair_tuning.PAIR_EPOCHS)
    monkeypatch.setattr(pair_tuning, "PAIR_MAX_STEPS", 10_000)
    assert estimate_epoch_seconds(config, ex.texts, labels=ex.labels)["total_seconds"] == pytest.approx(
        2 * small["total_seconds"])
    big = toy_examples(700)
    assert estimate_epoch_seconds(config, big.texts, labels=big.labels)["fits"] == 1


def test_label_sets_on_small_data_get_thresholds_from_out_of_fold_scores(tiny_bert, tmp_path):
    from desktop_app.core.predict.inference import Classifier
    from desktop_app.core.metrics.multilabel_metrics import indicator, tune_thresholds
    from desktop_app.core.train.training import run_training
    from tiny_models import toy_multilabel

    ex = toy_multilabel(60)
    config = TrainConfig(base_model=str(tiny_bert), folds=3)
    splits = prepare_training_data(ex, config)
    assert splits.plan.small and "micro-F1" in splits.plan.sentence
    result = run_training(config, splits, out_dir=tmp_path / "multi")
    cv = result.cross_validation
    assert result.thresholds == cv.thresholds
    assert cv.thresholds == tune_thresholds(cv.probabilities, indicator(ex.labels, result.labels))
    assert result.estimate.cross_validated and "micro_f1" in result.estimate.mean
    assert result.validation.multi_label and result.validation.examples == 60
    reloaded = Classifier.load(result.adapter_dir)
    assert reloaded.thresholds == pytest.approx(cv.thresholds)


def test_the_supervised_contrastive_loss_rewards_classes_apart_and_skips_texts_with_no_partner():
    from desktop_app.core.train.pair_tuning import PAIR_LOSS, supcon_loss, target_similarity

    import torch

    assert PAIR_LOSS == "supcon"  # the default (docs/BENCHMARKS.md, small data, session 12)
    target = torch.as_tensor(target_similarity(np.array([0, 0, 0, 1, 1, 1]), False))
    apart = torch.tensor([[1.0, 0.0], [2.0, 0.1], [1.0, -0.1], [0.0, 1.0], [0.1, 3.0], [-0.1, 1.0]])
    mixed = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [0.1, 1.0], [1.0, -0.1], [-0.1, 1.0]])
    assert float(supcon_loss(apart, target)) < float(supcon_loss(mixed, target)) - 1.0
    # with the classes apart, each text's two partners share the probability: the loss is near log 2
    assert float(supcon_loss(apart, target)) == pytest.approx(float(np.log(2)), abs=0.05)
    # a text of a class of its own has no partner: it adds nothing, and nothing becomes NaN
    lone = torch.as_tensor(target_similarity(np.array([0, 0, 0, 1, 1, 2]), False))
    vectors = apart.clone().requires_grad_(True)
    value = supcon_loss(vectors, lone)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(vectors.grad).all()
    # label sets: partners weighted by their overlap
    sets = torch.as_tensor(target_similarity(np.array([[1, 1], [1, 0], [0, 1], [0, 0]]), True))
    assert torch.isfinite(supcon_loss(torch.randn(4, 3), sets))
