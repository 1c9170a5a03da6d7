"""Multi-label models trained, saved, reloaded and used: tiny models for the mechanics, MiniLM for learning."""

import json

import numpy as np
import pytest
from tiny_models import TOPICS, toy_multilabel, write_toy_multilabel_csv

from desktop_app.core.base import events as ev
from desktop_app.core.model.config import LoraSettings, TrainConfig
from desktop_app.core.data.dataset import Examples, load_dataset
from desktop_app.core.base.errors import DataError
from desktop_app.core.metrics.evaluation import evaluate
from desktop_app.core.predict.inference import Classifier, predict_frame, predict_probabilities
from desktop_app.core.train.training import run_training

LABELS = tuple(sorted(TOPICS))  # complaint, praise, story


@pytest.fixture(scope="module")
def multi_run(tmp_path_factory, tiny_bert):
    folder = tmp_path_factory.mktemp("multi")
    data = load_dataset(write_toy_multilabel_csv(folder / "toy.csv", 150, separator="|"))
    seen = []
    config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=3, learning_rate=5e-3, batch_size=16, min_steps=0,
                         lora=LoraSettings(layer_share=1.0), early_stopping_patience=0)
    result = run_training(config, data, seen.append, out_dir=folder / "adapter")
    return result, seen


def test_a_multi_label_run_reports_micro_f1_and_saves_a_multi_label_adapter(multi_run):
    result, seen = multi_run
    started = next(e for e in seen if isinstance(e, ev.Started))
    evals = [e for e in seen if isinstance(e, ev.Evaluated)]
    assert started.multi_label and started.labels == LABELS
    assert len(evals) == 3 and all(e.micro_f1 is not None for e in evals)
    assert [h["micro_f1"] for h in result.history] == [e.micro_f1 for e in evals]
    report = result.validation
    assert report.multi_label and report.micro_f1 is not None and len(report.thresholds) == 3
    manifest = json.loads((result.adapter_dir / "manifest.json").read_text())
    assert manifest["task"] == "multi_label" and manifest["thresholds"] == result.thresholds
    assert manifest["config"]["multi_label"] is True and manifest["config"]["label_separator"] == "|"
    assert manifest["metrics"]["validation"]["micro_f1"] == pytest.approx(report.micro_f1)
    assert all(0 <= t <= 1 for t in result.thresholds)


def test_the_kept_epoch_is_the_best_by_micro_f1(multi_run):
    result, _ = multi_run
    best = max(result.history, key=lambda h: h["micro_f1"])
    assert result.kept_epoch == best["epoch"]


def test_the_reloaded_adapter_predicts_label_sets_as_the_trained_model_did(multi_run):
    result, _ = multi_run
    clf = Classifier.load(result.adapter_dir)
    texts = toy_multilabel(6, seed=9).texts
    assert clf.multi_label and clf.thresholds == result.thresholds
    probs = clf.predict_proba(texts)
    np.testing.assert_allclose(probs, predict_probabilities(result.model, result.encoder, texts), atol=1e-5)
    assert not np.allclose(probs.sum(axis=1), 1.0)  # a sigmoid per label, not a softmax
    for text, p, row in zip(texts, clf.predict(texts), probs):
        chosen = tuple(name for name, prob, cut in zip(clf.labels, row, clf.thresholds) if prob >= cut)
        assert p.labels == chosen and p.label == ";".join(chosen)
    assert all(p.labels == LABELS for p in clf.predict(texts, thresholds=[0.0] * 3))
    assert all(p.labels == () and p.label == "" for p in clf.predict(texts, thresholds=[1.0] * 3))


def test_plain_peft_loads_the_multi_label_folder(multi_run):
    import torch

    from tiny_models import plain_peft_model

    result, _ = multi_run
    model = plain_peft_model(result.adapter_dir, "multi_label_classification")
    texts = toy_multilabel(3, seed=2).texts
    with torch.inference_mode():
        probs = torch.sigmoid(model(**result.encoder.collate(result.encoder.encode(texts))).logits).numpy()
    np.testing.assert_allclose(probs, Classifier.load(result.adapter_dir).predict_proba(texts), atol=1e-5)


def test_a_batch_gets_predicted_labels_and_a_probability_per_label(multi_run):
    import pandas as pd

    result, _ = multi_run
    clf = Classifier.load(result.adapter_dir)
    frame = pd.DataFrame({"text": toy_multilabel(5, seed=4).texts})
    out = predict_frame(clf, frame, "text")
    assert list(out.columns) == ["text", "predicted_labels", *(f"prob_{n}" for n in LABELS)]
    assert out["predicted_labels"].tolist() == [p.label for p in clf.predict(frame["text"].tolist())]


