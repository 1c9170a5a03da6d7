"""Where LoRA Studio may write, checked before any work is done.

The rule: replace nothing we did not create. An existing path may be replaced only if it is a LoRA
Studio adapter (a valid manifest and nothing but adapter files), an adapter zip, an ONNX export of
ours (nothing but the files its info JSON lists), or an empty folder (nothing to lose). The working
folder, the home folder and the root are never targets. Writability, free space and a second run
writing the same place are checked up front, so an hour of training is never lost to a typo at the
last step.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .atomic import WINDOWS
from .errors import OutputError
from .sanitize import printable

MIN_FREE_BYTES = 16 * 1024**2


def _shown(path: Path) -> str:
    return printable(path)


def _protected(path: Path) -> bool:
    """Folders no output may ever replace: the working folder and its parents, home, a drive root."""
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    return path == path.parent or path in (cwd, home) or path in cwd.parents or path in home.parents


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def _replaceable(path: Path, kind: str) -> bool:
    from .manifest import ALLOWED_FILES, is_adapter_folder, read_manifest

    if kind == "adapter":
        if not path.is_dir() or path.is_symlink():
            return False
        entries = list(path.iterdir())
        return not entries or (is_adapter_folder(path) and all(e.name in ALLOWED_FILES and e.is_file()
                                                                for e in entries))
    if kind == "zip":
        if not path.is_file() or path.is_symlink():
            return False
        try:
            read_manifest(path)
        except Exception:  # noqa: BLE001 - anything that is not our zip is not ours to replace
            return False
        return True
    if kind == "job":  # an empty folder, or an earlier job with nothing else in it (not its trained adapter)
        from .job import JOB_FILES, is_job_folder

        return path.is_dir() and not path.is_symlink() and (not any(path.iterdir()) or (is_job_folder(path) and all(
            e.name in JOB_FILES and e.is_file() and not e.is_symlink() for e in path.iterdir())))
    if kind == "onnx":
        from .onnx_export import is_onnx_export

        return path.is_dir() and not path.is_symlink() and (not any(path.iterdir()) or is_onnx_export(path))
    return path.is_file() and not path.is_symlink()  # "file": a plain file the caller decided is replaceable


def free_name(path: Path) -> Path:
    """A sibling name that does not exist yet: “adapter-2”, “adapter-3”…"""
    stem, suffix = (path.stem, path.suffix) if path.suffix.lower() == ".zip" else (path.name, "")
    for i in range(2, 10_000):
        candidate = path.with_name(f"{stem}-{i}{suffix}")
        if not candidate.exists():
            return candidate
    return path.with_name(f"{stem}-{os.getpid()}{suffix}")


def check_destination(path: str | Path, kind: str = "adapter", need_bytes: int = 0) -> Path:
    """Refuse, with a sentence, a destination we may not or cannot write. kind: adapter | zip | onnx | job | file."""
    name = Path(path).expanduser().name
    if not str(path).strip() or (name and not name.strip()):  # "" or a name of spaces only
        raise OutputError("No output name was given.", "Name a new folder for the adapter.")
    path = Path(os.path.abspath(Path(path).expanduser()))
    real = path.resolve()
    what = {"adapter": "adapter folder", "zip": "adapter file", "onnx": "ONNX export folder", "job": "job folder",
            "file": "file"}[kind]
    if _protected(real):
        raise OutputError(f"LoRA Studio will not write its {what} over “{_shown(path)}”, which is your "
                          "working, home or top folder.", f"Name a new folder inside it, such as “{_shown(path / 'my-classifier')}”.")
    if path.exists() or path.is_symlink():
        if not _replaceable(path, kind):
            kind_text = "folder" if path.is_dir() else "file"
            raise OutputError(f"“{_shown(path)}” already exists and is not a LoRA Studio {what}, so it was left "
                              f"untouched (LoRA Studio only replaces its own {what}s; this {kind_text} is not one).",
                              f"Choose a new name, such as “{_shown(free_name(path).name)}”.")
    anchor = _existing_ancestor(path.parent)
    if not anchor.is_dir():
        raise OutputError(f"“{_shown(anchor)}” is a file, so “{_shown(path.name)}” cannot be created inside it.",
                          "Choose a folder to save into.")
    _check_writable(anchor)
    free = shutil.disk_usage(anchor).free
    need = max(need_bytes, MIN_FREE_BYTES)
    if free < need:
        raise OutputError(f"The disk of “{_shown(anchor)}” has only {free / 1024**2:.0f} MB free; saving needs about "
                          f"{need / 1024**2:.0f} MB.", "Free some space or choose another disk.")
    return path


def _check_writable(folder: Path) -> None:
    try:
        fd, probe = tempfile.mkstemp(prefix=".lora-studio-write-test-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"LoRA Studio cannot write in “{_shown(folder)}”: {_reason(exc)}.",
                          "Choose a folder you can write to.") from exc


def _reason(exc: OSError) -> str:
    return {errno.EROFS: "the disk is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "permission denied", errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "your disk quota is used up"}.get(exc.errno, (exc.strerror or str(exc)).lower())


def saving_failed(path: Path, exc: OSError) -> OutputError:
    """One sentence for an OSError met while saving (full disk, read-only, vanished folder)."""
    return OutputError(f"“{_shown(path)}” could not be saved: {_reason(exc)}. Nothing was left half-written.",
                       "Free some space or choose another folder, then try again.")


# ---------------------------------------------------------------- one writer per destination
@contextmanager
def exclusive(path: str | Path):
    """Hold a lock beside `path` for the whole run: a second run writing the same place is refused
    at once. The OS releases the lock if the process dies, so a crash never leaves it stuck."""
    path = Path(os.path.abspath(Path(path).expanduser()))
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lora-studio-lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)  # another run's, or a killed run's: flock decides
    try:
        if not _try_lock(fd):
            raise OutputError(f"Another LoRA Studio run is already writing “{_shown(path)}”.",
                              "Wait for it to finish, or choose another output name.")
        try:
            yield path
        finally:  # the name is ours alone: also a lock file a killed run left is removed by the next holder
            lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        if WINDOWS:
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
