"""The adapter package: peft's files (classifier head included) + our manifest.json.

Save: written into a temporary sibling folder and renamed into place (never half an adapter).
Load: refuses pickle weights, checks the files' checksums, the base model's fingerprint, the label
count and every tensor shape, and explains any mismatch in plain words. Plain `peft` can load the
folder too (PeftModel.from_pretrained on the same base with num_labels=len(labels)).
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from .atomic import atomic_directory
from .errors import AdapterError, ModelError

FORMAT = "lora-studio-adapter"
FORMAT_VERSION = 1
WEIGHTS = "adapter_model.safetensors"
PEFT_CONFIG = "adapter_config.json"
MANIFEST = "manifest.json"
ALLOWED_FILES = {WEIGHTS, PEFT_CONFIG, MANIFEST, "README.md"}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
HEAD_SUFFIXES = ("classifier.weight", "classifier.out_proj.weight", "score.weight")
MAX_ZIP_BYTES = 2 * 1024**3
ZIP_SUFFIX = ".zip"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    out = {"lora_studio": __version__, "python": platform.python_version()}
    for name in ("torch", "transformers", "peft"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def build_manifest(base, result, weights_sha256: str) -> dict:
    from .models import fingerprint
    from .text import HEAD_SHARE

    metrics = {"validation": result.validation.to_dict() if result.validation else None,
               "test": result.test.to_dict() if result.test else None}
    for split in metrics.values():
        if split:
            split["mistakes"] = split["mistakes"][:50]  # keep the manifest small; enough to show
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "task": "text-classification",
        "labels": list(result.labels),
        "base_model": {"ref": base.ref, "kind": base.kind, "model_type": base.model_type,
                       "name": base.display_name, "fingerprint": fingerprint(base.path)},
        "max_length": result.max_length, "truncation": {"strategy": "head+tail", "head_share": HEAD_SHARE},
        "config": result.config.to_dict() if result.config else None,
        "metrics": metrics,
        "training": {"status": result.status, "steps": result.steps, "epochs": result.epochs,
                     "seconds": round(result.train_seconds, 2), "device": result.device,
                     "history": result.history},
        "versions": library_versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {WEIGHTS: weights_sha256},
    }


def save_adapter(out_dir: str | Path, model, base, result) -> Path:
    out_dir = Path(out_dir)
    with atomic_directory(out_dir) as tmp:
        # save_embedding_layers=False: never look up the base on the hub to decide (peft #1452)
        model.save_pretrained(str(tmp), safe_serialization=True, save_embedding_layers=False)
        for stray in tmp.iterdir():
            if stray.name not in ALLOWED_FILES:
                stray.unlink() if stray.is_file() else shutil.rmtree(stray)
        manifest = build_manifest(base, result, _sha256(tmp / WEIGHTS))
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return out_dir


# ---------------------------------------------------------------- reading and checking
def read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise AdapterError(f"“{folder}” is not an adapter folder.", "Choose the folder LoRA Studio exported, or its .zip.")
    if not path.is_file():
        raise AdapterError(f"“{folder.name}” has no manifest.json, so it is not a LoRA Studio adapter.",
                           "Choose a folder or .zip exported by LoRA Studio.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AdapterError(f"The manifest of “{folder.name}” is damaged (not valid JSON).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise AdapterError(f"“{folder.name}” is not a LoRA Studio adapter (unknown manifest format).")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise AdapterError("This adapter was made by a newer LoRA Studio.", "Update LoRA Studio to open it.")
    labels = manifest.get("labels")
    if not isinstance(labels, list) or len(labels) < 2 or len(set(map(str, labels))) != len(labels):
        raise AdapterError("The adapter's manifest lists no valid class names.")
    base = manifest.get("base_model")
    if not isinstance(base, dict) or not base.get("ref") or not base.get("fingerprint"):
        raise AdapterError("The adapter's manifest does not say which base model it belongs to.")
    if not isinstance(manifest.get("max_length"), int):
        raise AdapterError("The adapter's manifest has no maximum text length.")
    return manifest


def check_files(folder: Path, manifest: dict) -> None:
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise AdapterError(f"The adapter contains pickle weights ({', '.join(pickles)}), which can run code when "
                           "opened. LoRA Studio refuses to load them.", "Only .safetensors adapters are accepted.")
    for name in (PEFT_CONFIG, WEIGHTS):
        if not (folder / name).is_file():
            raise AdapterError(f"The adapter is incomplete: {name} is missing.", "Export it again from LoRA Studio.")
    expected = (manifest.get("files") or {}).get(WEIGHTS)
    if expected and _sha256(folder / WEIGHTS) != expected:
        raise AdapterError("The adapter's weights are damaged (their checksum does not match the manifest).",
                           "Copy or export the adapter again.")


def _head_classes(weights: dict) -> int | None:
    for key, tensor in weights.items():
        if key.endswith(HEAD_SUFFIXES) and tensor.dim() == 2:
            return int(tensor.shape[0])
    return None


def load_adapter(path: str | Path, base_model: str | None = None):
    """Verify and load an adapter folder (or exported .zip) into a ready Classifier."""
    path = Path(path)
    if not path.exists():
        raise AdapterError(f"“{path}” does not exist.", "Choose an adapter folder or .zip.")
    if path.is_file():
        with tempfile.TemporaryDirectory(prefix="lora-studio-adapter-") as tmp:
            folder = import_adapter_zip(path, Path(tmp) / "adapter")
            return _load_folder(folder, base_model, source=path)
    return _load_folder(path, base_model, source=path)


def _load_folder(folder: Path, base_model: str | None, source: Path):
    from peft import PeftModel
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import load_file

    from .inference import Classifier
    from .models import fingerprint, load_classifier, load_tokenizer, resolve_base_model
    from .text import TextEncoder

    manifest = read_manifest(folder)
    check_files(folder, manifest)
    labels = tuple(str(x) for x in manifest["labels"])
    try:
        weights = load_file(str(folder / WEIGHTS))
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
        raise AdapterError("The adapter's weights file is damaged and cannot be read.") from exc
    head = _head_classes(weights)
    if head is not None and head != len(labels):
        raise AdapterError(f"The adapter's classifier has {head} outputs but its manifest names {len(labels)} "
                           "classes.", "The adapter is inconsistent; export it again.")
    wanted = manifest["base_model"]
    try:
        base = resolve_base_model(base_model or wanted["ref"])
    except ModelError as exc:
        raise AdapterError(f"This adapter needs the base model “{wanted.get('name', wanted['ref'])}”, which "
                           f"could not be found: {exc.message}", "Choose the base model's folder.") from exc
    if fingerprint(base.path) != wanted["fingerprint"]:
        raise AdapterError(f"This adapter was trained on “{wanted.get('name', wanted['ref'])}”, but the base model "
                           f"“{base.display_name}” has different weights.",
                           "Load it with the exact base model it was trained on.")
    model = load_classifier(base, labels)
    try:
        model = PeftModel.from_pretrained(model, str(folder), is_trainable=False)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise AdapterError("The adapter does not fit its base model (layer names or sizes differ).",
                           f"It was probably made for another model. ({str(exc)[:160]})") from exc
    expected = {k: tuple(v.shape) for k, v in get_peft_model_state_dict(model).items()}
    found = {k: tuple(v.shape) for k, v in weights.items()}
    if expected != found:
        missing = sorted(set(expected) - set(found))[:3]
        raise AdapterError("The adapter does not fit its base model: "
                           + (f"layers missing ({', '.join(missing)})" if missing else "tensor sizes differ") + ".",
                           "It was probably made for another model or another LoRA configuration.")
    model = model.merge_and_unload()  # plain weights again: inference as fast as the base model
    model.eval()
    encoder = TextEncoder(load_tokenizer(base), manifest["max_length"])
    return Classifier(model, encoder, labels, manifest, source)


# ---------------------------------------------------------------- single-file sharing
def export_adapter_zip(folder: str | Path, zip_path: str | Path) -> Path:
    """One file to share: the adapter's files in a zip, written atomically."""
    from .atomic import atomic_write_bytes

    folder, zip_path = Path(folder), Path(zip_path)
    manifest = read_manifest(folder)
    check_files(folder, manifest)
    tmp = Path(tempfile.mkstemp(suffix=ZIP_SUFFIX)[1])
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(ALLOWED_FILES):
                if (folder / name).is_file():
                    zf.write(folder / name, arcname=name)
        atomic_write_bytes(zip_path, tmp.read_bytes())
    finally:
        tmp.unlink(missing_ok=True)
    return zip_path


def import_adapter_zip(zip_path: str | Path, dest: str | Path) -> Path:
    """Extract a shared adapter safely: known file names only, no paths, no links, bounded size."""
    zip_path, dest = Path(zip_path), Path(dest)
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise AdapterError(f"“{zip_path.name}” is not a valid adapter file (not a readable zip).") from exc
    with zf:
        infos = zf.infolist()
        total = 0
        for info in infos:
            name = info.filename
            is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
            if name not in ALLOWED_FILES or "/" in name or "\\" in name or is_link:
                raise AdapterError(f"“{zip_path.name}” contains an unexpected entry ({name!r}); it was not opened.",
                                   "Only adapters exported by LoRA Studio can be opened.")
            total += info.file_size
        if total > MAX_ZIP_BYTES:
            raise AdapterError(f"“{zip_path.name}” would unpack to more than 2 GB; it was not opened.")
        with atomic_directory(dest) as tmp:
            for info in infos:
                with zf.open(info) as src, open(tmp / info.filename, "wb") as out:
                    shutil.copyfileobj(src, out)
    return dest
