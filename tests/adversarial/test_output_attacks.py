"""Issue 8, data loss: where LoRA Studio may write, how it replaces an adapter, and with which permissions."""

import errno
import os
import signal
import stat
from pathlib import Path

import pytest

from desktop_app.core.artifacts.manifest import is_adapter_folder
from hostile import one_line_error

from desktop_app.cli import main
from desktop_app.core.disk import atomic
from desktop_app.core.disk import destinations
from desktop_app.core.artifacts.adapters import export_adapter
from desktop_app.core.disk.atomic import (atomic_directory, atomic_write_text, clean_orphaned_temp_folders, exchange,
                                     recover_leftovers, temp_folder)
from desktop_app.core.artifacts.adapters import ADAPTER_FOLDER
from desktop_app.core.disk.destinations import check_destination, exclusive
from desktop_app.core.disk.ownership import OLD_SUFFIX, PART_SUFFIX, signed_sibling
from desktop_app.core.base.errors import OutputError


def _train(tiny_bert, data, out, *extra):
    return main(["train", str(data), "--model", str(tiny_bert), "--epochs", "1", "--batch-size", "16",
                 "--out", str(out), *extra])


def _project(tmp_path):
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "notes.txt").write_text("my notes")
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main")
    return project


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- 1. only our adapters are replaced
@pytest.mark.parametrize("make", ["project", "file", "dot", "home", "adapter_plus_user_file", "symlink"])
def test_train_refuses_every_destination_that_is_not_ours_before_training(tiny_bert, toy_csv, tmp_path, capsys,
                                                                          monkeypatch, make, trained_adapter):
    import shutil

    monkeypatch.setattr("desktop_app.core.train.training._run", lambda *a: pytest.fail("training started"))
    if make == "project":
        out = _project(tmp_path)
    elif make == "file":
        out = tmp_path / "result"
        out.write_text("precious")
    elif make == "dot":
        monkeypatch.chdir(_project(tmp_path))
        out = Path(".")
    elif make == "home":
        monkeypatch.setenv("HOME", str(_project(tmp_path)))
        out = "~"
    elif make == "adapter_plus_user_file":
        out = shutil.copytree(trained_adapter.adapter_dir, tmp_path / "ad")
        (out / "my-notes.txt").write_text("mine")
    else:
        out = tmp_path / "link"
        out.symlink_to(_project(tmp_path), target_is_directory=True)
    target = Path(os.path.expanduser(str(out))).resolve()
    before = _snapshot(target) if target.is_dir() else target.read_bytes()
    assert _train(tiny_bert, toy_csv, out) == 2
    line = one_line_error(capsys)
    assert "LoRA Studio" in line
    assert (_snapshot(target) if target.is_dir() else target.read_bytes()) == before


def test_an_existing_adapter_and_an_empty_folder_may_be_replaced(tiny_bert, toy_csv, tmp_path, capsys):
    out = tmp_path / "ad"
    out.mkdir()  # an empty folder has nothing to lose
    old_mask = os.umask(0o022)
    try:
        assert _train(tiny_bert, toy_csv, out) == 0
    finally:
        os.umask(old_mask)
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o644}  # the weights too (safetensors: 0600)
    first = (out / "manifest.json").read_bytes()
    assert _train(tiny_bert, toy_csv, out, "--seed", "7") == 0
    assert (out / "manifest.json").read_bytes() != first
    assert sorted(p.name for p in out.parent.iterdir()) == ["ad", "reviews.csv"]  # no .old, .part or .lock left


def test_export_refuses_a_folder_or_zip_that_is_not_an_adapter(trained_adapter, tmp_path):
    project = _project(tmp_path)
    before = _snapshot(project)
    with pytest.raises(OutputError, match="not a LoRA Studio adapter folder"):
        export_adapter(trained_adapter.adapter_dir, project)
    other_zip = tmp_path / "photos.zip"
    other_zip.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    with pytest.raises(OutputError, match="not a LoRA Studio adapter file"):
        export_adapter(trained_adapter.adapter_dir, other_zip)
    assert _snapshot(project) == before and other_zip.read_bytes().startswith(b"PK\x05\x06")
    export_adapter(trained_adapter.adapter_dir, tmp_path / "shared.zip")
    export_adapter(trained_adapter.adapter_dir, tmp_path / "shared.zip")  # our own zip may be replaced


def test_a_second_run_on_the_same_destination_is_refused(tiny_bert, toy_csv, tmp_path, capsys):
    out = tmp_path / "ad"
    with exclusive(out):
        assert _train(tiny_bert, toy_csv, out) == 2
    assert "already writing" in one_line_error(capsys)
    assert not out.exists()


