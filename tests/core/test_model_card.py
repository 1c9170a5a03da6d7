"""The exported adapter's model card: Hub YAML, safe Markdown, and a loading snippet that gives the app's predictions.

The snippet is taken from the card itself and run in a fresh Python (no LoRA Studio imported) from inside a copy
of the adapter folder, with the base resolved from the tiny model's folder, for a mean-pooled, a cls-pooled and a
multi-label adapter."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from tiny_models import toy_examples, write_toy_multilabel_csv

from desktop_app.core.predict.inference import Classifier
from desktop_app.core.artifacts.manifest import read_manifest
from desktop_app.core.artifacts.model_card import model_card

HUB_ID = "lora-studio-tests/tiny-bert"
# short texts (below the adapters' max length, so both cut nothing), of different lengths: padding is live
TEXTS = ["the film was great and fun", "awful boring plot", "it was okay", "", "story acting and plot",
         "the film was bad and dull really really"]
HOSTILE = ('neg | `x` "q" ```', "pos: #ü 🎉 <b>*_[a](b)</b> \\ $x$ & ~~s~~")


def _front_matter(card: str) -> dict:
    match = re.match(r"---\n(.*?)\n---\n", card, re.S)
    assert match, card[:300]
    return yaml.safe_load(match.group(1))


def _snippet(card: str) -> str:
    match = re.search(r"^(`{3,})python\n(.*?)\n\1$", card, re.S | re.M)
    assert match, "no python block in the card"
    return match.group(2)


def _tables(card: str) -> list[list[str]]:
    """Each Markdown table as its lines."""
    return [block.splitlines() for block in re.findall(r"(?:^\|.*\|\n)+", card, re.M)]


def _cells(line: str) -> list[str]:
    """A table line's cells, split only at unescaped pipes, each unescaped back to its text."""
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [re.sub(r"\\(.)", r"\1", c.strip()) for c in cells]


def _adapter_copy(source: Path, dest: Path, **changes) -> Path:
    """A copy of an adapter folder, its manifest changed (labels renamed everywhere, thresholds)."""
    shutil.copytree(source, dest)
    data = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    if "labels" in changes:
        rename = dict(zip(data["labels"], changes.pop("labels")))
        data["labels"] = [rename[n] for n in data["labels"]]
        for split in filter(None, data["metrics"].values()):
            split["labels"] = [rename[n] for n in split["labels"]]
            for row in split["per_class"]:
                row["label"] = rename[row["label"]]
            split["mistakes"] = []
        if data["training"].get("label_counts"):
            data["training"]["label_counts"] = {rename[k]: v for k, v in data["training"]["label_counts"].items()}
    data.update(changes)
    (dest / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    return dest


def _run_snippets(folders: dict, base_folder: Path, texts) -> dict:
    """Each card's README.md snippet as a recipient runs it: from its folder, the base swapped for the local one.
    One fresh Python runs them all (each in its own namespace): importing torch and peft is most of the time."""
    jobs = {}
    for name, folder in folders.items():
        code, swapped = re.subn(r"^base = .*$", f"base = {str(base_folder)!r}", _snippet(
            (folder / "README.md").read_text(encoding="utf-8")), count=1, flags=re.M)
        code, given = re.subn(r"^texts = .*$", f"texts = {list(texts)!r}", code, count=1, flags=re.M)
        assert swapped == given == 1, name
        jobs[name] = [str(folder), code]
    driver = ("import json, os, sys\nresults = {}\n"
              "for name, (folder, code) in json.load(sys.stdin).items():\n"
              "    os.chdir(folder)\n    scope = {}\n    exec(compile(code, name + '/README.md', 'exec'), scope)\n"
              "    results[name] = {'probs': scope['probs'].tolist(), 'predicted': scope['predicted']}\n"
              "print('RESULT', json.dumps(results))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", driver], input=json.dumps(jobs), cwd=tempfile.gettempdir(),
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1].removeprefix("RESULT "))


