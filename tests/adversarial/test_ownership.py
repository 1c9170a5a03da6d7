"""Issue 21, part A: everything LoRA Studio writes, replaces or removes proves it is ours first (ownership.py).

A look-alike made by the user (our name pattern, their content) and a symlink are refused for every kind in the
registry; `predict --out` never replaces a file unasked, nor a non-CSV file at all; a user's folder or lock file
named like ours is never deleted; half-written predictions of a killed run are removed by the next one; a
destination whose final rename cannot work (a mount point) is refused before training.
"""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.artifacts.manifest import is_adapter_folder
from hostile import one_line_error

from desktop_app.cli import main
from desktop_app.core.disk.atomic import clean_orphaned_temp_folders, recover_leftovers, remove_unfinished, temp_folder
from desktop_app.core.disk.destinations import exclusive, saving_failed
from desktop_app.core.base.errors import OutputError

# names as LoRA Studio writes them (spelt out, so each test below also runs against the code before issue 21)
PART_SUFFIX, OLD_SUFFIX, DELETING_SUFFIX = ".part", ".old", ".deleting"
LOCK_SUFFIX, TEMP_MARKER = ".lora-studio-lock", ".lora-studio-owner"
FORGED = "abcdefgh0123456789abcdef"  # our name pattern: 8 random characters and 16 of signature, but not ours


def all_kinds():
    """Every ownership.Owned the core defines, wherever it lives (the disk layer's own, the formats' beside them)."""
    import importlib
    import pkgutil

    import desktop_app.core
    from desktop_app.core.disk.ownership import KINDS, Owned

    kinds = dict(KINDS)
    for info in pkgutil.walk_packages(desktop_app.core.__path__, "desktop_app.core."):
        for value in vars(importlib.import_module(info.name)).values():
            if isinstance(value, Owned):
                assert kinds.setdefault(value.name, value) is value, f"two kinds named {value.name}"
    return kinds


def owned(path, kind):
    """By name, as the tests below say it; the core is handed the kind itself."""
    from desktop_app.core.disk.ownership import owned

    return owned(path, all_kinds()[kind])


def signed_sibling(target, kind, suffix):
    from desktop_app.core.disk.ownership import signed_sibling

    return signed_sibling(target, kind, suffix)


def _create_lock(path):
    from desktop_app.core.disk.ownership import create_lock

    os.close(create_lock(path))
    return path


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:  # what .xlsx and .docx files are
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook>budget</workbook>")
    return path


# ---------------------------------------------------------------- the registry, walked
def _adapter(tmp, trained):
    return shutil.copytree(trained.adapter_dir, tmp / "ad")


def _job(tmp, trained):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.artifacts.job import export_job

    source = tmp / "data.csv"
    source.write_text("text,label\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(20)))
    return export_job(source, TrainConfig(), tmp / "job").folder


def _onnx(tmp, trained):
    from desktop_app.core.artifacts.onnx_export import FORMAT, INFO_FILE

    folder = tmp / "onnx"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"onnx")
    (folder / INFO_FILE).write_text(json.dumps({"format": FORMAT, "files": ["model.onnx", INFO_FILE]}))
    return folder


def _zip(tmp, trained):
    from desktop_app.core.artifacts.adapters import export_adapter

    return export_adapter(trained.adapter_dir, tmp / "ad.zip")


def _csv(tmp, trained):
    path = tmp / "p.csv"
    path.write_text("text,predicted_label\nhello,pos\n")
    return path


_LIVE = []  # temp folders kept alive (locked) until the session ends


def _temp(tmp, trained):
    _LIVE.append(temp_folder("trainer"))
    return Path(_LIVE[-1].name)


def _lock(tmp, trained):
    return _create_lock(tmp / f".ad{LOCK_SUFFIX}")


def _signed(kind, suffix):
    def make(tmp, trained):
        path = signed_sibling(tmp / "ad", kind, suffix)
        shutil.copytree(trained.adapter_dir, path)
        return path
    return make


def _folder_with(name, files):
    def make(tmp, trained):
        folder = tmp / name
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text)
        return folder
    return make


