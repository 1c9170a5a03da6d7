"""Attacks on issue 24's sharing (sharing.py, known_bases.py, model_card.py, `lora-studio export`): a stranger's
manifest naming the base by a path of their machine, destinations that are not ours, an export that fails half
way, a hub-like name with the network open, and base folders LoRA Studio must not read for ever."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import zipfile
from pathlib import Path

import pytest
import yaml

from hostile import one_line_error

from desktop_app.cli import main
from desktop_app.core.artifacts.adapters import export_adapter
from desktop_app.core.base.errors import AdapterError
from desktop_app.core.artifacts.manifest import read_manifest

# What a stranger's (or an older LoRA Studio's) manifest may say its local base was, on its own machine.
THEIR_PATHS = {
    "windows": "C:\\Users\\bob\\models\\my-base",
    "windows-forward": "D:/Users/bob/models/my-base",
    "unc": "\\\\fileserver\\share\\bob\\my-base",
    "home": "~/bob/my-base",
    "relative": "../bob/my-base",
    "posix": "/home/bob/my-base/",
    "control": "C:\\Users\\bob\\my\nbase\u202e\x1b[31m",
    "long": "/home/bob/" + "x" * 900,
}


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _write(folder: Path, manifest: dict) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _texts(export: Path) -> dict[str, str]:
    """Every file of an export folder or zip as text; of the weights, their JSON header."""
    if export.is_dir():
        raw = {p.name: p.read_bytes() for p in export.iterdir()}
    else:
        with zipfile.ZipFile(export) as zf:
            raw = {n: zf.read(n) for n in zf.namelist()}
    if "adapter_model.safetensors" in raw:
        data = raw["adapter_model.safetensors"]
        raw["adapter_model.safetensors"] = data[8:8 + int.from_bytes(data[:8], "little")]
    return {name: data.decode("utf-8", "replace") for name, data in raw.items()}


def _front_matter(card: str) -> dict:
    return yaml.safe_load(re.match(r"---\n(.*?)\n---\n", card, re.S).group(1))


@pytest.mark.parametrize("kind", ["local", "hub", "hf-cache", "embedded"])
@pytest.mark.parametrize("where", sorted(THEIR_PATHS))
def test_a_strangers_local_base_path_is_not_passed_on(adapter_copy, tmp_path, where, kind):
    """A re-export of a stranger's adapter whose manifest names its local base (and, differently, its settings'
    base) by a path of their machine: Windows drive, UNC share, ~, ../, a trailing slash, control characters and
    an RTL override, 900 characters; whatever kind the manifest claims, its display name the same path. No file
    of the export repeats any of it (of the last, at most its folder's name cut to 100 characters); the card's
    YAML still parses."""
    path = THEIR_PATHS[where]
    manifest = _manifest(adapter_copy)
    manifest["base_model"].update(ref=path, kind=kind, name=path[:300])
    manifest["config"]["base_model"] = "C:\\Users\\bob\\Desktop\\other-base"  # differs from the ref
    _write(adapter_copy, manifest)
    shared = export_adapter(adapter_copy, tmp_path / "shared.zip")
    texts = _texts(shared)
    for name, text in texts.items():
        for trace in ("bob", "Users", "fileserver", "\u202e", "\x1b", "x" * 101):
            assert trace not in text, (name, trace)
        assert not re.search(r"\b[A-Za-z]:[\\/]", text), name
    out = json.loads(texts["manifest.json"])
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,100}", out["base_model"]["ref"]), out["base_model"]["ref"]
    assert out["config"]["base_model"] == out["base_model"]["ref"]
    assert json.loads(texts["adapter_config.json"])["base_model_name_or_path"] == out["base_model"]["ref"]
    front = _front_matter(texts["README.md"])
    assert "base_model" not in front  # a folder's name is no hub id: the YAML names none
    assert out["base_model"]["fingerprint"] == manifest["base_model"]["fingerprint"]


def test_the_zip_itself_names_nothing_but_its_four_files(trained_adapter, tmp_path):
    """The zip's own fields (entry names, comment, extra data) and the weights' safetensors metadata carry no
    folder of this computer: the entries are bare names and the weights' metadata is peft's {"format": "pt"}."""
    shared = export_adapter(trained_adapter.adapter_dir, tmp_path / "shared.zip")
    with zipfile.ZipFile(shared) as zf:
        infos = zf.infolist()
        assert zf.comment == b""
    assert sorted(i.filename for i in infos) == ["README.md", "adapter_config.json", "adapter_model.safetensors",
                                                 "manifest.json"]
    assert all(i.extra == b"" or str(tmp_path).encode() not in i.extra for i in infos)
    header = json.loads(_texts(shared)["adapter_model.safetensors"])
    assert header.get("__metadata__") in (None, {"format": "pt"})


def test_the_test_splits_mistakes_stay_home_too(adapter_copy, tmp_path):
    """Texts of the user's data hide in the test split's mistakes as well as the validation split's: an export
    without --include-examples carries neither, and the card says it holds none."""
    manifest = _manifest(adapter_copy)
    secret = "the secret text of a customer complaint"
    test = json.loads(json.dumps(manifest["metrics"]["validation"]))
    test["mistakes"] = [{"text": secret, "true_label": "pos", "predicted": "neg", "confidence": 0.9}]
    manifest["metrics"]["test"] = test
    _write(adapter_copy, manifest)
    assert read_manifest(adapter_copy).test.report["mistakes"]
    shared = export_adapter(adapter_copy, tmp_path / "shared")
    assert all(secret not in text for text in _texts(shared).values())
    assert read_manifest(shared).test.report["mistakes"] == []
    assert "none of the training or validation texts" in (shared / "README.md").read_text(encoding="utf-8")
    with_examples = export_adapter(adapter_copy, tmp_path / "with", include_examples=True)
    assert read_manifest(with_examples).test.report["mistakes"][0]["text"] == secret


@pytest.mark.parametrize("target", ["earlier-zip", "earlier-folder", "dangling"])
def test_export_never_writes_through_a_link(trained_adapter, tmp_path, capsys, target):
    """OUT is a symbolic link: to an earlier export of ours (a zip or a folder), or to nothing. A link's target
    is someone else's, whatever it holds: refused in one line, the link and its target untouched."""
    adapter = trained_adapter.adapter_dir
    if target == "earlier-zip":
        real = export_adapter(adapter, tmp_path / "earlier.zip")
        link, argv = tmp_path / "link.zip", ["export", str(adapter), str(tmp_path / "link.zip")]
    elif target == "earlier-folder":
        real = export_adapter(adapter, tmp_path / "earlier")
        link, argv = tmp_path / "link", ["export", str(adapter), "--folder", str(tmp_path / "link")]
    else:
        real = tmp_path / "nowhere.zip"
        link, argv = tmp_path / "link.zip", ["export", str(adapter), str(tmp_path / "link.zip")]
    before = {p.name: p.stat().st_mtime_ns for p in (real.iterdir() if real.is_dir() else [real] if real.exists()
                                                    else [])}
    link.symlink_to(real)
    assert main(argv) == 2
    assert "already exists" in one_line_error(capsys)
    assert link.is_symlink() and os.readlink(link) == str(real)
    after = {p.name: p.stat().st_mtime_ns for p in (real.iterdir() if real.is_dir() else [real] if real.exists()
                                                   else [])}
    assert after == before
    assert not (tmp_path / "nowhere.zip").exists()


def test_an_earlier_export_folder_the_user_added_a_file_to_is_theirs(trained_adapter, tmp_path, capsys):
    """--folder OUT over an earlier export into which the user put a file of their own: that folder is no longer
    only ours, so it is left whole."""
    earlier = export_adapter(trained_adapter.adapter_dir, tmp_path / "earlier")
    (earlier / "my-notes.txt").write_text("mine", encoding="utf-8")
    assert main(["export", str(trained_adapter.adapter_dir), "--folder", str(earlier)]) == 2
    one_line_error(capsys)
    assert (earlier / "my-notes.txt").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in earlier.iterdir()) == ["README.md", "adapter_config.json",
                                                         "adapter_model.safetensors", "manifest.json", "my-notes.txt"]


