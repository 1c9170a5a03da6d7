"""manifest.json, LoRA Studio's description of an adapter, as one validated type.

A manifest arrives from strangers (shared adapters), so every field is checked by type and range on
the way in and label names must be printable text. This is the only module that parses it.
"""

from __future__ import annotations

import json
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .adapter_layout import ALLOWED_FILES, MANIFEST, WEIGHTS
from .adapter_zip import read_member
from ..model.config import TrainConfig
from ..base.errors import AdapterError, ConfigError
from ..metrics.score_estimate import ScoreEstimate
from ..base.sanitize import label_problem, printable
from ..model.text import HEAD_SHARE
from ..base.validate import Fields

FORMAT = "lora-studio-adapter"
FORMAT_VERSION = 2  # 2: the head may read mean-pooled vectors ("pooling"); such adapters are written as 2, others as 1
POOLING_VERSION = 2
MAX_MANIFEST_BYTES = 4 * 1024**2
MAX_LABELS = 200
SINGLE_LABEL, MULTI_LABEL = "text-classification", "multi_label"  # the manifest's "task"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _error(message: str) -> AdapterError:
    return AdapterError(f"The adapter's manifest is invalid: {message}.", "Export the adapter again from LoRA Studio.")


@dataclass(frozen=True)
class BaseModelRef:
    ref: str
    kind: str
    model_type: str
    name: str
    fingerprint: str

    @classmethod
    def from_dict(cls, data) -> "BaseModelRef":
        f = Fields(data, "base_model", _error)
        fingerprint = f.text("fingerprint", 64)
        if not _SHA256.fullmatch(fingerprint):
            raise f.fail("fingerprint", "a sha256 in hexadecimal")
        ref = f.text("ref", 1000)
        if not ref:
            raise f.fail("ref", "the base model's name or folder")
        return cls(ref, f.text("kind", 20, default="local"), f.text("model_type", 64, default="?"),
                   f.text("name", 300, default=ref), fingerprint)


@dataclass(frozen=True)
class SplitScores:
    """The headline numbers of one evaluated split; `report` keeps the full EvalReport dict."""

    accuracy: float
    macro_f1: float
    examples: int
    report: dict = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def from_dict(cls, data, split: str) -> "SplitScores":
        f = Fields(data, f"metrics.{split}", _error)
        f.records("per_class", {"label": str, "precision": float, "recall": float, "f1": float, "support": int})
        f.records("mistakes", {"text": str, "true_label": str, "predicted": str, "confidence": float,
                               "missed": list, "added": list})
        f.records("label_errors", {"label": str, "missed": int, "added": int}, MAX_LABELS)
        if any(not _count(e.get("missed", 0)) or not _count(e.get("added", 0)) for e in data.get("label_errors") or []):
            raise f.fail("label_errors", "counts of missed and added labels (whole numbers from 0)")
        f.text_list("labels", MAX_LABELS, 1000, optional=True)
        f.text("task", 40, optional=True, choices=("single_label", "multi_label"))
        f.number("micro_f1", 0, 1, optional=True)
        f.number("hamming_loss", 0, 1, optional=True)
        if data.get("thresholds") is not None:
            f.numbers("thresholds", 0, 1, len(data.get("labels") or []))
        confusion = data.get("confusion")
        if confusion is not None and not (isinstance(confusion, list) and len(confusion) <= MAX_LABELS and all(
                isinstance(row, list) and len(row) <= MAX_LABELS and all(_count(n) for n in row) for row in confusion)):
            raise f.fail("confusion", "a table of counts")
        return cls(f.number("accuracy", 0, 1), f.number("macro_f1", 0, 1), f.integer("examples", 0, 10**9), data)


