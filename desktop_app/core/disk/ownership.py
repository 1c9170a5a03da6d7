"""What LoRA Studio may replace or remove, and how each kind of path proves it is ours.

The rule: a path is written over or deleted only when it proves it is ours by something we wrote, never by
its name alone (a user may name anything anything) and never by a process id (a PID from another
namespace or a reused one says nothing). Every write, replace and cleanup asks `owned(path, kind)`.

- Outputs the user keeps (adapter folder and zip, job folder, ONNX export, run) prove it by the format file
  we wrote in them (manifest.json, job.json, the ONNX info file). Their kinds are `Owned` values defined beside
  their format (artifacts.adapters.ADAPTER_FOLDER, …) and handed in by the caller: the disk layer imports no
  format, it is told what to protect.
- Leftovers a kill may leave (unfinished `.part` files and folders, the `.old` folder of a swap, the
  `.deleting` folder of a deletion, temp folders, lock files) carry a signature: an HMAC of their kind and
  name with a per-user random key kept in the app's data folder. It is in the name where the content must
  stay the user's (`.part`, `.old`, `.deleting`), in a marker file inside temp folders (whose lock also
  says the run is alive), in the content of lock files (whose name every run must know).
- A predictions file may be replaced (when the user said so) only if it is a CSV: never a workbook.

Without a readable key nothing is lost: this process signs with a key of its own, and its leftovers are
simply never recognised later.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from ..base.app_folders import app_folder

KEY_FILE = "ownership.key"
TEMP_MARKER = ".lora-studio-owner"  # inside our temp folders: the signature, and the lock held while alive
PART_SUFFIX, OLD_SUFFIX, DELETING_SUFFIX = ".part", ".old", ".deleting"
LOCK_SUFFIX = ".lora-studio-lock"
_RANDOM_CHARS, _MAC_CHARS = 8, 16
_ALPHABET = string.ascii_lowercase + string.digits
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
WINDOWS = os.name == "nt"


# ---------------------------------------------------------------- the key and signatures
def data_folder() -> Path:
    """The app's data folder (LORA_STUDIO_DATA_DIR if set): where the ownership key lives."""
    return app_folder("data")


def _key() -> bytes:
    return _key_in(data_folder())


@lru_cache(maxsize=4)
def _key_in(folder: Path) -> bytes:
    """The per-user key, made once (linked into place whole, so a second process never reads half of it)."""
    path = folder / KEY_FILE
    try:
        return _read_key(path)
    except OSError:
        pass
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process made it first: use theirs
            pass
        except OSError:  # no hard links on this file system: a rename, which a racing process may repeat
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return _read_key(path)
    except OSError:
        return secrets.token_bytes(32)  # this process's own: its leftovers are simply never recognised later


def _read_key(path: Path) -> bytes:
    data = path.read_bytes()
    if len(data) != 32:
        raise OSError("not a key")
    return data