@pytest.mark.parametrize("as_zip", [True, False])
def test_an_export_that_fails_half_way_leaves_the_earlier_one_whole(trained_adapter, tmp_path, capsys, monkeypatch,
                                                                    as_zip):
    """The disk fills while the card is written (after the weights were copied): the earlier export at OUT is
    as it was, byte for byte, nothing half-written lies beside it, and the user reads one sentence."""
    import errno

    from desktop_app.core.artifacts import model_card

    adapter = trained_adapter.adapter_dir
    out = tmp_path / ("shared.zip" if as_zip else "shared")
    export_adapter(adapter, out)
    before = out.read_bytes() if as_zip else {p.name: p.read_bytes() for p in out.iterdir()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(model_card, "model_card", full)
    argv = ["export", str(adapter), str(out)] if as_zip else ["export", str(adapter), "--folder", str(out)]
    assert main(argv) != 0
    assert "Traceback" not in one_line_error(capsys)
    after = out.read_bytes() if as_zip else {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_hub_like_name_never_reaches_the_network(adapter_copy, tmp_path, monkeypatch):
    """A stranger's manifest names its base "someone/some-model" (kind hub, not in this cache, nothing
    remembered) on a machine with offline mode off: loading says in a sentence that the base is missing, and
    neither the load nor a re-export opens a connection."""
    import huggingface_hub.constants as hub

    from desktop_app.core.base.errors import BaseModelMissing
    from desktop_app.core.predict.inference import Classifier

    attempts = []

    def refuse(address, *args, **kwargs):
        attempts.append(repr(address))
        raise OSError("this test allows no network connection")
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "nothing-remembered"))
    monkeypatch.chdir(tmp_path)
    manifest = _manifest(adapter_copy)
    manifest["base_model"].update(ref="someone/some-model", kind="hub", name="someone/some-model",
                                  fingerprint="c" * 64)
    _write(adapter_copy, manifest)
    with pytest.raises(BaseModelMissing) as missing:
        Classifier.load(adapter_copy)
    assert "someone/some-model" in missing.value.message
    shared = export_adapter(adapter_copy, tmp_path / "re-shared.zip")
    front = _front_matter(_texts(shared)["README.md"])
    assert front["base_model"] == "someone/some-model"
    assert attempts == []


