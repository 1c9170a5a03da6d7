"""The single-file form of an adapter: a zip of its files, written atomically, read defensively.

A shared zip is hostile until proven otherwise: known file names only, no folders or links, sizes
bounded both as declared and as actually decompressed, and every way a zip can be damaged (bad CRC,
bad deflate data, truncated, encrypted, unknown compression) becomes one sentence naming the user's file.
"""

from __future__ import annotations

import errno
import zipfile
import zlib
from pathlib import Path

from ..disk.atomic import atomic_directory, atomic_file
from ..base.errors import AdapterError
from .adapter_layout import ALLOWED_FILES, MANIFEST
from ..base.sanitize import brief, printable

MAX_ZIP_BYTES = 2 * 1024**3
_CHUNK = 1 << 20
# What zipfile and zlib raise on damaged, lying or unsupported archives.
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError, OSError)


def _damaged(zip_path: Path, exc: BaseException | None = None) -> AdapterError:
    detail = f" ({brief(exc, 160)})" if exc else ""
    return AdapterError(f"“{printable(zip_path.name)}” is damaged and cannot be opened as an adapter{detail}.",
                        "Copy or export the adapter again.")


def _open(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except _DAMAGE as exc:
        raise AdapterError(f"“{printable(zip_path.name)}” is not a valid adapter file (not a readable zip).",
                           "Choose a folder or .zip exported by LoRA Studio.") from exc


def _checked_entries(zf: zipfile.ZipFile, zip_path: Path) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    names = [i.filename for i in infos]
    total = 0
    for info in infos:
        is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
        if info.filename not in ALLOWED_FILES or is_link or names.count(info.filename) > 1:
            raise AdapterError(f"“{printable(zip_path.name)}” contains an unexpected entry "
                               f"({printable(repr(info.filename))[:80]}); it was not opened.",
                               "Only adapters exported by LoRA Studio can be opened.")
        total += info.file_size
    if MANIFEST not in names:
        raise AdapterError(f"“{printable(zip_path.name)}” holds no manifest.json, so it is not a LoRA Studio adapter"
                           + (" (the zip is empty)." if not infos else "."),
                           "Choose a .zip exported by LoRA Studio.")
    if total > MAX_ZIP_BYTES:
        raise AdapterError(f"“{printable(zip_path.name)}” would unpack to more than 2 GB; it was not opened.")
    return infos


def _copy_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, out, limit: int, zip_path: Path) -> None:
    """Decompress one entry, refusing more bytes than it declared (a lying header) or than `limit`."""
    if info.file_size > limit:  # declared honestly, but too large for what the file is
        raise AdapterError(f"“{printable(zip_path.name)}” holds a {info.filename} of "
                           f"{info.file_size / 1024**2:.1f} MB, more than the {limit / 1024**2:.0f} MB such a file may "
                           "have; it was not opened.",
                           "Only adapters exported by LoRA Studio can be opened.")
    written = 0
    with zf.open(info) as src:
        while block := src.read(_CHUNK):
            written += len(block)
            if written > info.file_size:
                raise AdapterError(f"“{printable(zip_path.name)}” holds an entry larger than it declares; "
                                   "it was not opened.", "Copy or export the adapter again.")
            out.write(block)


def read_member(zip_path: Path, name: str, limit: int) -> bytes:
    """One file of an adapter zip, without extracting the rest."""
    import io

    zf = _open(zip_path)
    with zf:
        infos = _checked_entries(zf, zip_path)
        info = next(i for i in infos if i.filename == name)
        buffer = io.BytesIO()
        try:
            _copy_bounded(zf, info, buffer, limit, zip_path)
        except AdapterError:
            raise
        except _DAMAGE as exc:
            raise _damaged(zip_path, exc) from exc
    return buffer.getvalue()


def extract_adapter_zip(zip_path: str | Path, dest: str | Path, replace: bool = False) -> Path:
    """Extract a shared adapter safely into `dest` (created whole or not at all; an existing `dest` only
    with replace=True, once the caller has proved it is ours)."""
    zip_path, dest = Path(zip_path), Path(dest)
    zf = _open(zip_path)
    with zf:
        infos = _checked_entries(zf, zip_path)
        try:
            with atomic_directory(dest, replace=replace) as tmp:
                for info in infos:
                    with open(tmp / info.filename, "wb") as out:
                        _copy_bounded(zf, info, out, MAX_ZIP_BYTES, zip_path)
        except (AdapterError, FileExistsError):
            raise
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):  # the unpacking side is full, not the zip damaged
                raise AdapterError(f"The disk is full: there is no room left to unpack “{printable(zip_path.name)}”.",
                                   f"Free some space on the disk that holds “{printable(dest.parent)}”.") from exc
            raise _damaged(zip_path, exc) from exc
        except _DAMAGE as exc:
            raise _damaged(zip_path, exc) from exc
    return dest


def write_adapter_zip(folder: Path, zip_path: Path) -> Path:
    """The folder's adapter files in one zip, built beside the destination and renamed into place."""
    with atomic_file(zip_path) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(ALLOWED_FILES):
            if (folder / name).is_file():
                zf.write(folder / name, arcname=name)
    return zip_path
