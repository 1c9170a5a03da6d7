"""ONNX export: a deployable folder whose model gives PyTorch's probabilities, a failing parity check that
leaves nothing behind, the ONNX Runtime backend, and every destination that is not ours refused."""

import json

import numpy as np
import pytest

from desktop_app.core.base.errors import ExportError, OutputError
from desktop_app.core.predict.inference import Classifier
from desktop_app.core.artifacts.onnx_export import (INFO_FILE, ONNX_FILE, PROBES, TOLERANCE, export_onnx, onnx_probabilities,
                                          open_session)

TEXTS = ["the film was great and fun", "awful boring plot", "it was okay", "", "x " * 500,
         "the film was great and fun " * 3]


@pytest.fixture(scope="module")
def classifier(trained_adapter):
    return Classifier.load(trained_adapter.adapter_dir)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_export_writes_a_folder_that_predicts_like_pytorch(classifier, tmp_path):
    exported = export_onnx(classifier, tmp_path / "onnx")
    folder = exported.folder
    names = sorted(p.name for p in folder.iterdir())
    assert {ONNX_FILE, INFO_FILE, "README.md", "tokenizer.json", "tokenizer_config.json"} <= set(names)
    info = json.loads((folder / INFO_FILE).read_text())
    assert info["labels"] == ["neg", "pos"] and info["max_length"] == classifier.encoder.max_length
    assert info["files"] == names and info["inputs"] == ["input_ids", "attention_mask"]
    assert 0 <= exported.gap <= TOLERANCE == info["parity"]["tolerance"]
    # the written file, read back in a fresh session, batched (padded) and one text at a time
    session = open_session(folder / ONNX_FILE)
    expected = classifier.predict_proba(TEXTS)
    for batch_size in (64, 1):
        np.testing.assert_allclose(onnx_probabilities(session, classifier.encoder, TEXTS, batch_size), expected,
                                   atol=1e-5)
    assert _leftovers(tmp_path) == []


def test_the_folder_alone_is_enough_to_deploy(classifier, tmp_path):
    """What the README in the folder tells a deployer to do: its tokenizer and ONNX Runtime, no LoRA Studio."""
    import onnxruntime as ort
    from transformers import AutoTokenizer

    folder = export_onnx(classifier, tmp_path / "deploy").folder
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    session = ort.InferenceSession(str(folder / ONNX_FILE), providers=["CPUExecutionProvider"])
    short = TEXTS[:3]  # under max length, so plain truncation and LoRA Studio's head+tail agree
    batch = tokenizer(short, padding=True, return_tensors="np")
    logits = session.run(["logits"], {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]})[0]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probs, classifier.predict_proba(short), atol=1e-5)


@pytest.mark.parametrize("model", ["tiny_bert", "tiny_roberta"])
def test_both_model_families_export_with_dynamic_batch_and_length(model, request, tmp_path):
    """RoBERTa derives position ids from the padding: a graph that baked in a length or a mask fails here."""
    from desktop_app.core.model.base_models import load_classifier, load_tokenizer, resolve_base_model
    from desktop_app.core.model.text import TextEncoder

    base = resolve_base_model(str(request.getfixturevalue(model)))
    clf = Classifier(load_classifier(base, ("a", "b", "c")).eval(), TextEncoder(load_tokenizer(base), 64),
                     ("a", "b", "c"), None)
    exported = export_onnx(clf, tmp_path / "out")
    session = open_session(exported.folder / ONNX_FILE)
    for texts in (TEXTS[:1], TEXTS, PROBES):
        np.testing.assert_allclose(onnx_probabilities(session, clf.encoder, texts, 4), clf.predict_proba(texts, 4),
                                   atol=1e-5)


def test_a_failing_parity_check_is_refused_and_nothing_is_written(classifier, tmp_path, monkeypatch):
    from desktop_app.core.artifacts import onnx_export

    real_copy = onnx_export._fp32_copy

    def drifted(model):  # an export that changed the model: its head no longer the trained one
        import torch

        copy = real_copy(model)
        with torch.no_grad():
            copy.classifier.bias += torch.tensor([0.5, -0.5])
        return copy

    monkeypatch.setattr(onnx_export, "_fp32_copy", drifted)
    with pytest.raises(ExportError, match="differ from the original's"):
        export_onnx(classifier, tmp_path / "onnx")
    assert list(tmp_path.iterdir()) == []  # no folder, no .part, no lock

    previous = tmp_path / "earlier"  # an earlier export stays exactly as it was
    monkeypatch.setattr(onnx_export, "_fp32_copy", real_copy)
    export_onnx(classifier, previous)
    before = {p.name: p.read_bytes() for p in previous.iterdir()}
    monkeypatch.setattr(onnx_export, "_fp32_copy", drifted)
    with pytest.raises(ExportError):
        export_onnx(classifier, previous)
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == before
    assert _leftovers(tmp_path) == []


def test_an_export_that_gives_nan_probabilities_is_refused(classifier, tmp_path, monkeypatch):
    """NaN compares false with everything: the check must refuse a gap that is not a number, not only a large one."""
    from desktop_app.core.artifacts import onnx_export

    real_copy = onnx_export._fp32_copy

    def broken(model):  # an export whose head gives NaN logits, so NaN probabilities
        import torch

        copy = real_copy(model)
        with torch.no_grad():
            copy.classifier.bias.fill_(float("nan"))
        return copy

    monkeypatch.setattr(onnx_export, "_fp32_copy", broken)
    with pytest.raises(ExportError, match="differ from the original's by up to nan"):
        export_onnx(classifier, tmp_path / "onnx")
    assert list(tmp_path.iterdir()) == []


