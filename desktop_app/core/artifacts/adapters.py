"""The adapter package on disk: peft's files (classifier head included) + our manifest.json.

This module knows files and folders; inference.py knows models. Save: built in a temporary sibling
and swapped into place (never half an adapter, never no adapter). Open: refuses pickle weights,
checks the manifest and adapter_config.json by type and range and the weights' checksum, and
explains any problem in plain words. Plain `peft` can load the folder too.
"""

from __future__ import annotations

import platform
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ... import __version__
from .adapter_zip import extract_adapter_zip, write_adapter_zip
from ..disk.atomic import atomic_directory, remove_unfinished, temp_folder
from ..disk.destinations import check_destination, exclusive
from ..disk.ownership import Owned
from ..base.errors import AdapterError, OutputError
from .adapter_layout import ALLOWED_FILES, MANIFEST, PEFT_CONFIG, README, WEIGHTS
from .known_bases import remember
from .manifest import Manifest, is_adapter_folder, manifest_for_training, read_manifest
from ..model.base_models import fingerprint, quiet_transformers
from .peft_config import AdapterConfig, read_adapter_config
from ..base.hashing import sha256_file
from ..base.sanitize import printable
from .sharing import card_for, shared_adapter_config, shared_base, shared_manifest, write_shared_files

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
ZIP_SUFFIX = ".zip"


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"lora_studio": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "peft"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def save_adapter(out_dir: str | Path, model, base, result) -> Path:
    """Write the adapter package to `out_dir` (a new folder, or an adapter of ours that it replaces). The folder
    stays on this computer, so its manifest keeps the base's path and the example mistakes; its adapter_config.json
    and model card are already the shared ones (sharing.py), for a user who copies the folder as it is."""
    import json

    out_dir = check_destination(out_dir, ADAPTER_FOLDER)  # again: the folder may have changed while training ran
    quiet_transformers()  # the Trainer turns transformers' progress bars back on ("Writing model shards")
    base_weights = fingerprint(base.path)
    with atomic_directory(out_dir, replace=True) as tmp:
        # save_embedding_layers=False: never look up the base on the hub to decide (peft #1452)
        model.save_pretrained(str(tmp), safe_serialization=True, save_embedding_layers=False)
        for stray in tmp.iterdir():
            if stray.name not in ALLOWED_FILES:
                stray.unlink() if stray.is_file() else shutil.rmtree(stray)
        manifest = manifest_for_training(base, result, sha256_file(tmp / WEIGHTS), base_weights,
                                         library_versions(),
                                         datetime.now(timezone.utc).isoformat(timespec="seconds"))
        (tmp / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        public = shared_base(manifest.base_model)
        config = json.loads((tmp / PEFT_CONFIG).read_text(encoding="utf-8"))
        (tmp / PEFT_CONFIG).write_text(json.dumps(shared_adapter_config(config, public), indent=2, sort_keys=True),
                                       encoding="utf-8")
        (tmp / README).write_text(card_for(shared_manifest(manifest, public), public, kept_here=True),
                                  encoding="utf-8")
    if base.kind == "local":
        remember(base.path, base_weights)  # so an export of it, which names no path, reopens here
    return out_dir


# ---------------------------------------------------------------- ownership: the kinds handed to the disk layer
def holds_our_adapter(folder: Path) -> bool:
    """A folder LoRA Studio may replace or delete as its adapter: a valid manifest of ours and nothing but
    adapter files (a user's file put inside makes it theirs too)."""
    return folder.is_dir() and is_adapter_folder(folder) and all(
        e.name in ALLOWED_FILES and e.is_file() and not e.is_symlink() for e in folder.iterdir())


def is_our_adapter_zip(path: Path) -> bool:
    """A file that is an adapter zip of ours (its manifest reads), which an export may replace."""
    if not path.is_file():
        return False
    try:
        read_manifest(path)
    except Exception:  # noqa: BLE001 - anything that is not our zip is not ours to replace
        return False
    return True


ADAPTER_FOLDER = Owned("adapter", "adapter folder", holds_our_adapter, empty_folder=True)
ADAPTER_ZIP = Owned("zip", "adapter file", is_our_adapter_zip)
RUN = Owned("run", "run", holds_our_adapter)  # a run is an adapter folder in the runs folder, never an empty one


# ---------------------------------------------------------------- opening and checking
@dataclass(frozen=True)
class AdapterFiles:
    """A verified adapter folder: what inference needs to build the model."""

    folder: Path
    manifest: Manifest
    config: AdapterConfig

    @property
    def weights(self) -> Path:
        return self.folder / WEIGHTS


def check_files(folder: Path, manifest: Manifest, shown_as: str | None = None) -> AdapterConfig:
    name = printable(shown_as or folder.name)
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise AdapterError(f"The adapter “{name}” contains pickle weights ({printable(', '.join(pickles))}), which "
                           "can run code when opened. LoRA Studio refuses to load them.",
                           "Only .safetensors adapters are accepted.")
    for needed in (PEFT_CONFIG, WEIGHTS):
        if not (folder / needed).is_file():
            raise AdapterError(f"The adapter “{name}” is incomplete: {needed} is missing.",
                               "Export it again from LoRA Studio.")
    expected = manifest.files.get(WEIGHTS)
    if expected and sha256_file(folder / WEIGHTS) != expected:
        raise AdapterError(f"The weights of “{name}” are damaged (their checksum does not match the manifest).",
                           "Copy or export the adapter again.")
    return read_adapter_config(folder / PEFT_CONFIG)


def verify_folder(folder: Path, shown_as: str | None = None) -> AdapterFiles:
    """`shown_as`: the name the user knows (their .zip), not the temporary folder it was extracted to."""
    manifest = read_manifest(folder)
    return AdapterFiles(folder, manifest, check_files(folder, manifest, shown_as))


@contextmanager
def open_adapter(path: str | Path) -> Iterator[AdapterFiles]:
    """A verified adapter folder for a folder or an exported .zip (extracted to a temporary folder
    that exists while the caller builds the model)."""
    path = Path(path)
    if not path.exists():
        raise AdapterError(f"“{printable(path)}” does not exist.", "Choose an adapter folder or .zip.")
    if path.is_dir():
        yield verify_folder(path)
        return
    read_manifest(path)  # a zip that is not an adapter is refused before anything is extracted
    with temp_folder("adapter") as tmp:
        yield verify_folder(extract_adapter_zip(path, Path(tmp) / "adapter"), shown_as=path.name)


def describe_adapter(path: str | Path) -> Manifest:
    """The validated manifest of a folder or zip, its files checked too (for `info` and the window)."""
    with open_adapter(path) as files:
        return files.manifest


# ---------------------------------------------------------------- export
def export_adapter(source: str | Path, dest: str | Path, include_examples: bool = False,
                   as_zip: bool | None = None) -> Path:
    """Share an adapter (a folder or .zip) as one .zip, or as a folder (`as_zip`; by default, by `dest`'s suffix):
    no local path, no text of the user's data unless `include_examples` (the example mistakes), a model card
    (sharing.py). `dest` may only replace an adapter of ours (never the folder exported), whole or not at all."""
    dest = Path(dest)
    zipped = dest.suffix.lower() == ZIP_SUFFIX if as_zip is None else as_zip
    if Path(source).is_dir() and dest.exists() and dest.resolve() == Path(source).resolve():
        raise OutputError(f"“{printable(dest.name)}” is the adapter being exported; it was left as it is.",
                          "Export it under another name (the export leaves out what only this computer needs).")
    with open_adapter(source) as files:
        check_destination(dest, ADAPTER_ZIP if zipped else ADAPTER_FOLDER)
        with _writing(dest):
            if not zipped:
                with atomic_directory(dest, replace=True) as tmp:
                    write_shared_files(files.folder, tmp, include_examples)
                    verify_folder(tmp, shown_as=dest.name)
                return dest
            with temp_folder("export") as tmp:
                folder = Path(tmp) / "adapter"
                folder.mkdir()
                write_shared_files(files.folder, folder, include_examples)
                verify_folder(folder, shown_as=dest.name)
                return write_adapter_zip(folder, dest)


@contextmanager
def _writing(dest: Path) -> Iterator[None]:
    """One writer at a time at `dest`; what a killed export left beside it (ours by its signed name) goes first."""
    with exclusive(dest):
        remove_unfinished(dest)
        yield


def export_adapter_zip(folder: str | Path, zip_path: str | Path, include_examples: bool = False) -> Path:
    if Path(zip_path).suffix.lower() != ZIP_SUFFIX:
        zip_path = Path(str(zip_path) + ZIP_SUFFIX)
    return export_adapter(folder, zip_path, include_examples)


def import_adapter_zip(zip_path: str | Path, dest: str | Path) -> Path:
    """Extract a shared adapter safely (see adapter_zip.py) to `dest`, which may only replace an adapter."""
    check_destination(dest, ADAPTER_FOLDER)
    with _writing(Path(dest)):
        folder = extract_adapter_zip(zip_path, dest, replace=True)
    verify_folder(folder, shown_as=Path(zip_path).name)
    return folder
