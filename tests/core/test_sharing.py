"""Issue 24: a shared adapter names no local path, carries no text of the user's data unless asked, names its base
by hub id (or folder name), and is found again by its base's fingerprint on the recipient's computer."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.artifacts.adapters import export_adapter, import_adapter_zip
from desktop_app.core.base.errors import AdapterError
from desktop_app.core.predict.inference import Classifier
from desktop_app.core.artifacts.manifest import BaseModelRef, read_manifest
from desktop_app.core.model.base_models import EMBEDDED_ID, EMBEDDED_SHA256
from desktop_app.core.artifacts.sharing import EMBEDDED_HUB_ID, shared_adapter_config, shared_base

TEXTS = ["the film was good and superb", "boring and dull, the worst", "fine"]


def local_traces(text: str, *extra: str) -> list[str]:
    """What in `text` would tell a recipient where the sender's files are."""
    needles = {str(Path.home()), tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir()), "site-packages",
               *extra}
    found = [n for n in needles if n and n != "/" and n in text]
    found += re.findall(r"\b[A-Za-z]:[\\/]", text)  # a Windows drive
    return found


def readable(name: str, data: bytes) -> str:
    """A file as text; of the weights, their header (names, shapes, metadata): the rest is numbers, in which any
    two bytes may read as a drive letter."""
    if name.endswith(".safetensors"):
        data = data[8:8 + int.from_bytes(data[:8], "little")]
    return data.decode("utf-8", "replace")


def files_of(export: Path) -> dict[str, str]:
    if export.is_dir():
        return {p.name: readable(p.name, p.read_bytes()) for p in export.iterdir()}
    with zipfile.ZipFile(export) as zf:
        return {n: readable(n, zf.read(n)) for n in zf.namelist()}


def test_an_exported_zip_names_no_local_path_and_holds_no_text_of_the_data(trained_adapter, tiny_bert, tmp_path):
    adapter = trained_adapter.adapter_dir
    assert read_manifest(adapter).validation.report["mistakes"], "the toy run should have mistakes to leave out"
    shared = export_adapter(adapter, tmp_path / "shared.zip")
    files = files_of(shared)
    assert sorted(files) == ["README.md", "adapter_config.json", "adapter_model.safetensors", "manifest.json"]
    for name, text in files.items():
        assert local_traces(text, str(tiny_bert), str(adapter)) == [], name
    manifest = json.loads(files["manifest.json"])
    assert manifest["metrics"]["validation"]["mistakes"] == []
    assert manifest["base_model"]["ref"] == tiny_bert.name and manifest["config"]["base_model"] == tiny_bert.name
    assert manifest["base_model"]["fingerprint"] == read_manifest(adapter).base_model.fingerprint
    config = json.loads(files["adapter_config.json"])
    assert config["base_model_name_or_path"] == tiny_bert.name
    assert len(config["modules_to_save"]) == len(set(config["modules_to_save"]))
    assert "[More Information Needed]" not in files["README.md"]
    for text in trained_adapter.validation.mistakes:  # not one validation text travels
        assert all(text.text not in body for body in files.values())


def test_the_example_mistakes_travel_only_when_asked(trained_adapter, tmp_path):
    shared = export_adapter(trained_adapter.adapter_dir, tmp_path / "with-examples", include_examples=True)
    mistakes = read_manifest(shared).validation.report["mistakes"]
    assert mistakes == read_manifest(trained_adapter.adapter_dir).validation.report["mistakes"]
    assert "example mistakes" in (shared / "README.md").read_text(encoding="utf-8").lower()


def test_the_saved_folder_already_has_the_shared_config_and_card(trained_adapter, tiny_bert):
    """A user may copy the training's folder as it is: its peft config and card name no path either (its
    manifest keeps the base's folder, which this computer needs)."""
    folder = trained_adapter.adapter_dir
    for name in ("adapter_config.json", "README.md"):
        assert local_traces((folder / name).read_text(encoding="utf-8"), str(tiny_bert)) == [], name
    assert read_manifest(folder).base_model.ref == str(tiny_bert.resolve())