@pytest.mark.parametrize("failure,words", [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied")])
def test_an_unwritable_destination_is_refused_before_training(tiny_bert, toy_csv, tmp_path, capsys, monkeypatch,
                                                              failure, words):
    # Tests run as root in CI, where chmod cannot make a folder read-only: the OS answer is simulated.
    def refuse(*a, **k):
        raise OSError(failure, os.strerror(failure))
    monkeypatch.setattr(destinations.tempfile, "mkstemp", refuse)
    monkeypatch.setattr("desktop_app.core.train.training._run", lambda *a: pytest.fail("training started"))
    assert _train(tiny_bert, toy_csv, tmp_path / "ad") == 2
    assert words in one_line_error(capsys)


def test_a_full_disk_is_refused_before_training(tiny_bert, toy_csv, tmp_path, capsys, monkeypatch):
    import shutil

    real = shutil.disk_usage
    monkeypatch.setattr(destinations.shutil, "disk_usage", lambda p: real(p)._replace(free=1024))
    monkeypatch.setattr("desktop_app.core.train.training._run", lambda *a: pytest.fail("training started"))
    assert _train(tiny_bert, toy_csv, tmp_path / "ad") == 2
    assert "MB free" in one_line_error(capsys)


def test_the_adapter_size_is_checked_once_lora_is_attached(tiny_bert, toy_csv, tmp_path, capsys, monkeypatch):
    calls = []
    real = destinations.check_destination

    def spy(path, kind="adapter", need_bytes=0):
        calls.append(need_bytes)
        return real(path, kind, need_bytes)
    monkeypatch.setattr("desktop_app.core.train.training.check_destination", spy)
    monkeypatch.setattr("desktop_app.core.train.training._train", lambda *a, **k: pytest.fail("training started"))
    # Room for the fixed floor, not for this adapter (4 MB of margin + its fp32 LoRA tensors, twice).
    monkeypatch.setattr(destinations, "MIN_FREE_BYTES", 1024)
    monkeypatch.setattr(destinations.shutil, "disk_usage", lambda p: type("U", (), {"free": 3 * 1024**2})())
    assert _train(tiny_bert, toy_csv, tmp_path / "ad", "--lora-r", "256") == 2
    assert "MB free" in one_line_error(capsys)
    assert calls[0] == 0 and calls[-1] > 4 * 1024**2


def test_a_disk_that_fills_during_the_save_gives_a_sentence_and_leaves_nothing(tiny_bert, toy_csv, tmp_path,
                                                                               capsys, monkeypatch):
    def full(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr("peft.PeftModel.save_pretrained", full)
    assert _train(tiny_bert, toy_csv, tmp_path / "ad") == 2
    assert "the disk is full" in one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.csv"]


# ---------------------------------------------------------------- 2. the swap is never "neither"
def _folder(path: Path, text: str) -> Path:
    path.mkdir()
    (path / "manifest.json").write_text(text)
    return path


def test_exchange_swaps_two_folders_in_one_step(tmp_path):
    a, b = _folder(tmp_path / "a", "A"), _folder(tmp_path / "b", "B")
    if not exchange(a, b):
        pytest.skip("this kernel or file system has no renameat2(RENAME_EXCHANGE)")
    assert (a / "manifest.json").read_text() == "B" and (b / "manifest.json").read_text() == "A"


def _swap_target(tmp_path, monkeypatch, can_exchange: bool) -> Path:
    """An existing folder to replace, with the one-step exchange available or forced off."""
    if not can_exchange:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
    return _folder(tmp_path / "ad", "old")


@pytest.mark.parametrize("can_exchange", [True, False])
def test_a_failed_swap_leaves_the_old_adapter(tmp_path, monkeypatch, can_exchange):
    target = _swap_target(tmp_path, monkeypatch, can_exchange)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(src).name.endswith(".part") and Path(dst) == target:
            raise OSError(errno.EIO, "I/O error")
        return real_replace(src, dst)
    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    if can_exchange:
        monkeypatch.setattr(atomic, "exchange", lambda a, b: (_ for _ in ()).throw(OSError(errno.EIO, "I/O")))
    with pytest.raises(OSError):
        with atomic_directory(target, replace=True) as tmp:
            (tmp / "manifest.json").write_text("new")
    assert (target / "manifest.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"]


def test_ctrl_c_while_the_adapter_is_written_keeps_the_old_one(tmp_path):
    target = _folder(tmp_path / "ad", "old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(target, replace=True) as tmp:
            (tmp / "manifest.json").write_text("half")
            raise KeyboardInterrupt
    assert (target / "manifest.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"]


@pytest.mark.parametrize("can_exchange", [True, False])
def test_ctrl_c_during_the_swap_is_held_until_the_new_adapter_is_in_place(tmp_path, monkeypatch, can_exchange):
    target = _swap_target(tmp_path, monkeypatch, can_exchange)
    real_replace_folder = atomic.replace_folder

    def interrupted(new, old):
        os.kill(os.getpid(), signal.SIGINT)  # arrives between the steps of the swap
        real_replace_folder(new, old)
    monkeypatch.setattr(atomic, "replace_folder", interrupted)
    with atomic_directory(target, replace=True) as tmp:
        (tmp / "manifest.json").write_text("new")
    assert (target / "manifest.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"]


def test_a_run_killed_between_the_two_renames_is_repaired_next_time(tmp_path, trained_adapter):
    import shutil

    target = tmp_path / "ad"  # the hidden names replace_folder and atomic_directory give (ownership.py: signed)
    old, part = signed_sibling(target, "old", OLD_SUFFIX), signed_sibling(target, "part", PART_SUFFIX)
    shutil.copytree(trained_adapter.adapter_dir, old)  # a kill -9 after "target -> .old"
    shutil.copytree(trained_adapter.adapter_dir, part)  # and a half-built new one
    notes = recover_leftovers(tmp_path / "ad", is_adapter_folder)
    assert (tmp_path / "ad" / "manifest.json").read_bytes() == (trained_adapter.adapter_dir / "manifest.json").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"] and len(notes) == 2


def test_user_files_that_look_like_leftovers_are_never_touched(tiny_bert, toy_csv, tmp_path, capsys, monkeypatch):
    """Only our own leftovers (adapter files, our name pattern) are repaired or removed, and only after the
    destination itself was found acceptable."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "code.py").write_text("keep")
    (tmp_path / ".proj.old").mkdir()
    (tmp_path / ".proj.old" / "thesis.txt").write_text("precious")
    (tmp_path / ".proj.notes.part").write_text("mine")
    (tmp_path / ".new.old").mkdir()
    (tmp_path / ".new.old" / "thesis.txt").write_text("precious")
    (tmp_path / ".ok.lock").write_text("my lock notes")
    before = _snapshot(tmp_path)
    assert _train(tiny_bert, toy_csv, "proj") == 2
    one_line_error(capsys)
    assert _train(tiny_bert, toy_csv, "new") == 0  # a new adapter; the user's “.new.old” is not ours
    capsys.readouterr()
    assert _train(tiny_bert, toy_csv, "ok") == 0
    after = _snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith(("new/", "ok/"))} == before


@pytest.mark.parametrize("out", ["/", " ", "   "])
def test_root_and_blank_names_are_refused_in_a_sentence(tiny_bert, toy_csv, tmp_path, capsys, monkeypatch, out):
    monkeypatch.chdir(tmp_path)
    assert _train(tiny_bert, toy_csv, out) == 2
    one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews.csv"]


def test_orphaned_temp_folders_of_dead_runs_are_cleaned(tmp_path, monkeypatch):
    """A temp folder of ours whose process was killed (SIGKILL: no cleanup ran) is removed; one whose process
    lives (this one) and a stranger's are not."""
    import subprocess
    import sys
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = ("import os, signal, tempfile\nfrom desktop_app.core.disk.atomic import temp_folder\n"
            f"tempfile.tempdir = {str(tmp_path)!r}\nt = temp_folder('trainer')\nos.kill(os.getpid(), signal.SIGKILL)\n")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == -9
    [dead] = tmp_path.glob("lora-studio-trainer-*")
    mine = temp_folder("trainer")
    stranger = tmp_path / "lora-studio-notes"
    stranger.mkdir()
    assert clean_orphaned_temp_folders(tmp_path) == 1
    assert not dead.exists() and Path(mine.name).is_dir() and stranger.exists()
    mine.cleanup()


# ---------------------------------------------------------------- 3. permissions follow the umask
def test_new_files_follow_the_umask_and_replaced_files_keep_their_mode(trained_adapter, tmp_path):
    old = os.umask(0o022)
    try:
        export_adapter(trained_adapter.adapter_dir, tmp_path / "ad")
        export_adapter(trained_adapter.adapter_dir, tmp_path / "ad.zip")
        atomic_write_text(tmp_path / "new.txt", "x")
        shared = tmp_path / "shared.txt"
        shared.write_text("x")
        os.chmod(shared, 0o640)
        atomic_write_text(shared, "y")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "ad") == 0o755
    assert {mode(p) for p in (tmp_path / "ad").iterdir()} == {0o644}
    assert mode(tmp_path / "ad.zip") == 0o644 and mode(tmp_path / "new.txt") == 0o644
    assert mode(shared) == 0o640


def test_protected_folders_are_never_targets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for target in (".", "..", "/", str(Path.home())):
        with pytest.raises(OutputError):
            check_destination(target, ADAPTER_FOLDER)
    with pytest.raises(OutputError, match="No output name"):
        check_destination("  ", ADAPTER_FOLDER)