def _file(name, text):
    def make(tmp, trained):
        (tmp / name).write_text(text)
        return tmp / name
    return make


# kind -> (how LoRA Studio makes one, a user's look-alike: our name pattern, their content)
CASES = {
    "adapter": (_adapter, _folder_with("ad", {"manifest.json": '{"format_version": 1}', "notes.txt": "mine"})),
    "run": (_adapter, _folder_with("ad", {"manifest.json": "my manifest", "adapter_model.safetensors": "x"})),
    "zip": (_zip, lambda tmp, trained: _workbook(tmp / "ad.zip")),
    "job": (_job, _folder_with("job", {"job.json": '{"format": "lora-studio-job"}', "data.csv": "secret"})),
    "onnx": (_onnx, _folder_with("onnx", {"lora_studio_onnx.json": '{"format": "mine", "files": []}',
                                          "model.onnx": "x"})),
    "predictions": (_csv, lambda tmp, trained: _workbook(tmp / "p.csv")),
    "temp": (_temp, _folder_with("lora-studio-999999-mydata", {"thesis.txt": "precious",
                                                              TEMP_MARKER: "0" * 64})),
    "lock": (_lock, _file(f".ad{LOCK_SUFFIX}", "my notes about the lock")),
    "part": (_signed("part", PART_SUFFIX), _folder_with(f".ad.{FORGED}{PART_SUFFIX}", {"manifest.json": "x"})),
    "old": (_signed("old", OLD_SUFFIX), _folder_with(f".ad.{FORGED}{OLD_SUFFIX}", {"manifest.json": "x"})),
    "deleting": (_signed("deleting", DELETING_SUFFIX),
                 _folder_with(f".ad.{FORGED}{DELETING_SUFFIX}", {"manifest.json": "x"})),
}


def test_every_kind_in_the_core_has_a_case_here():
    assert sorted(all_kinds()) == sorted(CASES)


def test_the_disk_layer_is_handed_the_kinds_of_formats_and_names_none():
    """Ownership as data: the disk layer knows its own kinds only; an adapter's kind comes from its format."""
    from desktop_app.core.artifacts import adapters
    from desktop_app.core.disk import ownership

    assert sorted(ownership.KINDS) == ["deleting", "lock", "old", "part", "predictions", "temp"]
    assert all_kinds()["adapter"] is adapters.ADAPTER_FOLDER and all_kinds()["adapter"].recognise is adapters.holds_our_adapter


@pytest.mark.parametrize("kind", sorted(CASES))
def test_every_kind_refuses_a_look_alike_and_a_symlink(kind, trained_adapter, tmp_path, monkeypatch):
    """One mechanism: each kind the app writes, replaces or removes recognises what LoRA Studio made, and refuses
    a user's path with our name pattern and their content, and a symlink to one of ours. (A kind added to the
    registry without a case here fails the test above.)"""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    make_ours, make_theirs = CASES[kind]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ours = make_ours(tmp_path / "a", trained_adapter)
    assert owned(ours, kind)
    assert not owned(make_theirs(tmp_path / "b", trained_adapter), kind)
    link = tmp_path / "b" / ours.name
    if link.exists():
        shutil.rmtree(link) if link.is_dir() else link.unlink()
    link.symlink_to(ours, target_is_directory=ours.is_dir())  # the same name, pointing at one of ours
    assert not owned(link, kind)
    if kind in ("part", "old", "deleting", "temp", "lock"):  # a signature binds the name: a copy renamed is not ours
        copy = tmp_path / "b" / ("lora-studio-trainer-copy" if kind == "temp" else ours.name.replace(".ad.", ".xy.", 1))
        (shutil.copytree if ours.is_dir() else shutil.copyfile)(ours, copy)
        assert not owned(copy, kind)


# ---------------------------------------------------------------- 3. predict --out
@pytest.mark.parametrize("name", ["budget.xlsx", "report.docx", "earlier.csv"])
def test_predict_out_never_replaces_an_existing_file_unasked(trained_adapter, toy_csv, tmp_path, capsys, name):
    target = tmp_path / name
    _workbook(target) if not name.endswith(".csv") else target.write_text("my,earlier\nwork,here\n")
    before = target.read_bytes()
    assert main(["predict", str(trained_adapter.adapter_dir), str(toy_csv), "--out", str(target)]) == 2
    line = one_line_error(capsys)
    assert "already exists" in line and target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, toy_csv.name])