def test_the_export_reopens_here_with_the_same_predictions(trained_adapter, tmp_path):
    """The base is named without its path; this computer remembers the folder it trained with."""
    before = Classifier.load(trained_adapter.adapter_dir).predict_proba(TEXTS)
    for shared in (export_adapter(trained_adapter.adapter_dir, tmp_path / "a.zip"),
                   export_adapter(trained_adapter.adapter_dir, tmp_path / "folder")):
        assert abs(Classifier.load(shared).predict_proba(TEXTS) - before).max() < 1e-6


def test_a_recipient_without_the_base_gets_a_sentence_then_points_at_it(trained_adapter, tiny_bert, tmp_path,
                                                                        monkeypatch):
    shared = export_adapter(trained_adapter.adapter_dir, tmp_path / "a.zip")
    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "recipient"))  # nothing remembered there
    monkeypatch.chdir(tmp_path)
    (tmp_path / tiny_bert.name).mkdir()  # a folder of the base's name in the working folder is never used
    with pytest.raises(AdapterError) as refused:
        Classifier.load(shared)
    assert tiny_bert.name in refused.value.message and "not on this computer" in refused.value.message
    assert "--base-model" in refused.value.hint
    copy = shutil.copytree(tiny_bert, tmp_path / "elsewhere" / "my-copy")
    expected = Classifier.load(trained_adapter.adapter_dir, base_model=tiny_bert).predict_proba(TEXTS)
    assert abs(Classifier.load(shared, base_model=copy).predict_proba(TEXTS) - expected).max() < 1e-6
    assert abs(Classifier.load(shared).predict_proba(TEXTS) - expected).max() < 1e-6  # remembered now


def test_a_base_of_other_weights_is_refused_by_name(trained_adapter, tiny_roberta, tmp_path):
    shared = export_adapter(trained_adapter.adapter_dir, tmp_path / "a.zip")
    with pytest.raises(AdapterError, match="has different weights"):
        Classifier.load(shared, base_model=tiny_roberta)


def test_an_older_adapter_opens_as_it_was_and_is_cleaned_when_exported(trained_adapter, tiny_bert, tmp_path):
    """Made before this version: peft's template card and config with the sender's path, duplicates listed."""
    old = shutil.copytree(trained_adapter.adapter_dir, tmp_path / "old")
    config = json.loads((old / "adapter_config.json").read_text())
    config.update(base_model_name_or_path=str(tiny_bert), modules_to_save=["classifier", "classifier", "score"])
    (old / "adapter_config.json").write_text(json.dumps(config))
    (old / "README.md").write_text(f"---\nbase_model: {tiny_bert}\n---\n# Model Card for Model ID\n"
                                   "[More Information Needed]\n")
    expected = Classifier.load(trained_adapter.adapter_dir).predict_proba(TEXTS)
    assert abs(Classifier.load(old).predict_proba(TEXTS) - expected).max() < 1e-6
    shared = export_adapter(old, tmp_path / "old.zip")
    files = files_of(shared)
    assert all(local_traces(text, str(tiny_bert)) == [] for text in files.values())
    assert json.loads(files["adapter_config.json"])["modules_to_save"] == ["classifier", "score"]
    imported = import_adapter_zip(shared, tmp_path / "imported")
    assert abs(Classifier.load(imported).predict_proba(TEXTS) - expected).max() < 1e-6


def _ref(ref: str, kind: str, fingerprint: str = "a" * 64, name: str = "") -> BaseModelRef:
    return BaseModelRef(ref, kind, "bert", name or ref, fingerprint)


def test_the_built_in_model_is_named_by_its_hub_id_wherever_it_lies(tmp_path):
    embedded = shared_base(_ref(EMBEDDED_ID, "embedded", EMBEDDED_SHA256, "all-MiniLM-L6-v2 (built in)"))
    assert (embedded.name, embedded.hub_id, embedded.license, embedded.note) == (EMBEDDED_HUB_ID, EMBEDDED_HUB_ID,
                                                                                  "apache-2.0", "")
    assert embedded.languages == ("en",)
    copied = shared_base(_ref(str(tmp_path / "minilm-copy"), "local", EMBEDDED_SHA256))  # same weights
    assert copied.hub_id == EMBEDDED_HUB_ID


def test_a_cached_model_and_a_cache_folder_are_named_by_their_hub_id(tmp_path):
    assert shared_base(_ref("org/some-model", "hf-cache")).name == "org/some-model"
    snapshot = tmp_path / "hub" / "models--org--some-model" / "snapshots" / "0123abcd"
    assert shared_base(_ref(str(snapshot), "local")).hub_id == "org/some-model"