@dataclass(frozen=True)
class Manifest:
    labels: tuple[str, ...]
    base_model: BaseModelRef
    max_length: int
    format_version: int = FORMAT_VERSION
    task: str = SINGLE_LABEL
    thresholds: tuple[float, ...] | None = None  # multi-label: each label's decision threshold
    truncation: dict = field(default_factory=lambda: {"strategy": "head+tail", "head_share": 0.25})
    config: dict | None = None
    validation: SplitScores | None = None
    test: SplitScores | None = None
    training: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    created: str = ""
    files: dict = field(default_factory=dict)
    pooling: str = "cls"       # how a text becomes the head's vector (pooling.py); absent before version 2: cls
    estimate: ScoreEstimate = field(default_factory=ScoreEstimate)  # how `validation` was measured

    # ------------------------------------------------------------ reading
    @classmethod
    def from_dict(cls, data) -> "Manifest":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AdapterError("This is not a LoRA Studio adapter (unknown manifest format).",
                               "Choose a folder or .zip exported by LoRA Studio.")
        f = Fields(data, "manifest", _error)
        version = f.integer("format_version", 1, 10**6)
        if version > FORMAT_VERSION:
            raise AdapterError("This adapter was made by a newer LoRA Studio.", "Update LoRA Studio to open it.")
        labels = _labels(data.get("labels"))
        task = f.text("task", 40, default=SINGLE_LABEL, choices=(SINGLE_LABEL, MULTI_LABEL))
        thresholds = f.numbers("thresholds", 0, 1, len(labels), optional=task == SINGLE_LABEL)
        if task == SINGLE_LABEL and thresholds is not None:
            raise f.fail("thresholds", "absent for a model with one label per text")
        truncation = f.mapping("truncation", optional=True) or {}
        t = Fields(truncation, "truncation", _error)
        t.text("strategy", 40, default="head+tail", choices=("head+tail",))
        t.number("head_share", 0, 1, default=0.25)
        metrics = f.mapping("metrics", optional=True) or {}
        scores = {split: SplitScores.from_dict(metrics[split], split) if metrics.get(split) is not None else None
                  for split in ("validation", "test")}
        training = f.mapping("training", optional=True) or {}
        tr = Fields(training, "training", _error)
        tr.text("status", 40, optional=True)
        tr.number("kept_epoch", 0, 10**6, optional=True)        # optional: older manifests lack both
        tr.number("stopped_at_epoch", 0, 10**6, optional=True)  # only for runs the user stopped
        tr.text("note", 600, optional=True)  # where a number seen while training differs from the record
        tr.text("dataset", 300, optional=True)
        tr.integer("examples", 0, 10**9, optional=True)
        tr.integer("steps", 0, 10**9, optional=True)
        tr.number("epochs", 0, 10**6, optional=True)
        tr.number("seconds", 0, 10**9, optional=True)
        tr.text("device", 300, optional=True)
        tr.records("history", {"step": int, "epoch": float})
        tr.integer("world_size", 1, 65536, optional=True)  # older manifests: one process
        tr.integer("per_device_batch", 1, 10**6, optional=True)
        tr.integer("effective_batch", 1, 10**9, optional=True)
        chosen = training.get("settings")  # how epochs, learning rate and max length were set; older: absent
        if chosen is not None and not (isinstance(chosen, dict) and set(chosen) <= set(SETTING_SOURCES) and all(
                v in SETTING_SOURCES[k] for k, v in chosen.items())):
            raise tr.fail("settings", "how each adjustable setting was set (automatic, exact, small-data)")
        counts = training.get("label_counts")  # rows per label trained on; older manifests: absent
        if counts is not None and not (isinstance(counts, dict) and len(counts) <= MAX_LABELS and all(
                isinstance(k, str) and len(k) <= 1000 and _count(n) for k, n in counts.items())):
            raise tr.fail("label_counts", "the training rows of each label")
        ranks = training.get("examples_per_rank")
        if ranks is not None and not (isinstance(ranks, list) and len(ranks) <= 65536 and all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 10**12 for n in ranks)):
            raise tr.fail("examples_per_rank", "a list of example counts")
        versions = f.mapping("versions", optional=True) or {}
        if not all(isinstance(k, str) and isinstance(v, str) and len(v) < 100 for k, v in versions.items()):
            raise f.fail("versions", "names and version numbers")
        files = f.mapping("files", optional=True) or {}
        if not all(isinstance(k, str) and isinstance(v, str) and _SHA256.fullmatch(v) for k, v in files.items()):
            raise f.fail("files", "file names with their sha256")
        _same_task(task, data.get("config"), scores)
        pooling = f.text("pooling", 10, default="cls", choices=("cls", "mean"))
        if pooling == "mean" and version < POOLING_VERSION:
            raise f.fail("pooling", f"“cls” in a format {version} manifest")
        estimate = ScoreEstimate.from_dict(data.get("estimate"))
        if estimate.cross_validated and (scores["validation"] is None
                                         or scores["validation"].examples != estimate.examples):
            raise f.fail("estimate", "the cross-validation of the rows its pooled report counts")
        return cls(pooling=pooling, estimate=estimate, labels=labels, base_model=BaseModelRef.from_dict(data.get("base_model")),
                   max_length=f.integer("max_length", 8, 8192), format_version=version,
                   task=task, thresholds=thresholds,
                   truncation=truncation, config=_config(f.mapping("config", optional=True)),
                   validation=scores["validation"], test=scores["test"], training=training, versions=versions,
                   created=f.text("created", 40, default=""), files=files)

    def to_dict(self) -> dict:
        b = self.base_model
        return {
            "format": FORMAT, "format_version": self.format_version, "task": self.task,
            **({"pooling": self.pooling} if self.pooling != "cls" else {}),
            **({"estimate": self.estimate.to_dict()} if self.estimate.examples else {}),
            "labels": list(self.labels),
            **({"thresholds": list(self.thresholds)} if self.thresholds is not None else {}),
            "base_model": {"ref": b.ref, "kind": b.kind, "model_type": b.model_type, "name": b.name,
                           "fingerprint": b.fingerprint},
            "max_length": self.max_length, "truncation": self.truncation, "config": self.config,
            "metrics": {"validation": self.validation.report if self.validation else None,
                        "test": self.test.report if self.test else None},
            "training": self.training, "versions": self.versions, "created": self.created, "files": self.files,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def _same_task(task: str, config, scores: dict) -> None:
    """The task is told three times (the manifest, the training settings, each split's metrics): a model read as
    the wrong kind predicts silently wrong (softmax over sigmoid-trained logits), so all must agree."""
    multi = task == MULTI_LABEL
    if isinstance(config, dict) and "multi_label" in config and (config["multi_label"] is True) != multi:
        raise _error(f"its task ({task}) and its training settings (multi_label: {config['multi_label']!r}) disagree")
    for split, score in scores.items():
        if score is not None and (score.report.get("task", "single_label") == "multi_label") != multi:
            raise _error(f"its task ({task}) and its {split} metrics disagree")


def _count(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 10**9


def _config(data: dict | None) -> dict | None:
    """The training settings stored with the adapter must be settings this version can read."""
    if data is None:
        return None
    try:
        TrainConfig.from_dict(data)
    except ConfigError as exc:
        raise _error(f"its training settings are invalid ({exc.message})") from exc
    return data


def _labels(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_LABELS:
        raise _error(f"“labels” should list 2 to {MAX_LABELS} class names")
    for name in value:
        problem = label_problem(name)
        if problem:
            raise _error(problem)
    if len(set(value)) != len(value):
        raise _error("two classes have the same name")
    return tuple(value)


# ---------------------------------------------------------------- the one reader
def parse_manifest(raw: bytes, where: str) -> Manifest:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise AdapterError(f"The manifest of “{printable(where)}” is damaged (not valid JSON).",
                           "Export the adapter again from LoRA Studio.") from exc
    return Manifest.from_dict(data)


def _plain_files(folder: Path) -> None:
    """An adapter's files are plain files, never links (a zip refuses them too): a link to /proc/self/pagemap
    would be hashed for ever, a pipe would block the first read. Every way in reads the manifest first."""
    for name in sorted(ALLOWED_FILES):
        try:
            mode = (folder / name).lstat().st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(mode):
            kind = "a link" if stat.S_ISLNK(mode) else "not a regular file"
            raise AdapterError(f"In the adapter “{printable(folder.name)}”, {name} is {kind}; it was not opened.",
                               "Copy the adapter's files themselves, or export it again.")


def read_manifest(source: str | Path) -> Manifest:
    """The manifest of an adapter folder or exported .zip, validated (the zip is not extracted)."""
    source = Path(source)
    name = printable(source.name)
    if source.is_dir():
        _plain_files(source)
        path = source / MANIFEST
        if not path.is_file():
            raise AdapterError(f"“{name}” has no manifest.json, so it is not a LoRA Studio adapter.",
                               "Choose a folder or .zip exported by LoRA Studio.")
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise AdapterError(f"The manifest of “{name}” is far too large to be genuine.")
        return parse_manifest(path.read_bytes(), source.name)
    if source.is_file():
        return parse_manifest(read_member(source, MANIFEST, MAX_MANIFEST_BYTES), source.name)
    raise AdapterError(f"“{printable(source)}” does not exist.", "Choose an adapter folder or .zip.")


def is_adapter_folder(folder: Path) -> bool:
    """True only for a folder whose manifest.json is a valid LoRA Studio manifest."""
    try:
        read_manifest(folder)
    except (AdapterError, OSError):
        return False
    return Path(folder).is_dir()


def manifest_for_training(base, result, weights_sha256: str, fingerprint: str, versions: dict,
                          created: str) -> Manifest:
    def split(report):
        if report is None:
            return None
        data = report.to_dict()
        data["mistakes"] = data["mistakes"][:50]  # keep the manifest small; enough to show
        return SplitScores(report.accuracy, report.macro_f1, report.examples, data)

    multi = getattr(result, "thresholds", None) is not None
    pooling = getattr(result, "pooling", "cls")
    return Manifest(
        format_version=POOLING_VERSION if pooling != "cls" else 1, pooling=pooling,
        estimate=getattr(result, "estimate", None) or ScoreEstimate(examples=result.validation.examples
                                                                     if result.validation else 0),
        labels=tuple(result.labels), max_length=result.max_length,
        task=MULTI_LABEL if multi else SINGLE_LABEL, thresholds=tuple(result.thresholds) if multi else None,
        base_model=BaseModelRef(base.ref, base.kind, base.model_type, base.display_name, fingerprint),
        truncation={"strategy": "head+tail", "head_share": HEAD_SHARE},
        config=_settings_as_run(result.config),
        validation=split(result.validation), test=split(result.test),
        training={"status": result.status, "steps": result.steps, "epochs": result.epochs,
                  "seconds": round(result.train_seconds, 2), "device": result.device, "history": result.history,
                  **({"dataset": result.dataset} if getattr(result, "dataset", "") else {}),
                  **({"examples": result.train_examples} if getattr(result, "train_examples", 0) else {}),
                  **({"kept_epoch": result.kept_epoch} if getattr(result, "kept_epoch", None) is not None else {}),
                  **({"stopped_at_epoch": result.stopped_at_epoch}
                     if getattr(result, "stopped_at_epoch", None) is not None else {}),
                  **({"note": result.note} if getattr(result, "note", "") else {}),
                  **({"label_counts": dict(result.label_counts)} if getattr(result, "label_counts", None) else {}),
                  **_how_set(result), **_scale(result)},
        versions=versions, created=created, files={WEIGHTS: weights_sha256})


# What a run records of each setting LoRA Studio may adjust: chosen for the data ("automatic"), taken as
# given ("exact"), or the small-data path's own fixed value ("small-data"; max length is chosen there too).
SETTING_SOURCES = {"epochs": ("automatic", "exact", "small-data"), "learning_rate": ("automatic", "exact", "small-data"),
                   "max_length": ("automatic", "exact")}


def _how_set(result) -> dict:
    config = getattr(result, "config", None)
    if config is None:
        return {}
    small = bool(getattr(getattr(result, "estimate", None), "cross_validated", False))
    chosen = {name: "small-data" if small else "automatic" if name in config.automatic else "exact"
              for name in ("epochs", "learning_rate")}
    return {"settings": {**chosen, "max_length": "automatic" if config.max_length is None else "exact"}}


def run_config(manifest):
    """The run's settings read back as a TrainConfig (history, compare, training again with them), each adjustable
    setting as the run chose it. The file says version 1 (so older versions read it), and TrainConfig.from_dict
    reads a version-1 number equal to the preset's as automatic: the training record's `settings` decides
    instead, so an exact value stays exact (the preset's own included) and an automatic one (or the small-data
    path's) is automatic again. None when the manifest holds no settings; older manifests, without `settings`,
    read as version 1 always did."""
    from dataclasses import replace

    saved = manifest.config
    if not saved:
        return None
    config = TrainConfig.from_dict(saved)
    chosen = (manifest.training or {}).get("settings") or {}
    changes = {name: saved.get(name) if how == "exact" else None for name, how in chosen.items()}
    return replace(config, **changes).validate() if changes else config


def _settings_as_run(config) -> dict | None:
    """The settings the run trained with. Every number is filled in by then, so the file says version 1, which
    an older LoRA Studio reads (it opens the adapter); `settings` in the training record says which were chosen."""
    if config is None:
        return None
    data = config.to_dict()
    if data["epochs"] is not None and data["learning_rate"] is not None:
        data["config_version"] = 1
    return data


def _scale(result) -> dict:
    """How the run was spread: processes, the batch per process and per update, each process's examples."""
    world = getattr(result, "world_size", 1) or 1
    out = {"world_size": world}
    if getattr(result, "per_device_batch", 0):
        out.update(per_device_batch=result.per_device_batch, effective_batch=result.effective_batch)
    if getattr(result, "examples_per_rank", None):
        out["examples_per_rank"] = list(result.examples_per_rank)
    return out