@pytest.mark.parametrize("name", ["budget.xlsx", "report.docx", "workbook.csv"])
def test_overwrite_never_writes_csv_over_a_file_that_is_not_csv(trained_adapter, toy_csv, tmp_path, capsys, name):
    target = _workbook(tmp_path / name)  # workbook.csv: a workbook renamed, still not a CSV
    before = target.read_bytes()
    assert main(["predict", str(trained_adapter.adapter_dir), str(toy_csv), "--out", str(target), "--overwrite"]) == 2
    assert "not a CSV file" in one_line_error(capsys) and target.read_bytes() == before


def test_overwrite_replaces_an_earlier_csv(trained_adapter, toy_csv, tmp_path, capsys):
    target = tmp_path / "earlier.csv"
    target.write_text("my,earlier\n")
    assert main(["predict", str(trained_adapter.adapter_dir), str(toy_csv), "--out", str(target), "--overwrite"]) == 0
    assert target.read_text().startswith("review,sentiment,predicted_label,")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["earlier.csv", toy_csv.name])


def test_the_window_asks_before_replacing_and_never_replaces_what_is_not_csv(qtbot, tmp_path, monkeypatch):
    import pandas as pd
    from PySide6.QtWidgets import QMessageBox, QWidget

    from desktop_app.core.predict.predict_file import write_frame_csv
    from desktop_app.ui import dialogs

    parent = QWidget()
    qtbot.addWidget(parent)
    asked, offered = [], []
    answer = {"value": QMessageBox.StandardButton.No}
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or answer["value"])
    monkeypatch.setattr(dialogs, "offer_other_name", lambda parent, title, refusal, other: offered.append(
        (refusal, other)) or True)
    new = tmp_path / "new.csv"
    assert dialogs.predictions_destination(parent, str(new)) == str(new) and not asked  # nothing there: no question
    earlier = tmp_path / "earlier.csv"
    earlier.write_text("my,earlier\n")
    assert dialogs.predictions_destination(parent, str(earlier)) is None and asked  # asked, and the user said no
    answer["value"] = QMessageBox.StandardButton.Yes
    assert dialogs.predictions_destination(parent, str(earlier)) == str(earlier)
    budget = _workbook(tmp_path / "budget.xlsx")
    before = budget.read_bytes()
    assert dialogs.predictions_destination(parent, str(budget)) == str(tmp_path / "budget.csv")  # a free name offered
    assert "not a CSV file" in offered[0][0]
    with pytest.raises(OutputError, match="not a CSV file"):  # and the saving itself refuses it, asked or not
        write_frame_csv(pd.DataFrame({"text": ["a"]}), budget, overwrite=True)
    assert budget.read_bytes() == before


