"""Where LoRA Studio may write, checked before any work is done.

The rule: replace nothing we did not create. An existing path may be replaced only if it proves it is
the kind asked for (ownership.py: a LoRA Studio adapter, an adapter zip, a job folder, an ONNX export of
ours, or an empty folder, which holds nothing to lose; a predictions file only over a CSV). The working
folder, the home folder and the root are never targets. Writability, free space, a mount point in the
way of the final rename and a second run writing the same place are checked up front, so an hour of
training is never lost to a typo at the last step.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..base.errors import OutputError
from .ownership import LOCK_SUFFIX, Owned, create_lock, kind_of, owned, try_lock
from ..base.sanitize import printable

MIN_FREE_BYTES = 16 * 1024**2
MOUNT_INFO = "/proc/self/mountinfo"


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


def free_name(path: Path) -> Path:
    """A sibling name that does not exist yet: “adapter-2”, “adapter-3”… (“data-2.csv” for a file name's suffix)"""
    stem, suffix = (path.stem, path.suffix) if path.suffix.lower() in (".zip", ".csv") else (path.name, "")
    for i in range(2, 10_000):
        candidate = path.with_name(f"{stem}-{i}{suffix}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
    return path.with_name(f"{stem}-{os.getpid()}{suffix}")


def check_destination(path: str | Path, kind: Owned | str, need_bytes: int = 0) -> Path:
    """Refuse, with a sentence, a destination we may not or cannot write. kind: what LoRA Studio writes there, an
    ownership.Owned from the format's module (artifacts.adapters.ADAPTER_FOLDER, …) or "predictions"."""
    name = Path(path).expanduser().name
    if not str(path).strip() or (name and not name.strip()):  # "" or a name of spaces only
        raise OutputError("No output name was given.", "Name a new folder for the adapter.")
    path = Path(os.path.abspath(Path(path).expanduser()))
    real = path.resolve()
    kind = kind_of(kind)
    what = kind.what
    if _protected(real):
        raise OutputError(f"LoRA Studio will not write its {what} over “{_shown(path)}”, which is your "
                          "working, home or top folder.", f"Name a new folder inside it, such as “{_shown(path / 'my-classifier')}”.")
    if path.exists() or path.is_symlink():
        if not owned(path, kind):
            kind_text = "folder" if path.is_dir() else "file"
            raise OutputError(f"“{_shown(path)}” already exists and is not a LoRA Studio {what}, so it was left "
                              f"untouched (LoRA Studio only replaces its own {what}s; this {kind_text} is not one).",
                              f"Choose a new name, such as “{_shown(free_name(path).name)}”.")
        if _mount_point(path):  # the final rename would fail with “device or resource busy”, after all the work
            raise OutputError(f"“{_shown(path)}” is a mount point (another disk or share is attached there), so "
                              f"LoRA Studio cannot put its {what} in its place.",
                              f"Save inside it instead, such as “{_shown(path / f'my-{kind.name}')}”." if path.is_dir()
                              else "Choose another name.")
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


def _mount_point(path: Path) -> bool:
    """A path something is mounted on (a disk, a share, a bind mount): a rename over it fails with EBUSY."""
    if os.path.ismount(path):
        return True
    try:  # Linux: also a bind mount of the same disk, which ismount cannot see
        with open(MOUNT_INFO, encoding="utf-8", errors="surrogateescape") as fh:
            points = {_unescape(line.split()[4]) for line in fh if len(line.split()) > 4}
    except OSError:
        return False
    return str(path) in points or str(path.resolve()) in points


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash in a path as octal escapes (a space: 040)."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


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
            errno.EDQUOT: "your disk quota is used up", errno.EBUSY: "something is mounted there or it is in use",
            }.get(exc.errno, (exc.strerror or str(exc)).lower())


def saving_failed(path: Path, exc: OSError) -> OutputError:
    """One sentence for an OSError met while saving (full disk, read-only, busy, vanished folder), with the
    advice that fits the cause: freeing space helps only a full disk."""
    hint = ("Free some space or choose another disk, then try again." if exc.errno in (errno.ENOSPC, errno.EDQUOT)
            else "Choose another folder, then try again.")
    return OutputError(f"“{_shown(path)}” could not be saved: {_reason(exc)}. Nothing was left half-written.", hint)


# ---------------------------------------------------------------- one writer per destination
@contextmanager
def exclusive(path: str | Path):
    """Hold a lock beside `path` for the whole run: a second run writing the same place is refused
    at once. The OS releases the lock if the process dies, so a crash never leaves it stuck. The lock
    file holds our signature (ownership.py): one a killed run left is ours to reuse and remove; a
    user's file of that name is never written, locked or removed."""
    path = Path(os.path.abspath(Path(path).expanduser()))
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_of(path)
    fd = create_lock(lock)
    if fd is None:  # it exists: another run's, or one a killed run left
        if not owned(lock, "lock"):
            raise OutputError(f"“{_shown(lock)}” is in the way: it is not a LoRA Studio lock file, so it was left "
                              "untouched.", "Move or rename that file, then try again.")
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not try_lock(fd):
            raise OutputError(f"Another LoRA Studio run is already writing “{_shown(path)}”.",
                              "Wait for it to finish, or choose another output name.")
        _held.add(lock)
        try:
            yield path
        finally:
            _held.discard(lock)
            lock.unlink(missing_ok=True)
    finally:
        os.close(fd)


_held: set[Path] = set()  # the lock files this process holds


def _lock_of(path: Path) -> Path:
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


def written_elsewhere(path: str | Path) -> bool:
    """True while another process holds the lock of `path`: the `.part` beside it may be its live save."""
    lock = _lock_of(Path(os.path.abspath(Path(path).expanduser())))
    if lock in _held or not owned(lock, "lock"):
        return False
    try:
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        return not try_lock(fd)
    finally:
        os.close(fd)  # lets go of the lock this check may have taken