def _check_the_apps_predictions(folder: Path, got: dict) -> None:
    clf = Classifier.load(folder)
    assert max(clf.encoder.token_counts(TEXTS)) <= clf.manifest.max_length  # short texts: cut the same way
    probs = clf.predict_proba(TEXTS)
    assert np.ptp(probs, axis=0).max() > 0.01  # the texts differ: a snippet that misread them would show
    np.testing.assert_allclose(np.asarray(got["probs"]), probs, atol=1e-4)
    expected = [list(p.labels) if clf.multi_label else p.label for p in clf.predict(TEXTS)]
    assert got["predicted"] == expected


def _with_card(folder: Path, **kwargs) -> str:
    card = model_card(read_manifest(folder), HUB_ID, **kwargs)
    (folder / "README.md").write_text(card, encoding="utf-8")
    return card


# Learning rates high enough that the tiny models' probabilities differ from text to text by far more than the
# 1e-4 allowed (at 5e-3 the cls-pooled ones give every text the same probabilities to 1e-4: no test at all).
FAST = dict(small_data="off", learning_rate=2e-2, epochs=3, batch_size=16, min_steps=0, early_stopping_patience=0)


@pytest.fixture(scope="module")
def cls_adapter(tmp_path_factory, tiny_bert) -> Path:
    """A single-label adapter on the model's own [CLS] pooler, scored on a validation split."""
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    ex = toy_examples()
    config = TrainConfig(base_model=str(tiny_bert), pooling="cls", **FAST)
    result = run_training(config, Dataset(ex, LabelMap.from_labels(ex.labels), None),
                          out_dir=tmp_path_factory.mktemp("card-cls") / "adapter")
    assert (result.pooling, result.estimate.cross_validated) == ("cls", False)
    return result.adapter_dir


@pytest.fixture(scope="module")
def multi_adapter(tmp_path_factory, tiny_bert) -> Path:
    """A multi-label adapter whose thresholds decide some texts unlike a 0.5 cut, so the card's must be used."""
    from desktop_app.core.model.config import LoraSettings, TrainConfig
    from desktop_app.core.data.dataset import load_dataset
    from desktop_app.core.train.training import run_training

    folder = tmp_path_factory.mktemp("card-multi")
    data = load_dataset(write_toy_multilabel_csv(folder / "toy.csv", 90, separator="|"))
    # mean-pooled: the tiny model learns label sets too little on its [CLS] pooler to tell the texts apart
    config = TrainConfig(base_model=str(tiny_bert), pooling="mean", lora=LoraSettings(layer_share=1.0), **FAST)
    result = run_training(config, data, out_dir=folder / "trained")
    probs = Classifier.load(result.adapter_dir).predict_proba(TEXTS)
    # each label: cut just above its highest probability when that is at least 0.5 (0.5 gives it, the cut not),
    # else just below its lowest (the cut gives it, 0.5 not); 0.01 away from every probability
    cuts = [min(0.99, col.max() + 0.01) if col.max() >= 0.5 else max(0.01, col.min() - 0.01) for col in probs.T]
    assert ((probs >= 0.5) != (probs >= np.asarray(cuts))).any()
    return _adapter_copy(result.adapter_dir, folder / "adapter", thresholds=[float(c) for c in cuts])


@pytest.fixture(scope="module")
def snippet_runs(tmp_path_factory, trained_adapter, cls_adapter, multi_adapter, tiny_bert):
    """Three exported folders with their cards, and what each card's snippet printed."""
    root = tmp_path_factory.mktemp("cards")
    folders = {"mean": shutil.copytree(trained_adapter.adapter_dir, root / "mean"),
               "cls": _adapter_copy(cls_adapter, root / "cls", labels=list(HOSTILE)),
               "multi": multi_adapter}
    for folder in folders.values():
        _with_card(folder)
    return folders, _run_snippets(folders, tiny_bert, TEXTS)


# ---------------------------------------------------------------- the snippet gives the app's predictions
def test_the_snippet_gives_the_apps_predictions_for_a_mean_pooled_adapter(snippet_runs):
    folders, got = snippet_runs
    assert read_manifest(folders["mean"]).pooling == "mean"
    assert "MeanPooler" in _snippet((folders["mean"] / "README.md").read_text(encoding="utf-8"))
    _check_the_apps_predictions(folders["mean"], got["mean"])