# ---------------------------------------------------------------- 4. what is named like ours is not ours
def test_a_users_folder_named_like_our_temp_folders_survives_training(tiny_bert, toy_csv, tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    mine = tmp_path / "tmp" / "lora-studio-999999-mydata"  # a dead PID in the name, the user's files inside
    mine.mkdir(parents=True)
    (mine / "thesis.txt").write_text("precious")
    assert main(["train", str(toy_csv), "--model", str(tiny_bert), "--epochs", "1", "--batch-size", "16",
                 "--out", str(tmp_path / "ad")]) == 0
    assert (mine / "thesis.txt").read_text() == "precious"


def test_a_live_temp_folder_of_another_process_is_never_removed(tmp_path, monkeypatch):
    """Liveness is the lock the owner holds, not a PID (which may be from another namespace or reused)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = ("import sys, tempfile, time\nfrom desktop_app.core.disk.atomic import temp_folder\n"
            f"tempfile.tempdir = {str(tmp_path)!r}\nt = temp_folder('trainer')\nprint(t.name, flush=True)\n"
            "time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        live = Path(proc.stdout.readline().strip())
        assert owned(live, "temp") and clean_orphaned_temp_folders(tmp_path) == 0 and live.is_dir()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert clean_orphaned_temp_folders(tmp_path) == 1 and not live.exists()  # now orphaned: ours to remove


def test_a_users_file_named_like_our_lock_is_never_deleted(tiny_bert, toy_csv, tmp_path, capsys):
    lock = tmp_path / f".ad{LOCK_SUFFIX}"
    lock.write_text("my notes")
    assert main(["train", str(toy_csv), "--model", str(tiny_bert), "--epochs", "1", "--out", str(tmp_path / "ad")]) == 2
    assert "not a LoRA Studio lock file" in one_line_error(capsys)
    assert lock.read_text() == "my notes" and not (tmp_path / "ad").exists()


def test_a_lock_file_a_killed_run_left_is_reused_and_removed(tmp_path):
    _create_lock(tmp_path / f".ad{LOCK_SUFFIX}")  # what a SIGKILL leaves
    with exclusive(tmp_path / "ad"):
        pass
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- 7. half-written predictions
SLOW_PREDICT = """
import signal, sys, time
import numpy as np
from desktop_app.core.predict.predict_file import predict_file

# the signals' own default action, whatever the launcher left: under nohup SIGHUP arrives ignored
for number in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(number, signal.SIG_DFL)

class Slow:
    labels = ("neg", "pos")
    calls = 0
    def predict_proba(self, texts):
        Slow.calls += 1
        if Slow.calls == 2:  # the first chunk is written: the .part file is there, half full
            print("writing", flush=True)
            time.sleep(120)
        return np.full((len(texts), 2), 0.5, dtype=np.float32)

predict_file(Slow(), sys.argv[1], sys.argv[2], chunk_rows=5)
"""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=["SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_killed_predict_leaves_a_part_file_that_the_next_run_removes(tmp_path, how):
    import numpy as np

    from desktop_app.core.predict.predict_file import predict_file

    class Even:
        labels = ("neg", "pos")

        def predict_proba(self, texts):
            return np.full((len(texts), 2), 0.5, dtype=np.float32)

    source, dest = tmp_path / "in.csv", tmp_path / "p.csv"
    source.write_text("text\n" + "".join(f"row {i}\n" for i in range(20)))
    proc = subprocess.Popen([sys.executable, "-c", SLOW_PREDICT, str(source), str(dest)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(how)
    assert proc.wait(timeout=30) == -how
    assert len(list(tmp_path.glob(".p.csv.*.part"))) == 1 and not dest.exists()
    theirs = tmp_path / f".p.csv.{FORGED}{PART_SUFFIX}"  # a user's file with our name pattern
    theirs.write_text("mine")
    predict_file(Even(), source, dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.csv", "p.csv", theirs.name])
    assert theirs.read_text() == "mine" and len(dest.read_text().splitlines()) == 21


def test_the_save_of_a_live_run_is_never_removed(trained_adapter, tmp_path):
    """Leftovers are removed only while no other process holds the destination's lock: a `.part` beside it may be
    another run's save in progress."""
    target = tmp_path / "ad"
    live = shutil.copytree(trained_adapter.adapter_dir, signed_sibling(target, "part", PART_SUFFIX))
    code = ("import sys, time\nfrom desktop_app.core.disk.destinations import exclusive\n"
            f"with exclusive({str(target)!r}):\n    print('locked', flush=True)\n    time.sleep(120)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert recover_leftovers(target, is_adapter_folder) == [] and remove_unfinished(target) == [] and live.is_dir()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert len(recover_leftovers(target, is_adapter_folder)) == 1 and not live.exists()  # its process is gone: a leftover now


# ---------------------------------------------------------------- 9. the final rename, proved before training
def test_a_busy_destination_is_refused_before_training(tiny_bert, toy_csv, tmp_path, capsys, monkeypatch):
    """Simulated: an empty folder with a disk mounted on it, where the final rename fails with EBUSY."""
    import desktop_app.core.disk.atomic as atomic
    import desktop_app.core.train.training as training

    mount = tmp_path / "usb"
    mount.mkdir()
    real_ismount, real_replace, real_run = os.path.ismount, os.replace, training._run
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == mount or real_ismount(p))

    def busy(src, dst):
        if Path(dst) == mount:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(mount))
        return real_replace(src, dst)
    monkeypatch.setattr(atomic.os, "replace", busy)
    monkeypatch.setattr(atomic, "exchange", lambda a, b: busy(a, b))
    trained = []
    monkeypatch.setattr(training, "_run", lambda *a, **k: trained.append(1) or real_run(*a, **k))
    assert main(["train", str(toy_csv), "--model", str(tiny_bert), "--epochs", "1", "--out", str(mount)]) == 2
    line = one_line_error(capsys)
    assert "mount point" in line and "Free some space" not in line and not trained


