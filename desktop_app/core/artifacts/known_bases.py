"""Finding an adapter's base model by its weights, not by a path: a shared adapter names its base by hub id or
folder name only (sharing.py), so the recipient's copy is found by fingerprint among the built-in model, the
folders the user pointed at (remembered here), and the Hugging Face cache.

The list of remembered folders (`base_models.json` in the app's data folder) is ours but read as hostile all the
same: a damaged or edited file is ignored entry by entry, and a folder is used only when its weights still hash
to the fingerprint asked for.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from ..base.app_folders import app_folder
from ..disk.atomic import atomic_write_text
from ..base.errors import AdapterError, BaseModelMissing, ModelError
from ..model.base_models import EMBEDDED_ID, cached_base, fingerprint as weights_of, list_cached_models, resolve_base_model
from ..base.sanitize import printable
from ..model import base_models

FILE = "base_models.json"
MAX_ENTRIES = 100
MAX_BYTES = 256 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _registry() -> Path:
    return app_folder("data") / FILE


def _read_bounded(path: Path) -> bytes:
    """The file's bytes if it is a regular file of at most MAX_BYTES: a FIFO or a device put in its place would
    block the read, or never end it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        data = os.read(fd, MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise OSError("too large")
    return data


def remembered() -> dict[str, str]:
    """fingerprint -> absolute folder, newest last; anything malformed is left out."""
    try:
        data = json.loads(_read_bounded(_registry()).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    entries = data.get("folders") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return {}
    out = {}
    for entry in entries[-MAX_ENTRIES:]:
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str) and isinstance(entry.get("path"), str) \
                and _SHA256.fullmatch(entry["fingerprint"]) and len(entry["path"]) < 4096 \
                and Path(entry["path"]).is_absolute():  # never a folder under whatever the working folder is
            out[entry["fingerprint"]] = entry["path"]
    return out


def remember(folder: Path, fingerprint: str) -> None:
    """Note a local base folder the user trained or loaded with. Best effort: failing to remember loses
    nothing but the convenience (the user can point at the folder again)."""
    if not _SHA256.fullmatch(fingerprint):
        return
    known = remembered()
    known.pop(fingerprint, None)
    known[fingerprint] = str(Path(folder).resolve())
    entries = [{"fingerprint": f, "path": p} for f, p in list(known.items())[-MAX_ENTRIES:]]
    try:
        _registry().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(_registry(), json.dumps({"folders": entries}, indent=1))
    except OSError:
        pass


def _candidates(fingerprint: str, model_type: str):
    """Where a base with these weights may be, cheapest first: the built-in model (its fingerprint is a constant),
    the remembered folder, then the Hugging Face cache's models of the same kind (each hashed once a session)."""
    if fingerprint == base_models.EMBEDDED_SHA256:  # looked up at call time: tests patch it
        yield lambda: resolve_base_model(None)
    known = remembered().get(fingerprint)
    if known:
        yield lambda: resolve_base_model(known)
    for cached in list_cached_models():
        if cached.model_type == model_type:
            yield lambda cached=cached: cached


def find_base(fingerprint: str, model_type: str = ""):
    """The base model on this computer whose weights have this fingerprint, or None."""
    for candidate in _candidates(fingerprint, model_type):
        try:
            base = candidate()
            if weights_of(base.path) == fingerprint:
                return base
        except (ModelError, OSError, ValueError):
            continue
    return None


def base_for(wanted, chosen: str | Path | None = None):
    """The base model an adapter was trained on (`wanted`: its manifest's BaseModelRef). `chosen`: the folder or
    name the user gave, which must be exactly that model. Else the manifest's own reference where it is one this
    computer can resolve (the built-in id, a cached hub id, an absolute folder: adapters saved here), then a
    search by fingerprint. A name alone is never looked up relative to the working folder, and never online."""
    def mismatch(base) -> AdapterError:
        return AdapterError(f"This adapter was trained on “{printable(wanted.name)}”, but the base model "
                            f"“{printable(base.display_name)}” has different weights.",
                            "Load it with the exact base model it was trained on.")

    if chosen:
        try:
            base = resolve_base_model(str(chosen))
        except ModelError as exc:
            raise AdapterError(f"The base model given could not be used: {exc.message}",
                               "Choose the folder of the base model the adapter was trained on.") from exc
        if weights_of(base.path) != wanted.fingerprint:
            raise mismatch(base)
        if base.kind == "local":
            remember(base.path, wanted.fingerprint)  # the next load finds it without being told
        return base
    problem = None
    hub = wanted.kind in ("hf-cache", "hub") and not Path(wanted.ref).is_absolute()
    if wanted.ref == EMBEDDED_ID or Path(wanted.ref).is_absolute() or hub:
        try:  # a hub id from the cache only: never a folder of that name under the working folder
            base = (cached_base(wanted.ref) if hub else resolve_base_model(wanted.ref))
            if base is None:
                raise ModelError(f"“{printable(wanted.ref)}” is not in the Hugging Face cache.")
            if weights_of(base.path) == wanted.fingerprint:
                return base
            problem = mismatch(base)
        except ModelError as exc:
            problem = BaseModelMissing(f"This adapter needs the base model “{printable(wanted.name)}”, which could "
                                       f"not be found: {exc.message}", "Choose the base model's folder.")
    found = find_base(wanted.fingerprint, wanted.model_type)
    if found is not None:
        return found
    raise problem or BaseModelMissing(
        f"This adapter needs the base model “{printable(wanted.name)}” (sha256 {wanted.fingerprint[:12]}…), which is "
        "not on this computer: not built in, not in the Hugging Face cache, not a folder LoRA Studio has used.",
        "Point LoRA Studio at the base model's folder (the command line's --base-model FOLDER).")