def _wait(seconds: float, call):
    """call() in a thread: its result, or a failure naming the hang (a thread blocked on a FIFO cannot be killed;
    the caller unblocks it)."""
    box = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    worker.start()
    worker.join(seconds)
    return box, worker


def test_a_remembered_folder_whose_weights_are_a_fifo_is_passed_over_at_once(adapter_copy, tiny_bert, tmp_path,
                                                                           monkeypatch):
    """base_models.json remembers, for the adapter's fingerprint, a folder whose model.safetensors is a FIFO (the
    first read would block for ever) and one whose weights link to /dev/zero (endless): both are passed over, and
    the load says the base is missing instead of hanging."""
    from desktop_app.core.artifacts import known_bases
    from desktop_app.core.base.errors import BaseModelMissing
    from desktop_app.core.predict.inference import Classifier

    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    fifo_base = shutil.copytree(tiny_bert, tmp_path / "fifo-base")
    (fifo_base / "model.safetensors").unlink()
    os.mkfifo(fifo_base / "model.safetensors")
    zero_base = shutil.copytree(tiny_bert, tmp_path / "zero-base")
    (zero_base / "model.safetensors").unlink()
    (zero_base / "model.safetensors").symlink_to("/dev/zero")
    fingerprint = _manifest(adapter_copy)["base_model"]["fingerprint"]
    manifest = _manifest(adapter_copy)
    manifest["base_model"].update(ref="gone-base", kind="local")
    _write(adapter_copy, manifest)
    for folder in (fifo_base, zero_base):
        known_bases.remember(folder, fingerprint)
        box, worker = _wait(60, lambda: known_bases.find_base(fingerprint, "bert"))
        if worker.is_alive():  # unblock the reader before failing
            os.close(os.open(fifo_base / "model.safetensors", os.O_WRONLY | os.O_NONBLOCK))
        assert box == [None], folder.name
    with pytest.raises(BaseModelMissing):
        Classifier.load(adapter_copy)


def test_a_remembered_folder_of_other_weights_is_never_taken(adapter_copy, tiny_roberta, tmp_path, monkeypatch):
    """base_models.json is edited to say that another model's folder has this adapter's fingerprint: the folder is
    hashed and refused, never loaded in its place."""
    from desktop_app.core.artifacts import known_bases
    from desktop_app.core.predict.inference import Classifier

    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    manifest = _manifest(adapter_copy)
    manifest["base_model"].update(ref="gone-base", kind="local")
    _write(adapter_copy, manifest)
    known_bases.remember(tiny_roberta, manifest["base_model"]["fingerprint"])
    assert known_bases.remembered() == {manifest["base_model"]["fingerprint"]: str(tiny_roberta.resolve())}
    with pytest.raises(AdapterError, match="not on this computer"):
        Classifier.load(adapter_copy)


def test_a_base_chosen_by_the_user_must_have_the_weights_and_is_remembered_only_then(adapter_copy, tiny_bert,
                                                                                      tiny_roberta, tmp_path,
                                                                                      monkeypatch):
    """--base-model pointing at a model of other weights is refused and not remembered (the next load does not
    take it either); the right folder, given as a relative path, is remembered by its absolute path."""
    from desktop_app.core.artifacts import known_bases
    from desktop_app.core.predict.inference import Classifier

    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    manifest = _manifest(adapter_copy)
    manifest["base_model"].update(ref="gone-base", kind="local")
    _write(adapter_copy, manifest)
    with pytest.raises(AdapterError, match="different weights"):
        Classifier.load(adapter_copy, base_model=str(tiny_roberta))
    assert known_bases.remembered() == {}
    copy = shutil.copytree(tiny_bert, tmp_path / "work" / "my-copy")
    monkeypatch.chdir(tmp_path / "work")
    assert Classifier.load(adapter_copy, base_model="my-copy") is not None
    assert known_bases.remembered() == {manifest["base_model"]["fingerprint"]: str(copy.resolve())}
    monkeypatch.chdir(tmp_path)
    assert Classifier.load(adapter_copy) is not None  # found again from elsewhere: by the remembered path


