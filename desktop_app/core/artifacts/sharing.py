"""What leaves the machine when an adapter is shared: the same weights, files that name no local path, no text
of the user's data unless they ask, and a model card a recipient can use.

The base model is named by its hub id where one is known (the built-in model's, a Hugging Face cache folder's),
else by its folder's name with a sentence in the card; the manifest keeps the base's fingerprint, by which the
recipient's LoRA Studio finds it (known_bases.py). Adapters made before are rewritten only when exported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .adapter_layout import MANIFEST, PEFT_CONFIG, WEIGHTS
from .manifest import BaseModelRef, Manifest, SplitScores, read_manifest
from ..model.base_models import EMBEDDED_ID, EMBEDDED_NAME, peek_model_folder
from .peft_config import read_adapter_config
from . import model_card
from ..model import base_models

EMBEDDED_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDED_LICENSE = "apache-2.0"
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_SNAPSHOT = re.compile(r"models--([A-Za-z0-9][A-Za-z0-9._-]*)--([A-Za-z0-9][A-Za-z0-9._-]*)")
_LICENSE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,63}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


@dataclass(frozen=True)
class SharedBase:
    """How a shared adapter names its base model."""

    name: str                 # the hub id, or the folder's name when no hub id is known
    hub_id: str | None
    license: str | None       # the base's licence as its own card declares it
    languages: tuple[str, ...] = ()
    note: str = ""            # for the card, when the recipient has to find the base themselves


def shared_base(base: BaseModelRef) -> SharedBase:
    """The base's public name, read from what is on this computer (its folder's own card), never from the
    network. A base whose weights are the built-in model's is named as the built-in model, wherever it lies."""
    if base.ref == EMBEDDED_ID or base.fingerprint == base_models.EMBEDDED_SHA256:  # tests patch it
        folder, hub_id = peek_model_folder(None), EMBEDDED_HUB_ID
    elif _HUB_ID.fullmatch(base.ref) and not base.ref.startswith(".."):  # a hub id, whatever the kind says
        folder, hub_id = peek_model_folder(base.ref) if base.kind != "local" else None, base.ref
    else:  # anything else is a folder, on this computer or (a stranger's manifest) on another
        folder = peek_model_folder(base.ref) if Path(base.ref).is_absolute() else None
        hub_id = _hub_id_of_folder(base.ref)
    card = _front_matter(folder / "README.md") if folder else {}
    license_ = card.get("license") if isinstance(card.get("license"), str) else None
    languages = card.get("language") or ()
    languages = tuple(x for x in ([languages] if isinstance(languages, str) else languages)
                      if isinstance(x, str) and _LANGUAGE.fullmatch(x))[:20] if isinstance(languages, (str, list)) else ()
    if hub_id:
        return SharedBase(hub_id, hub_id, license_ if license_ and _LICENSE.fullmatch(license_) else
                          (EMBEDDED_LICENSE if hub_id == EMBEDDED_HUB_ID else None), languages)
    name = _folder_name(base.ref) or _folder_name(base.name) or "base-model"
    return SharedBase(name, None, license_ if license_ and _LICENSE.fullmatch(license_) else None, languages,
                      f"The base model is a local folder named “{name}”, not a model on the Hugging Face Hub: "
                      "ask whoever shared this adapter for a copy of it (LoRA Studio recognises it by its weights, "
                      f"sha256 {base.fingerprint}).")


def _hub_id_of_folder(ref: str) -> str | None:
    """A folder inside the Hugging Face cache (…/models--org--name/snapshots/<hash>) says its hub id (the separators
    of any system: a stranger's manifest may hold a Windows path)."""
    for part in re.split(r"[\\/]", ref):
        match = _SNAPSHOT.fullmatch(part)
        if match:
            hub_id = f"{match.group(1)}/{match.group(2)}"
            return hub_id if _HUB_ID.fullmatch(hub_id) else None
    return None


def _folder_name(ref: str) -> str:
    name = re.split(r"[\\/]", ref.rstrip("\\/"))[-1] if ref else ""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:100]
    return name


def _front_matter(readme: Path) -> dict:
    """The YAML block at the top of a model's own README.md (its licence and languages); {} when unreadable."""
    import yaml

    try:
        if not readme.is_file() or readme.stat().st_size > 1024**2:
            return {}
        text = readme.read_text(encoding="utf-8")
        if not text.startswith("---"):
            return {}
        block = text[3:].split("\n---", 1)[0]
        data = yaml.safe_load(block)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


# ---------------------------------------------------------------- the files as shared
def shared_manifest(manifest: Manifest, base: SharedBase, include_examples: bool = False) -> Manifest:
    """The manifest without local paths (the base by name and fingerprint) and, unless asked, without the
    example mistakes, which are texts of the user's data."""
    ref = manifest.base_model
    # a name any LoRA Studio resolves (the built-in id, a hub id) is kept; anything else was a folder somewhere
    public_ref = ref.ref if ref.ref == EMBEDDED_ID or (_HUB_ID.fullmatch(ref.ref) and ref.kind != "local") \
        else base.name
    public_name = ref.name if ref.ref == EMBEDDED_ID and ref.name == EMBEDDED_NAME else base.name
    kind = ref.kind if public_ref == ref.ref else "hf-cache" if base.hub_id else "local"
    config = dict(manifest.config) if manifest.config else manifest.config
    if config and config.get("base_model") is not None and config.get("base_model") != public_ref:
        config["base_model"] = public_ref if isinstance(config["base_model"], str) else None
    return replace(manifest, base_model=replace(ref, ref=public_ref, name=public_name, kind=kind), config=config,
                   validation=_scores(manifest.validation, include_examples),
                   test=_scores(manifest.test, include_examples))


def _scores(scores: SplitScores | None, include_examples: bool) -> SplitScores | None:
    if scores is None or include_examples:
        return scores
    report = {k: v for k, v in scores.report.items() if k != "mistakes"}
    return replace(scores, report={**report, "mistakes": []})


def shared_adapter_config(data: dict, base: SharedBase) -> dict:
    """peft's adapter_config.json naming the base by its public name, each saved module listed once
    (peft adds classifier and score to ours: classifier, pooler, classifier, score)."""
    out = dict(data)
    out["base_model_name_or_path"] = base.name
    saved = out.get("modules_to_save")
    if isinstance(saved, list):
        out["modules_to_save"] = list(dict.fromkeys(saved))
    return out


def write_shared_files(source: Path, dest: Path, include_examples: bool = False) -> Manifest:
    """The adapter at `source` (verified by the caller) as shared, written into the folder `dest`."""
    import shutil

    manifest = read_manifest(source)
    read_adapter_config(source / PEFT_CONFIG)  # refuse what LoRA Studio cannot load before copying it on
    base = shared_base(manifest.base_model)
    shared = shared_manifest(manifest, base, include_examples)
    config = json.loads((source / PEFT_CONFIG).read_text(encoding="utf-8"))
    shutil.copyfile(source / WEIGHTS, dest / WEIGHTS)
    (dest / PEFT_CONFIG).write_text(json.dumps(shared_adapter_config(config, base), indent=2, sort_keys=True),
                                    encoding="utf-8")
    (dest / MANIFEST).write_text(shared.to_json(), encoding="utf-8")
    (dest / "README.md").write_text(card_for(shared, base, include_examples), encoding="utf-8")
    return shared


def card_for(manifest: Manifest, base: SharedBase, include_examples: bool = False, kept_here: bool = False) -> str:
    return model_card.model_card(manifest, base.name, base_license=base.license, base_note=base.note,
                      examples_included=include_examples, languages=base.languages, kept_here=kept_here)
