"""Issue 8, item 2, with real kills: a process replacing an adapter is SIGKILLed at each step of the swap
(both the one-step exchange and the two-rename fallback), and the next run's repair must leave exactly
one whole adapter at the path (the old or the new) and nothing of ours beside it."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.core.disk.atomic import atomic_directory, recover_leftovers
from desktop_app.core.artifacts.manifest import is_adapter_folder

# Runs in a child process: replace `target` with the adapter in `new`, dying by SIGKILL at `point`.
_CHILD = r"""
import os, shutil, signal, sys
from pathlib import Path
from desktop_app.core.disk import atomic

target, new, point, can_exchange = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
real_exchange, real_replace, real_rmtree = atomic.exchange, os.replace, shutil.rmtree
replaces = []

def exchange(a, b):
    if not can_exchange:
        return False
    done = real_exchange(a, b)
    if point == "after-exchange":
        die()
    return done

def replace(src, dst):
    real_replace(src, dst)
    replaces.append(dst)
    if point == f"after-rename-{len(replaces)}":
        die()

def rmtree(path, *args, **kwargs):
    if point == "mid-delete" and (Path(path) / "manifest.json").exists():
        (Path(path) / "manifest.json").unlink()  # the kill lands while the old folder is half deleted
        die()
    real_rmtree(path, *args, **kwargs)

atomic.exchange, atomic.os.replace, atomic.shutil.rmtree = exchange, replace, rmtree
with atomic.atomic_directory(target, replace=True) as tmp:
    for item in sorted(new.iterdir()):
        shutil.copyfile(item, tmp / item.name)
        if point == "while-writing":
            die()
print("finished")
"""

POINTS = {True: ["while-writing", "after-exchange", "mid-delete", "none"],
          False: ["while-writing", "after-rename-1", "after-rename-2", "mid-delete", "none"]}


def _files(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("can_exchange,point", [(c, p) for c in (True, False) for p in POINTS[c]])
def test_a_kill_at_any_step_of_the_swap_leaves_one_whole_adapter(trained_adapter, tmp_path, can_exchange, point):
    target = shutil.copytree(trained_adapter.adapter_dir, tmp_path / "ad")
    new = shutil.copytree(trained_adapter.adapter_dir, tmp_path.parent / f"{tmp_path.name}-new")
    manifest = json.loads((new / "manifest.json").read_text())
    manifest["created"] = "2030-01-01T00:00:00+00:00"  # tells the new adapter from the old one
    (new / "manifest.json").write_text(json.dumps(manifest))
    old_files, new_files = _files(target), _files(new)

    child = subprocess.run([sys.executable, "-c", _CHILD, str(target), str(new), point, str(int(can_exchange))],
                           capture_output=True, text=True, timeout=120)
    if point == "none":
        assert child.returncode == 0 and "finished" in child.stdout, child.stderr
    else:
        assert child.returncode == -signal.SIGKILL, child.stderr

    recover_leftovers(target, is_adapter_folder)  # what the next run does first
    assert is_adapter_folder(target)
    assert _files(target) in (old_files, new_files)
    if point in ("after-rename-2", "after-exchange", "mid-delete", "none"):
        assert _files(target) == new_files  # the new adapter was already in place when the kill came
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"]


def test_replacing_is_never_the_default(tmp_path):
    """The folder mechanism itself refuses to replace an existing path unless the caller says it proved
    the path is ours (destinations.check_destination)."""
    target = tmp_path / "someone's folder"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        with atomic_directory(target) as tmp:
            (tmp / "x").write_text("x")
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["someone's folder"]


def test_importing_a_zip_never_replaces_a_users_folder(trained_adapter, tmp_path):
    from desktop_app.core.artifacts.adapters import export_adapter, import_adapter_zip
    from desktop_app.core.base.errors import OutputError

    shared = export_adapter(trained_adapter.adapter_dir, tmp_path / "shared.zip")
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not a LoRA Studio adapter folder"):
        import_adapter_zip(shared, project)
    assert [p.name for p in project.iterdir()] == ["notes.txt"]
    assert is_adapter_folder(import_adapter_zip(shared, tmp_path / "imported"))
    os.remove(shared)
