"""Writes that never leave half a file and never lose the previous one.

Files: written to a temporary sibling, fsynced, renamed into place. Folders (adapters): built in a
temporary sibling, then swapped with the old folder in one step where the OS can (Linux
renameat2(RENAME_EXCHANGE)); elsewhere two renames with the old folder restored on any failure.
Interrupts (Ctrl+C) are held back during the swap, and a crash between the two renames is repaired
on the next run by `recover_leftovers`. New files and folders get the modes the user's umask gives,
as every other tool's do (tempfile's 0600/0700 are for secrets, not for adapters to share).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import signal
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import ownership
from .destinations import written_elsewhere
from .ownership import OLD_SUFFIX, PART_SUFFIX, owned, signed_sibling

TEMP_PREFIX = "lora-studio-"  # our folders in the system temp; a signed marker inside proves each one ours
WINDOWS = os.name == "nt"  # module constants, so tests force each branch without touching os itself
PROC_STATUS = "/proc/self/status"


def current_umask() -> int:
    try:  # Linux: read it without changing it (os.umask is process-wide and racy in threads)
        with open(PROC_STATUS, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path, default: int) -> int:
    """An existing file keeps its permission bits; a new one gets what the umask allows."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return default & ~current_umask()


def fsync_dir(folder: Path) -> None:
    if WINDOWS:  # Windows cannot open a folder for fsync; NTFS journals the rename itself
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


@contextmanager
def atomic_file(path: Path, mode: str = "wb", **open_kwargs):
    """Yield a file object on a temporary sibling; on success it replaces `path`, on failure it vanishes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a signed name: a killed run's `.part` is then provably ours to remove (ownership.py), nobody else's
    tmp = signed_sibling(path, "part", PART_SUFFIX)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.chmod(tmp, _mode_for(path, 0o666))
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- interrupts
@contextmanager
def deferred_interrupts():
    """Hold Ctrl+C back while a swap must finish; yields a list that holds the signal if one came.

    Only the main thread receives signals, so elsewhere (the window's worker) this does nothing."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: arrived.append(signum))
    try:
        yield arrived
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------- folder swap
@lru_cache(maxsize=1)
def _renameat2():
    """libc's renameat2, looked up once; None off Linux or on a libc without it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step; False where the OS or file system cannot."""
    func = _renameat2()
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # the file system or kernel cannot
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_tree(folder: Path) -> None:
    for item in folder.iterdir():
        if item.is_file():
            with open(item, "rb") as fh:
                os.fsync(fh.fileno())
    fsync_dir(folder)


def replace_folder(new: Path, target: Path) -> None:
    """Put the folder `new` at `target`. If `target` exists it is replaced; at no moment is there no
    folder at `target` unless the process is killed between two renames (then recover_leftovers
    puts the old one back on the next run)."""
    if not target.exists():
        os.replace(new, target)
        return
    if exchange(new, target):  # `new` now holds the old folder
        shutil.rmtree(new, ignore_errors=True)
        return
    old = signed_sibling(target, "old", OLD_SUFFIX)
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)  # roll back: the old folder stays where the user left it
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_directory(target: Path, replace: bool = False):
    """Yield a temporary sibling folder; on success it becomes `target`, on failure it vanishes.

    An existing `target` is replaced only with replace=True, which callers pass after proving it is
    ours (destinations.check_destination): replacing is never the default."""
    target = Path(target)
    if not replace and (target.exists() or target.is_symlink()):
        raise FileExistsError(errno.EEXIST, "already exists", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = signed_sibling(target, "part", PART_SUFFIX)
    os.mkdir(tmp, 0o700)
    try:
        os.chmod(tmp, 0o777 & ~current_umask())
        yield tmp
        for item in tmp.iterdir():  # some writers (safetensors) create 0600 files: adapters are to be shared
            if item.is_file() and not item.is_symlink():
                os.chmod(item, 0o666 & ~current_umask())
        _fsync_tree(tmp)
        with deferred_interrupts():
            replace_folder(tmp, target)
            fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# ---------------------------------------------------------------- leftovers of a crash
def recover_leftovers(target: Path, whole: Callable[[Path], bool]) -> list[str]:
    """Repair what a killed run left beside `target`: put back our `.old` folder (an adapter moved aside by a
    swap) if `target` is gone and `whole` says the folder is complete (the caller knows its kind: for adapters,
    manifest.is_adapter_folder), delete our stale `.old` and `.part` siblings. Only what proves it is ours
    (ownership.py: a signed name) is touched. Returns what was done, in plain words."""
    target = Path(target)
    if written_elsewhere(target):  # another run is saving here: what lies beside it is alive
        return []
    done = []
    for old in ownership.leftovers(target, "old"):
        if not target.exists() and not target.is_symlink() and whole(old):
            os.replace(old, target)
            done.append(f"restored the previous “{target.name}” that an interrupted save had moved aside")
        else:  # the new adapter is in place; this is the old one, maybe half deleted by a kill
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"removed “{old.name}”, the previous adapter an interrupted save left beside it")
    return done + remove_unfinished(target)


def remove_unfinished(target: Path) -> list[str]:
    """Delete the unfinished `.part` siblings of `target` (files or folders) that a killed run of ours left;
    none while another process holds the destination's lock (destinations.exclusive): they may be its save."""
    if written_elsewhere(target):
        return []
    done = []
    for part in ownership.leftovers(target, "part"):
        if part.is_dir():
            shutil.rmtree(part, ignore_errors=True)
        else:
            part.unlink(missing_ok=True)
        done.append(f"removed the unfinished “{part.name}”")
    return done


class TempFolder:
    """A folder in the system temp, signed as ours and locked while this process lives, so a later run
    removes it only once it is orphaned (a PID says neither: it may be reused, or from another namespace)."""

    def __init__(self, purpose: str) -> None:
        self.name = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{purpose}-")
        fd = ownership.mark_temp_folder(Path(self.name))
        self._finalizer = weakref.finalize(self, _remove_temp, self.name, fd)

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        self._finalizer()


def _remove_temp(name: str, fd: int) -> None:
    os.close(fd)  # first: Windows deletes no open file
    shutil.rmtree(name, ignore_errors=True)


def temp_folder(purpose: str) -> TempFolder:
    return TempFolder(purpose)


def clean_orphaned_temp_folders(root: Path | None = None) -> int:
    """Delete our temp folders (a signed marker inside) whose process is gone (nobody holds the marker's lock)."""
    root = Path(root or tempfile.gettempdir())
    removed = 0
    for folder in root.glob(f"{TEMP_PREFIX}*"):
        if owned(folder, "temp") and not ownership.in_use(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