def test_the_snippet_gives_the_apps_predictions_for_a_cls_pooled_adapter_with_hostile_labels(snippet_runs):
    folders, got = snippet_runs
    manifest = read_manifest(folders["cls"])
    assert manifest.pooling == "cls" and manifest.labels == HOSTILE
    card = (folders["cls"] / "README.md").read_text(encoding="utf-8")
    assert "MeanPooler" not in card
    compile(_snippet(card), "README.md", "exec")  # the backticks in a label did not close the block early
    _check_the_apps_predictions(folders["cls"], got["cls"])


def test_the_snippet_applies_each_labels_threshold_for_a_multi_label_adapter(snippet_runs):
    folders, got = snippet_runs
    snippet = _snippet((folders["multi"] / "README.md").read_text(encoding="utf-8"))
    assert "torch.sigmoid" in snippet and repr(list(read_manifest(folders["multi"]).thresholds)) in snippet
    _check_the_apps_predictions(folders["multi"], got["multi"])


# ---------------------------------------------------------------- YAML front matter
def test_the_front_matter_names_the_hub_id_and_the_validation_scores(trained_adapter, cls_adapter, multi_adapter):
    for folder, multi in ((trained_adapter.adapter_dir, False), (cls_adapter, False), (multi_adapter, True)):
        manifest = read_manifest(folder)
        meta = _front_matter(model_card(manifest, HUB_ID, base_license="apache-2.0"))
        assert meta["base_model"] == HUB_ID and meta["library_name"] == "peft"
        assert meta["pipeline_tag"] == "text-classification" and meta["license"] == "apache-2.0"
        assert {"peft", "lora", f"base_model:adapter:{HUB_ID}"} <= set(meta["tags"])
        assert ("multi-label-classification" in meta["tags"]) == multi
        result = meta["model-index"][0]["results"][0]
        assert result["task"]["type"] == "text-classification"
        values = {m["name"]: m["value"] for m in result["metrics"]}
        wanted = {"Exact-match accuracy" if multi else "Accuracy": manifest.validation.accuracy,
                  "Macro F1": manifest.validation.macro_f1}
        if multi:
            wanted["Micro F1"] = manifest.validation.report["micro_f1"]
        assert values == wanted


def test_an_unknown_licence_is_said_in_the_body_and_left_out_of_the_yaml(cls_adapter):
    card = model_card(read_manifest(cls_adapter), HUB_ID)
    assert "license" not in _front_matter(card)
    assert "licence is unknown" in card


def test_a_local_base_is_named_by_its_folder_with_the_note(cls_adapter):
    note = "The base is the folder “my model (v2)” from LoRA Studio's models folder; ask the sender for it."
    card = model_card(read_manifest(cls_adapter), "my model (v2)", base_note=note)
    meta = _front_matter(card)
    assert "base_model" not in meta and not any(t.startswith("base_model:") for t in meta["tags"])
    assert "ask the sender for it" in card and "base = \"my model (v2)\"" in _snippet(card)
    card = model_card(read_manifest(cls_adapter), "all-MiniLM-L6-v2", base_note=note)  # looks like a hub id
    assert "base_model" not in _front_matter(card) and "huggingface.co" not in card