def test_a_real_mount_point_is_refused_before_training(tiny_bert, toy_csv, tmp_path):
    """A tmpfs really mounted on the destination (in a user and mount namespace of its own, where we may mount)."""
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("no unprivileged user and mount namespaces here")
    mount = tmp_path / "usb"
    mount.mkdir()
    script = 'mount -t tmpfs none "$1" && shift && exec "$@"'
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(mount), sys.executable, "-m",
                           "desktop_app", "train", str(toy_csv), "--model", str(tiny_bert), "--epochs", "1",
                           "--out", str(mount)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "mount point" in done.stderr and "Free some space" not in done.stderr and "Epoch" not in done.stdout


@pytest.mark.parametrize("code,advice", [(errno.EBUSY, "Choose another folder"), (errno.EROFS, "Choose another folder"),
                                         (errno.ENOSPC, "Free some space")])
def test_a_failed_save_advises_what_fits_the_cause(code, advice):
    hint = saving_failed(Path("ad"), OSError(code, os.strerror(code))).hint
    assert hint.startswith(advice) and (code == errno.ENOSPC or "space" not in hint)


def test_a_folder_we_may_not_read_is_refused_in_a_sentence(tmp_path, monkeypatch):
    """It cannot prove it is ours: refused like any other folder, never a PermissionError traceback."""
    from desktop_app.core.disk.destinations import check_destination

    locked = tmp_path / "locked"
    locked.mkdir()
    real_iterdir = Path.iterdir

    def unreadable(self):
        if self == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_iterdir(self)
    monkeypatch.setattr(Path, "iterdir", unreadable)  # as chmod 000 would, also for root
    for kind in ("adapter", "job", "onnx"):
        with pytest.raises(OutputError, match="not a LoRA Studio"):
            check_destination(locked, all_kinds()[kind])


@pytest.mark.parametrize("name", ["shared.zip", "copy", "imported"])
def test_an_adapter_export_or_import_removes_what_a_killed_one_left(trained_adapter, tmp_path, name):
    """The zip (atomic_file), the folder copy and the zip import (atomic_directory) leave signed `.part`
    siblings when killed; the next one to the same place removes them, never a user's look-alike."""
    from desktop_app.core.artifacts.adapters import export_adapter, import_adapter_zip

    dest = tmp_path / name
    killed = signed_sibling(dest, "part", PART_SUFFIX)
    killed.write_bytes(b"half a zip") if name.endswith(".zip") else shutil.copytree(trained_adapter.adapter_dir, killed)
    theirs = tmp_path / f".{name}.{FORGED}{PART_SUFFIX}"
    theirs.write_text("mine")
    if name == "imported":
        import_adapter_zip(export_adapter(trained_adapter.adapter_dir, tmp_path / "source.zip"), dest)
    else:
        export_adapter(trained_adapter.adapter_dir, dest)
    assert not killed.exists() and theirs.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({name, theirs.name} | (
        {"source.zip"} if name == "imported" else set()))


@pytest.mark.parametrize("token", ["abcdefgh0123456789abcdé", "é" * 24, "abcdefgh", "", "abcdefgh0123456789abcdef0"])
def test_any_name_with_our_pattern_is_judged_without_an_error(tmp_path, token):
    """Cleanup reads names a user chose: any character or length in the token is simply not ours."""
    folder = tmp_path / f".ad.{token}{PART_SUFFIX}"
    folder.mkdir()
    assert not owned(folder, "part") and remove_unfinished(tmp_path / "ad") == [] and folder.is_dir()