def _mac(kind: str, name: str) -> str:
    return hmac.new(_key(), f"{kind}\0{name}".encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


def signed_sibling(target: Path, kind: str, suffix: str) -> Path:
    """A fresh hidden sibling `.target.<random><signature><suffix>` that only we can name."""
    target = Path(target)
    rand = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    return target.with_name(f".{target.name}.{rand}{_mac(kind, target.name + '.' + rand)[:_MAC_CHARS]}{suffix}")


def _signed_name(path: Path, kind: str, suffix: str) -> bool:
    name = path.name
    if not (name.startswith(".") and name.endswith(suffix)):
        return False
    base, _, token = name[1:len(name) - len(suffix)].rpartition(".")
    rand, mac = token[:_RANDOM_CHARS], token[_RANDOM_CHARS:]
    expected = _mac(kind, base + "." + rand)[:_MAC_CHARS]
    # compared as bytes: compare_digest refuses str with characters beyond ASCII, which any name may hold
    return bool(base) and hmac.compare_digest(mac.encode("utf-8", "surrogateescape"), expected.encode("ascii"))


def leftovers(target: Path, kind: str) -> list[Path]:
    """Our signed `.target.*` siblings of one kind ("part", "old", "deleting"), oldest first."""
    target = Path(target)
    parent = target.parent
    if not parent.is_dir():
        return []
    pattern = f".{_glob_escape(target.name)}.*{KINDS[kind].suffix}"
    found = [p for p in parent.glob(pattern) if p.name[1:].rpartition(".")[0].rpartition(".")[0] == target.name
             and owned(p, kind)]
    return sorted(found, key=_age)


def _age(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:  # removed meanwhile (another run's cleanup): its place in the order does not matter
        return 0.0


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


# ---------------------------------------------------------------- temp folders and lock files
def mark_temp_folder(folder: Path) -> int:
    """Sign a temp folder we just made and hold its marker's lock while this process lives (the OS lets
    go when it dies, also in another PID namespace). Returns the descriptor to close when done."""
    fd = os.open(Path(folder) / TEMP_MARKER, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    os.write(fd, _mac("temp", Path(folder).name).encode("ascii"))
    try_lock(fd)
    return fd


def _temp_marked(folder: Path) -> bool:
    return folder.is_dir() and _holds(folder / TEMP_MARKER, _mac("temp", folder.name).encode("ascii"))


def in_use(folder: Path) -> bool:
    """True while the process that made our temp folder lives (it holds its marker's lock)."""
    try:
        fd = os.open(Path(folder) / TEMP_MARKER, os.O_RDWR | _NOFOLLOW)
    except OSError:
        return True  # cannot tell: leave it
    try:
        return not try_lock(fd)
    finally:
        os.close(fd)  # closing lets the lock go again


def lock_content(lock: Path) -> bytes:
    return f"LoRA Studio lock {_mac('lock', Path(lock).name)}\n".encode("ascii")


def create_lock(lock: Path) -> int | None:
    """Make the lock file `lock` with our signature in it, whole (linked into place); None if it exists."""
    lock = Path(lock)
    tmp = signed_sibling(lock, "part", PART_SUFFIX)
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
    os.write(fd, lock_content(lock))
    os.close(fd)
    try:
        os.link(tmp, lock)
    except FileExistsError:
        return None
    except OSError:  # no hard links (FAT): an exclusive create, then the signature
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
        except FileExistsError:
            return None
        os.write(fd, lock_content(lock))
        return fd
    finally:
        tmp.unlink(missing_ok=True)
    return os.open(lock, os.O_RDWR | _NOFOLLOW)


def try_lock(fd: int) -> bool:
    """A non-blocking exclusive lock on an open file; the OS drops it when the process dies."""
    try:
        if WINDOWS:
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks from the current position: every process locks byte 0
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holds(path: Path, expected: bytes) -> bool:
    """`path` is a plain file (not a link) holding exactly `expected`."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except OSError:
        return False
    try:
        data = os.read(fd, len(expected) + 1)
    finally:
        os.close(fd)
    return path.is_file() and hmac.compare_digest(data, expected)


def _lock_signed(lock: Path) -> bool:
    return lock.name.endswith(LOCK_SUFFIX) and _holds(lock, lock_content(lock))


# ---------------------------------------------------------------- predictions: a CSV, never a workbook
_BINARY_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG")  # zip (xlsx, docx), OLE (xls, doc)


def is_csv_file(path: Path) -> bool:
    """A plain file named .csv that holds text: what a predictions file may replace once the user agrees."""
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return False
    return not head.startswith(_BINARY_STARTS) and b"\0" not in head


# ---------------------------------------------------------------- the registry
@dataclass(frozen=True)
class Owned:
    """A kind of path LoRA Studio writes, and how one proves it is ours."""

    name: str
    what: str                          # in a sentence: "adapter folder"
    recognise: Callable[[Path], bool]  # the format's own check: only what LoRA Studio wrote passes
    empty_folder: bool = False         # an empty folder may be replaced too: it holds nothing to lose
    suffix: str = ""                   # signed leftovers: the end of their name

    def proves(self, path: Path) -> bool:
        if path.is_symlink():  # a link's target is someone else's, whatever it holds
            return False
        try:
            return (self.empty_folder and path.is_dir() and not any(path.iterdir())) or bool(self.recognise(path))
        except OSError:  # a folder we may not read cannot prove anything
            return False


def _signed(kind: str, suffix: str) -> Callable[[Path], bool]:
    return lambda path: _signed_name(path, kind, suffix)


# The disk layer's own kinds, by name. The kinds of the outputs a user keeps live beside their formats.
KINDS: dict[str, Owned] = {k.name: k for k in (
    Owned("predictions", "predictions file", is_csv_file),
    Owned("temp", "temporary folder", _temp_marked),
    Owned("lock", "lock file", _lock_signed),
    Owned("part", "unfinished save", _signed("part", PART_SUFFIX), suffix=PART_SUFFIX),
    Owned("old", "previous adapter set aside", _signed("old", OLD_SUFFIX), suffix=OLD_SUFFIX),
    Owned("deleting", "run being deleted", _signed("deleting", DELETING_SUFFIX), suffix=DELETING_SUFFIX),
)}


def kind_of(kind: Owned | str) -> Owned:
    """`kind` itself, or the disk layer's own kind of that name (KINDS)."""
    return kind if isinstance(kind, Owned) else KINDS[kind]


def owned(path: str | Path, kind: Owned | str) -> bool:
    """Whether `path` proves it is LoRA Studio's `kind` (an Owned, or the name of one of KINDS), so that we may
    replace or remove it."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return False
    return kind_of(kind).proves(path)