# ---------------------------------------------------------------- hostile names
def test_hostile_names_keep_the_yaml_and_the_tables_intact(cls_adapter):
    manifest = read_manifest(cls_adapter)
    training = {**manifest.training, "dataset": "evil\n---\nlicense: mit\n# [x](y) | ` name.csv",
                "note": "a | b\n\n# heading", "label_counts": dict(zip(HOSTILE, (61, 59)))}
    validation = replace(manifest.validation, report={**manifest.validation.report, "per_class": [
        {**row, "label": name} for row, name in zip(manifest.validation.report["per_class"], HOSTILE)]})
    card = model_card(replace(manifest, labels=HOSTILE, training=training, validation=validation), HUB_ID)
    meta = _front_matter(card)
    assert "license" not in meta and meta["base_model"] == HUB_ID
    assert meta["model-index"][0]["results"][0]["dataset"]["name"] == "evil --- license: mit # [x](y) | ` name.csv"
    assert "\n# heading" not in card and "\n---\nlicense" not in card
    tables = _tables(card)
    assert len(tables) >= 3
    for table in tables:
        assert len({len(_cells(line)) for line in table}) == 1, table  # no row has a cell too many
    labels_table = next(t for t in tables if _cells(t[0])[:2] == ["Id", "Label"])
    assert [_cells(line)[1:3] for line in labels_table[2:]] == [[HOSTILE[0], "61"], [HOSTILE[1], "59"]]
    per_label = next(t for t in tables if _cells(t[0])[0] == "Label")
    assert [_cells(line)[0] for line in per_label[2:]] == list(HOSTILE)
    labels_line = next(line for line in _snippet(card).splitlines() if line.startswith("labels = "))
    assert eval(labels_line.removeprefix("labels = ")) == list(HOSTILE)  # noqa: S307 - our own literal


# ---------------------------------------------------------------- how the score was measured, what the card says
def test_a_cross_validated_estimate_is_described_as_such(trained_adapter):
    manifest = read_manifest(trained_adapter.adapter_dir)
    assert manifest.estimate.cross_validated
    card = model_card(manifest, HUB_ID)
    folds = manifest.estimate.folds
    assert _front_matter(card)["model-index"][0]["results"][0]["dataset"]["split"] == f"{folds}-fold cross-validation"
    assert f"estimated by {folds}-fold cross-validation" in card and "the small-data path" in card
    assert "held-out validation split" not in card and "Validation rows" not in card


def test_a_validation_split_is_described_as_such(cls_adapter):
    manifest = read_manifest(cls_adapter)
    card = model_card(manifest, HUB_ID)
    assert _front_matter(card)["model-index"][0]["results"][0]["dataset"]["split"] == "validation"
    assert f"measured on {manifest.validation.examples} held-out validation examples" in card
    assert "held-out validation split" in card and "cross-validation" not in card


def test_label_counts_are_the_training_rows_when_recorded_else_the_validation_rows(cls_adapter):
    manifest = read_manifest(cls_adapter)
    manifest = replace(manifest, training={k: v for k, v in manifest.training.items() if k != "label_counts"})
    without = model_card(manifest, HUB_ID)  # as an adapter saved before the counts were recorded
    support = [str(row["support"]) for row in manifest.validation.report["per_class"]]
    table = next(t for t in _tables(without) if _cells(t[0])[:2] == ["Id", "Label"])
    assert _cells(table[0])[2] == "Validation rows" and [_cells(line)[2] for line in table[2:]] == support
    assert "counts are of the validation rows" in without
    counted = replace(manifest, training={**manifest.training, "label_counts": {"neg": 3, "pos": 48}})
    card = model_card(counted, HUB_ID)
    table = next(t for t in _tables(card) if _cells(t[0])[:2] == ["Id", "Label"])
    assert _cells(table[0])[2] == "Training rows" and [_cells(line)[2] for line in table[2:]] == ["3", "48"]
    assert "**Small classes:** “neg” had fewer than 20 training rows" in card


def test_the_card_says_whether_the_export_holds_texts(cls_adapter):
    manifest = read_manifest(cls_adapter)
    assert "holds none of the training or validation texts" in model_card(manifest, HUB_ID)
    assert "includes example mistakes" in model_card(manifest, HUB_ID, examples_included=True)


def test_no_placeholder_and_no_local_path(trained_adapter, cls_adapter, multi_adapter, tiny_bert):
    assert read_manifest(trained_adapter.adapter_dir).base_model.ref == str(tiny_bert)  # a path the card must hide
    for folder in (trained_adapter.adapter_dir, cls_adapter, multi_adapter):
        card = model_card(read_manifest(folder), HUB_ID)
        assert "[More Information Needed]" not in card and "More Information" not in card
        for path in (str(tiny_bert), tiny_bert.name, str(folder), tempfile.gettempdir(), str(Path.home()),
                     "site-packages", sys.prefix):
            assert path not in card, path