def test_an_exporter_failure_is_one_sentence(classifier, tmp_path, monkeypatch):
    import torch

    def broken(*args, **kwargs):
        raise RuntimeError("Exporting the operator 'aten::weird' to ONNX opset version 17 is not supported.\nmore")

    monkeypatch.setattr(torch.onnx, "export", broken)
    with pytest.raises(ExportError, match="cannot be exported to ONNX") as info:
        export_onnx(classifier, tmp_path / "onnx")
    assert "aten::weird" in info.value.hint and "more" not in info.value.hint
    assert list(tmp_path.iterdir()) == []


def test_an_int8_model_is_not_exported(trained_adapter, tmp_path):
    with pytest.raises(ExportError, match="int8"):
        export_onnx(Classifier.load(trained_adapter.adapter_dir, int8=True), tmp_path / "onnx")
    assert list(tmp_path.iterdir()) == []


def test_the_onnx_backend_predicts_what_pytorch_predicts(trained_adapter, classifier):
    fast = Classifier.load(trained_adapter.adapter_dir, backend="onnx")
    assert fast.onnx is not None and classifier.onnx is None
    np.testing.assert_allclose(fast.predict_proba(TEXTS), classifier.predict_proba(TEXTS), atol=1e-5)
    assert [p.label for p in fast.predict(TEXTS)] == [p.label for p in classifier.predict(TEXTS)]
    assert fast.predict_proba([]).shape == (0, 2)


def test_auto_falls_back_to_pytorch_when_the_model_does_not_export_faithfully(trained_adapter, classifier,
                                                                              monkeypatch, caplog):
    from desktop_app.core.artifacts import onnx_export

    monkeypatch.setattr(onnx_export, "TOLERANCE", -1.0)  # no export can pass
    auto = Classifier.load(trained_adapter.adapter_dir, backend="auto")
    assert auto.onnx is None and "Predicting with PyTorch" in caplog.text
    np.testing.assert_allclose(auto.predict_proba(TEXTS), classifier.predict_proba(TEXTS), atol=1e-6)
    with pytest.raises(ExportError):
        Classifier.load(trained_adapter.adapter_dir, backend="onnx")
    assert Classifier.load(trained_adapter.adapter_dir, int8=True, backend="auto").onnx is None


def test_the_model_just_trained_can_predict_through_onnx(trained_adapter):
    from desktop_app.core.predict.inference import predict_probabilities

    clf = Classifier.from_training(trained_adapter, backend="auto")
    assert clf.onnx is not None
    np.testing.assert_allclose(clf.predict_proba(TEXTS), predict_probabilities(
        trained_adapter.model, trained_adapter.encoder, TEXTS), atol=1e-5)


# ---------------------------------------------------------------- destinations
def test_an_earlier_export_and_an_empty_folder_may_be_replaced(classifier, tmp_path):
    target = export_onnx(classifier, tmp_path / "onnx").folder
    (target / ONNX_FILE).write_bytes(b"old")
    export_onnx(classifier, target)
    assert (target / ONNX_FILE).stat().st_size > 1000
    empty = tmp_path / "empty"
    empty.mkdir()
    export_onnx(classifier, empty)
    assert (empty / INFO_FILE).is_file()
    assert _leftovers(tmp_path) == []


def _foreign(tmp_path, name, info=None, extra=None):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    if info is not None:
        (folder / INFO_FILE).write_bytes(info if isinstance(info, bytes) else json.dumps(info).encode())
    return folder


@pytest.mark.parametrize("info", [
    None,                                                                  # a folder of the user's
    b"\xff not json",                                                      # damaged
    {"format": "lora-studio-onnx", "files": "notes.txt"},                  # files of the wrong type
    {"format": "something-else", "files": ["notes.txt", INFO_FILE]},       # not our format
    {"format": "lora-studio-onnx", "files": [INFO_FILE]},                  # ours, but the user added notes.txt
    [1, 2, 3],
])
def test_a_folder_that_is_not_our_export_is_never_replaced(classifier, tmp_path, info):
    folder = _foreign(tmp_path, "project", info)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OutputError, match="not a LoRA Studio ONNX export folder"):
        export_onnx(classifier, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_huge_info_file_is_not_read(classifier, tmp_path):
    folder = _foreign(tmp_path, "big", b" " * (1024**2 + 1))
    (folder / "notes.txt").unlink()
    with pytest.raises(OutputError):
        export_onnx(classifier, folder)


def test_a_file_an_adapter_and_protected_folders_are_refused(classifier, trained_adapter, tmp_path, monkeypatch):
    a_file = tmp_path / "model.onnx"
    a_file.write_text("mine")
    for target in (a_file, trained_adapter.adapter_dir):
        with pytest.raises(OutputError, match="already exists"):
            export_onnx(classifier, target)
    assert a_file.read_text() == "mine"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputError, match="working, home or top folder"):
        export_onnx(classifier, tmp_path)
    with pytest.raises(OutputError, match="No output name"):
        export_onnx(classifier, "  ")
