"""sha256 of files, read in blocks: the weights' checksums in a manifest, a job's files, a base model's fingerprint."""

from __future__ import annotations

import hashlib
from pathlib import Path

BLOCK = 1 << 20


def feed(digest, path: str | Path, size: int | None = None) -> None:
    """Add the file's bytes to `digest`; with `size`, no more than that many (a /proc file stats as 0 bytes and
    never ends: the caller passes the size stat gave)."""
    with open(path, "rb") as fh:
        if size is None:
            for block in iter(lambda: fh.read(BLOCK), b""):
                digest.update(block)
            return
        while size > 0 and (block := fh.read(min(size, BLOCK))):
            digest.update(block)
            size -= len(block)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    feed(digest, path)
    return digest.hexdigest()