def test_a_local_folder_is_named_by_its_folder_name_with_a_sentence(tmp_path):
    folder = tmp_path / "Jane's models" / "my bert!"
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("---\nlicense: mit\nlanguage: [de, fr]\n---\nhello\n", encoding="utf-8")
    base = shared_base(_ref(str(folder), "local", name="my bert!"))
    assert (base.name, base.hub_id, base.license, base.languages) == ("my-bert", None, "mit", ("de", "fr"))
    assert "local folder" in base.note and str(tmp_path) not in base.note
    windows = shared_base(_ref("C:\\Users\\jane\\models\\tiny", "local"))
    assert windows.name == "tiny" and local_traces(windows.note) == []


@pytest.mark.parametrize("card", ["---\nlicense: [1, 2]\n---\n", "---\n: : :\n---\n", "---\nlicense: \"a b\"\n---\n",
                                  "no front matter", "---\n" + "[" * 5000 + "\n---\n"])
def test_a_hostile_base_card_gives_no_licence(tmp_path, card):
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "README.md").write_text(card, encoding="utf-8")
    assert shared_base(_ref(str(folder), "local")).license is None


def test_the_peft_config_lists_each_saved_module_once_and_names_the_base():
    base = shared_base(_ref(EMBEDDED_ID, "embedded", EMBEDDED_SHA256))
    out = shared_adapter_config({"modules_to_save": ["classifier", "pooler", "classifier", "score"],
                                 "base_model_name_or_path": "/home/jane/x", "r": 8}, base)
    assert out == {"modules_to_save": ["classifier", "pooler", "score"], "base_model_name_or_path": EMBEDDED_HUB_ID,
                   "r": 8}


def test_the_remembered_folders_file_is_read_as_hostile(tmp_path, monkeypatch):
    from desktop_app.core.artifacts import known_bases

    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path))
    for junk in ("not json", "[1, 2]", '{"folders": {"a": 1}}', '{"folders": [{"fingerprint": "x", "path": "/"}]}',
                 '{"folders": [' * 3000):
        (tmp_path / known_bases.FILE).write_text(junk)
        assert known_bases.remembered() == {}
    known_bases.remember(tmp_path / "b", "b" * 64)
    assert known_bases.remembered() == {"b" * 64: str((tmp_path / "b").resolve())}
    assert known_bases.find_base("b" * 64) is None  # remembered, but the folder holds no such weights


def test_an_onnx_export_names_no_local_path_and_carries_the_card(trained_adapter, tiny_bert, tmp_path):
    import yaml

    from desktop_app.core.artifacts.onnx_export import export_onnx

    folder = export_onnx(Classifier.load(trained_adapter.adapter_dir), tmp_path / "onnx").folder
    for path in folder.iterdir():
        text = path.read_bytes().decode("utf-8", "replace")
        assert [t for t in local_traces(text, str(tiny_bert), str(trained_adapter.adapter_dir))
                if path.suffix != ".onnx" or not re.fullmatch(r"[A-Za-z]:[\\/]", t)] == [], path.name
    card = (folder / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(re.match(r"---\n(.*?)\n---\n", card, re.S).group(1))
    assert front["library_name"] == "onnx" and "onnxruntime" in card and "PeftModel" not in card
    assert "## Labels" in card and "[More Information Needed]" not in card
    assert json.loads((folder / "lora_studio_onnx.json").read_text())["base_model"] == tiny_bert.name


def test_the_card_of_an_adapter_on_the_built_in_model_names_its_hub_id_licence_and_language(trained_adapter):
    import yaml

    from desktop_app.core.artifacts.sharing import card_for, shared_manifest

    base = shared_base(_ref(EMBEDDED_ID, "embedded", EMBEDDED_SHA256))
    card = card_for(shared_manifest(read_manifest(trained_adapter.adapter_dir), base), base)
    front = yaml.safe_load(re.match(r"---\n(.*?)\n---\n", card, re.S).group(1))
    assert (front["base_model"], front["license"], front["language"]) == (EMBEDDED_HUB_ID, "apache-2.0", ["en"])
    assert "in English, the language its base model was trained on" in card
    assert f'base = "{EMBEDDED_HUB_ID}"' in card