def test_evaluation_reads_label_sets_and_refuses_single_label_examples(multi_run):
    result, _ = multi_run
    clf = Classifier.load(result.adapter_dir)
    ex = toy_multilabel(40, seed=5)
    report = evaluate(clf, ex)
    assert report.multi_label and report.examples == 40 and report.thresholds == clf.thresholds
    with pytest.raises(DataError, match="several labels per text"):
        evaluate(clf, Examples(ex.texts, [s[0] if s else "praise" for s in ex.labels]))


def test_onnx_runtime_gives_the_same_label_probabilities(multi_run):
    result, _ = multi_run
    clf = Classifier.load(result.adapter_dir)
    texts = toy_multilabel(4, seed=6).texts
    expected = clf.predict_proba(texts)
    assert clf.use_onnx() < 1e-4
    np.testing.assert_allclose(clf.predict_proba(texts), expected, atol=1e-4)


def test_weighted_positives_use_binary_cross_entropy_with_pos_weight():
    import torch

    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.objectives import MultiLabel, positive_weights

    targets = [[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    loss = MultiLabel(LabelMap(("a", "b"))).weighted_loss(targets)
    logits = torch.tensor([[0.3, -1.0], [2.0, 0.5]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, labels, pos_weight=torch.tensor(positive_weights(targets)))
    assert positive_weights(targets) == [1.5, 1.5]
    assert loss({"logits": logits}, labels).item() == pytest.approx(expected.item())


def test_a_run_with_weighted_positives_trains(tiny_bert):
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap

    ex = toy_multilabel(60, seed=3)
    config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=1, batch_size=16, min_steps=0, class_weighting=True)
    result = run_training(config, Dataset(ex, LabelMap.from_labels(ex.label_names()), None))
    assert result.status == "completed" and result.validation.multi_label


# ---------------------------------------------------------------- the real model learns label sets
@pytest.fixture(scope="module")
def animals(tmp_path_factory):
    """MiniLM trained for 5 epochs (about 20 s) on texts whose labels are the animals they name: one, two or
    none of zebra (stripes), walrus (tusks), parrot (feathers), among filler words."""
    import random

    from desktop_app.core.data.dataset import stratified_split

    filler = ("river table cloud pencil garden window silver morning paper lamp stone quiet blue green road "
              "music letter yellow chair bread").split()
    animal = {"zebra": "stripes", "walrus": "tusks", "parrot": "feathers"}
    rng = random.Random(1)
    texts, sets = [], []
    for i in range(360):
        chosen = rng.sample(sorted(animal), [0, 1, 1, 2][i % 4])
        words = rng.sample(filler, 5)
        for a in chosen:
            words.insert(rng.randrange(len(words) + 1), a)
        texts.append(" ".join(words))
        sets.append(tuple(sorted(animal[a] for a in chosen)))
    ex = Examples(texts, sets, multi_label=True)
    config = TrainConfig(small_data="off", epochs=5, min_steps=0, precision="fp32", early_stopping_patience=0, none_of_these=True,
                         validation_fraction=0.2, test_fraction=0.2)
    splits = stratified_split(ex, 0.2, 0.2, seed=0)
    folder = tmp_path_factory.mktemp("animals")
    result = run_training(config, splits, out_dir=folder / "adapter")
    return result, Classifier.load(folder / "adapter")


@pytest.mark.slow
def test_the_built_in_model_learns_several_labels_per_text(animals):
    result, clf = animals
    assert result.test.micro_f1 > 0.95 and result.test.accuracy > 0.9  # held out: texts never seen
    assert clf.predict("river zebra cloud parrot pencil")[0].labels == ("feathers", "stripes")
    assert clf.predict("walrus garden window")[0].labels == ("tusks",)
    assert clf.predict("garden window silver lamp")[0].labels == ()  # none of these


@pytest.mark.slow
def test_an_explanation_points_at_the_word_behind_each_label(animals):
    from desktop_app.core.predict.explain import explain

    _, clf = animals
    text = "river zebra cloud walrus pencil"
    for target, word in (("stripes", "zebra"), ("tusks", "walrus")):
        e = explain(clf, text, target=target)
        assert max(e.words, key=lambda w: w.score).word == word
    assert explain(clf, text).label in ("stripes", "tusks")  # by default: a label the model chose


def test_the_run_history_shows_a_multi_label_run_with_its_micro_f1(multi_run, trained_adapter):
    from desktop_app.core.artifacts.manifest import read_manifest
    from desktop_app.core.artifacts.runs import RunInfo, compare

    result, _ = multi_run
    multi = RunInfo.from_manifest("multi", read_manifest(result.adapter_dir))
    single = RunInfo.from_manifest("single", read_manifest(trained_adapter.adapter_dir))
    assert multi.micro_f1 == pytest.approx(result.validation.micro_f1) and single.micro_f1 is None
    metrics, differ = compare(single, multi)
    assert ("Micro-F1", "–", f"{multi.micro_f1:.3f}") in metrics
    assert any(name == "Accuracy (multi-label: every label right)" for name, *_ in metrics)
    assert any(k == "multi_label" for k, *_ in differ)
    assert not any(name.startswith("Micro") for name, *_ in compare(single, single)[0])


def test_a_presets_learning_rate_is_scaled_for_label_sets_and_a_chosen_one_is_kept():
    from desktop_app.core.model.config import preset
    from desktop_app.core.train.objectives import MULTI_LABEL_LR_SCALE, for_task

    said = []
    balanced = preset("balanced")  # learning rate unset: automatic
    assert for_task(balanced, True, said.append).learning_rate == balanced.starting.learning_rate * MULTI_LABEL_LR_SCALE
    assert "learning rate" in said[0].message and "balanced" in said[0].message
    assert for_task(balanced, False, said.append) is balanced and len(said) == 1
    for rate in (3e-4, balanced.starting.learning_rate):  # a rate set is kept, the preset's own value too
        mine = balanced.with_overrides(learning_rate=rate)
        assert for_task(mine, True, said.append) is mine and len(said) == 1


def test_single_label_files_keep_the_keys_older_versions_read(trained_adapter):
    """An adapter or job with one label per text must still open in the version before label sets: its
    settings and metrics carry no key that version would refuse."""
    manifest = json.loads((trained_adapter.adapter_dir / "manifest.json").read_text())
    before = {"config_version", "base_model", "preset", "lora", "epochs", "learning_rate", "batch_size", "max_length",
              "max_length_cap", "weight_decay", "model_dropout", "warmup", "class_weighting",
              "early_stopping_patience", "min_steps", "validation_fraction", "test_fraction", "seed", "device",
              "precision", "frozen_cache_mb", "text_column", "label_column", "allow_download"}
    assert set(manifest["config"]) == before and "thresholds" not in manifest and manifest["task"] == "text-classification"
    assert set(manifest["metrics"]["validation"]) == {"labels", "examples", "accuracy", "macro_f1", "weighted_f1",
                                                      "per_class", "confusion", "mistakes", "loss"}
    assert all(set(m) == {"text", "true_label", "predicted", "confidence"}
               for m in manifest["metrics"]["validation"]["mistakes"])
    assert TrainConfig.from_dict(TrainConfig(multi_label=True, label_separator="|").to_dict()).label_separator == "|"


def test_a_base_model_that_names_its_own_problem_type_trains_either_kind(tmp_path):
    """Our task decides the head's loss, whatever the base model's config.json says."""
    from tiny_models import build_tiny_bert, toy_examples

    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap

    base = build_tiny_bert(tmp_path / "bert", toy_multilabel(40).texts + toy_examples(40).texts)
    config_file = base / "config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()),
                                       "problem_type": "multi_label_classification"}))
    single = toy_examples(40)
    config = TrainConfig(small_data="off", base_model=str(base), epochs=1, batch_size=16, min_steps=0)
    assert run_training(config, Dataset(single, LabelMap.from_labels(single.labels), None)).status == "completed"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "problem_type": "regression"}))
    multi = toy_multilabel(40)
    assert run_training(config, Dataset(multi, LabelMap.from_labels(multi.label_names()), None)).validation.multi_label


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_label_sets_train_in_either_number_format(tiny_bert, precision):
    """bf16 autocast is forced (any x86 CPU runs it, only slower), whatever this CPU would choose: the float
    targets meet bf16 logits in the loss (plain and weighted), and the reloadable model is fp32 again."""
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap

    ex = toy_multilabel(60, seed=8)
    for weighting in (False, True):
        config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=1, batch_size=16, min_steps=0, precision=precision,
                             class_weighting=weighting)
        result = run_training(config, Dataset(ex, LabelMap.from_labels(ex.label_names()), None))
        assert result.status == "completed" and result.validation.multi_label
        assert result.device.endswith("(bf16)") == (precision == "bf16")