# ---------------------------------------------------------------- found by the review of the first version
def test_a_null_score_in_a_strangers_manifest_is_shown_as_unknown(adapter_copy, tmp_path, capsys):
    """The manifest check lets a per-class score be null; the card printed it with :.3f and export crashed."""
    manifest = _manifest(adapter_copy)
    manifest["metrics"]["validation"]["per_class"][0].update(precision=None, recall=None, f1=None)
    _write(adapter_copy, manifest)
    assert main(["export", str(adapter_copy), str(tmp_path / "shared.zip")]) == 0, capsys.readouterr().err
    assert "| ? | ? | ? |" in _texts(tmp_path / "shared.zip")["README.md"]


def test_a_hub_id_survives_a_second_export(adapter_copy, tmp_path):
    """Trained on a Hugging Face cache folder: the first export names its hub id; an export of that export (a
    recipient sharing it on) names it still, and says nothing of a local folder."""
    manifest = _manifest(adapter_copy)
    snapshot = "C:\\Users\\bob\\.cache\\huggingface\\hub\\models--org--tiny-base\\snapshots\\abc123"
    manifest["base_model"].update(ref=snapshot, kind="local", name="abc123")
    _write(adapter_copy, manifest)
    first = export_adapter(adapter_copy, tmp_path / "first")
    second = export_adapter(first, tmp_path / "second.zip")
    for export in (first, second):
        texts = _texts(export)
        assert json.loads(texts["manifest.json"])["base_model"]["ref"] == "org/tiny-base"
        assert json.loads(texts["adapter_config.json"])["base_model_name_or_path"] == "org/tiny-base"
        assert _front_matter(texts["README.md"])["base_model"] == "org/tiny-base"
        assert "not a model on the Hugging Face Hub" not in texts["README.md"]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_remembered_folders_file_that_is_no_file_is_not_read(tmp_path, monkeypatch, kind):
    """base_models.json replaced by a FIFO (the read blocked for ever) or /dev/zero (it never ended)."""
    from desktop_app.core.artifacts import known_bases

    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path))
    if kind == "fifo":
        os.mkfifo(tmp_path / known_bases.FILE)
    else:
        (tmp_path / known_bases.FILE).symlink_to("/dev/zero")
    box, worker = _wait(10, known_bases.remembered)
    if worker.is_alive() and kind == "fifo":  # unblock the reader before failing
        with open(tmp_path / known_bases.FILE, "w"):
            pass
    assert box == [{}]


def test_no_base_is_taken_from_the_working_folder(adapter_copy, tiny_bert, tmp_path, monkeypatch):
    """A hub-like name (kind hf-cache) and a relative remembered folder: a folder of that name under the working
    folder, even with the right weights, is never used."""
    from desktop_app.core.artifacts import known_bases
    from desktop_app.core.base.errors import BaseModelMissing
    from desktop_app.core.predict.inference import Classifier

    manifest = _manifest(adapter_copy)
    manifest["base_model"].update(ref="org/tiny", kind="hf-cache", name="org/tiny")
    _write(adapter_copy, manifest)
    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / known_bases.FILE).write_text(json.dumps(
        {"folders": [{"fingerprint": manifest["base_model"]["fingerprint"], "path": "org/tiny"}]}))
    shutil.copytree(tiny_bert, tmp_path / "work" / "org" / "tiny")
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(BaseModelMissing):
        Classifier.load(adapter_copy)


def test_export_folder_with_a_zip_name_writes_a_folder(trained_adapter, tmp_path, capsys):
    """--folder out.zip: the user asked for a folder; the suffix chose a zip before."""
    assert main(["export", str(trained_adapter.adapter_dir), "--folder", str(tmp_path / "out.zip")]) == 0
    assert (tmp_path / "out.zip").is_dir() and (tmp_path / "out.zip" / "manifest.json").is_file()


def test_an_adapter_folder_is_never_replaced_by_its_own_export(adapter_copy, capsys):
    """export run --folder run swapped the training's folder for the shared one (its base's folder and example
    texts gone); now a sentence, and the folder as it was."""
    before = {p.name: p.read_bytes() for p in adapter_copy.iterdir()}
    assert main(["export", str(adapter_copy), "--folder", str(adapter_copy)]) == 2
    assert "being exported" in one_line_error(capsys)
    assert {p.name: p.read_bytes() for p in adapter_copy.iterdir()} == before


def test_the_folder_training_wrote_says_what_its_manifest_keeps(trained_adapter):
    """Its card is the shared card, but the folder is not an export: it says the manifest keeps texts."""
    card = (trained_adapter.adapter_dir / "README.md").read_text(encoding="utf-8")
    assert "Texts in this folder" in card and "Texts in this export: none" not in card
