"""Classify new text with a trained adapter: batched, sorted by length, no gradients."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..artifacts.adapters import open_adapter
from ..base.errors import AdapterError, ExportError
from ..artifacts.known_bases import base_for
from ..base.logs import log
from ..artifacts.manifest import MULTI_LABEL, read_manifest
from ..model.model_outputs import multi_label_model, predict_probabilities  # noqa: F401 - also imported from here
from ..model.base_models import load_tokenizer, model_token_limit
from ..artifacts.onnx_export import checked_model, onnx_probabilities
from ..model.pooling import MEAN, MEAN_POOLING_TYPES
from ..base.sanitize import brief, printable
from ..model.text import TextEncoder
from ..model import base_models

HEAD_SUFFIXES = ("classifier.weight", "classifier.out_proj.weight", "score.weight")


@dataclass(frozen=True)
class Prediction:
    label: str                       # multi-label: the chosen labels joined by ";" ("" when none)
    confidence: float                # multi-label: how sure the least sure label decision is
    probabilities: dict[str, float]  # multi-label: each label's own probability (they do not sum to 1)
    labels: tuple[str, ...] | None = None  # multi-label only: the chosen labels, in the model's label order


def _build_model(files, base_model: str | None):
    """The base model with the verified adapter merged in, and its encoder. Every check that can be made
    before a tensor is allocated is made first: base fingerprint, label count, layer names, shapes."""
    from peft import PeftModel
    from peft.utils import get_peft_model_state_dict
    from safetensors import safe_open

    manifest, labels = files.manifest, files.manifest.labels
    try:
        with safe_open(str(files.weights), framework="pt") as fh:  # reads the header only
            shapes = {key: tuple(fh.get_slice(key).get_shape()) for key in fh.keys()}
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged file
        raise AdapterError("The adapter's weights file is damaged and cannot be read.",
                           "Copy or export the adapter again.") from exc
    head = next((s[0] for k, s in shapes.items() if k.endswith(HEAD_SUFFIXES) and len(s) == 2), None)
    if head is not None and head != len(labels):
        raise AdapterError(f"The adapter's classifier has {head} outputs but its manifest names {len(labels)} "
                           "classes.", "The adapter is inconsistent; export it again.")
    ranks = {s[0] for k, s in shapes.items() if ".lora_A." in k and len(s) == 2}
    if ranks - {files.config.r}:
        raise AdapterError("The adapter's weights do not match its adapter_config.json (LoRA rank differs).",
                           "The adapter is inconsistent; export it again.")
    base = base_for(manifest.base_model, base_model)
    if manifest.pooling == MEAN and base.model_type not in MEAN_POOLING_TYPES:
        raise AdapterError(f"The adapter asks for mean pooling, which a “{printable(base.model_type)}” model "
                           "cannot take here.", "The adapter is inconsistent; export it again.")
    model = base_models.load_classifier(base, labels, multi_label=manifest.task == MULTI_LABEL, pooling=manifest.pooling)
    files.config.check_fits(model)
    tokenizer = load_tokenizer(base)
    limit = model_token_limit(model, tokenizer)
    if manifest.max_length > limit:
        raise AdapterError(f"The adapter's manifest asks for texts of {manifest.max_length} tokens, but its base "
                           f"model takes at most {limit}.", "The adapter is inconsistent; export it again.")
    try:
        model = PeftModel.from_pretrained(model, str(files.folder), is_trainable=False)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise AdapterError("The adapter does not fit its base model (layer names or sizes differ).",
                           f"It was probably made for another model. ({brief(exc, 160)})") from exc
    # save_embedding_layers=False: "auto" looks the adapter's base_model_name_or_path up on the hub (a shared
    # adapter names any repo there); we compare layer shapes, which the embeddings are never part of
    expected = {k: tuple(v.shape) for k, v in get_peft_model_state_dict(model, save_embedding_layers=False).items()}
    if expected != shapes:
        missing = sorted(set(expected) - set(shapes))[:3]
        raise AdapterError("The adapter does not fit its base model: "
                           + (f"layers missing ({', '.join(missing)})" if missing else "tensor sizes differ") + ".",
                           "It was probably made for another model or another LoRA configuration.")
    model = model.merge_and_unload()  # plain weights again: inference as fast as the base model
    model.eval()
    return model, TextEncoder(tokenizer, manifest.max_length)


def quantize_for_cpu(model):
    """Dynamic int8 quantisation of every nn.Linear (weights int8, activations quantised on the fly)."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch points eager quantisation users to torchao; it still works
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


class Classifier:
    """A loaded adapter ready to predict. Use Classifier.load(path)."""

    def __init__(self, model, encoder, labels: tuple[str, ...], manifest, path: Path | None = None) -> None:
        self.model, self.encoder, self.labels, self.manifest, self.path = model, encoder, labels, manifest, path
        # one thread at a time in the PyTorch model: an explanation hooks its embedding block (Captum), and a
        # forward from another runner (the window's live and tasks runners) would pass through that hook
        self.lock = threading.RLock()
        self.int8 = False
        # the manifest says what the adapter is (validated against its settings); a model just trained says it
        self.multi_label = manifest.task == "multi_label" if manifest is not None else multi_label_model(model)
        # multi-label: a label is chosen when its probability reaches its threshold (tuned on validation)
        self.thresholds = list(manifest.thresholds) if manifest is not None and manifest.thresholds else None
        self.onnx = None  # an ONNX Runtime session once use_onnx() has checked it; predictions then go there

    @classmethod
    def load(cls, adapter: str | Path, base_model: str | None = None, int8: bool = False,
             backend: str = "torch") -> "Classifier":
        """Load and verify an adapter folder or exported .zip (adapters.py checks the files, this the model).

        int8=True quantises the linear layers for CPU inference: about 2x faster single-text
        predictions, with probabilities that differ slightly from the exact fp32 model.
        backend: see set_backend.
        """
        with open_adapter(adapter) as files:
            classifier = cls(*_build_model(files, base_model), files.manifest.labels, files.manifest, Path(adapter))
        classifier.model.requires_grad_(False)  # see from_training
        if int8:
            classifier.model, classifier.int8 = quantize_for_cpu(classifier.model), True
        classifier.set_backend(backend)
        return classifier

    @classmethod
    def from_training(cls, result, backend: str = "torch") -> "Classifier":
        """The model a training run just made, ready to predict: a merged copy, so the run's own model
        (and its saved adapter) stay as they are. Predicts what the saved adapter reloads to."""
        import copy

        model = copy.deepcopy(result.model).merge_and_unload().eval()
        # a model to predict with never trains: no weight needs a gradient (explanations take theirs at the
        # embeddings' output), and nothing is switched per call from two runner threads at once
        model.requires_grad_(False)
        manifest = read_manifest(result.adapter_dir) if result.adapter_dir else None
        classifier = cls(model, result.encoder, tuple(result.labels), manifest, result.adapter_dir)
        classifier.thresholds = result.thresholds
        classifier.set_backend(backend)
        return classifier

    def set_backend(self, backend: str) -> None:
        """"torch" (the default: nothing to prepare), "onnx" (use_onnx; ExportError if the model does not
        export faithfully) or "auto" (onnx where it does, else torch, logged): ONNX Runtime predicts a
        single text ~2x faster on CPU with the same probabilities (docs/BENCHMARKS.md, bench_onnx.py),
        but preparing it costs ~2 s (MiniLM, 2 cores), so one-off predictions (the CLI) stay on torch."""
        if backend == "torch":
            return
        try:
            self.use_onnx()
        except ExportError as exc:
            if backend == "onnx":
                raise
            log.warning("Predicting with PyTorch: %s", exc)

    def use_onnx(self) -> float:
        """Predict through ONNX Runtime from now on: the model is exported in memory (~2 s for MiniLM)
        and must pass onnx_export's parity check first (ExportError otherwise, and nothing changes).
        The PyTorch model stays (exports start from it). Returns the largest probability gap seen."""
        with self.lock:
            checked = checked_model(self)
        self.onnx = checked.session
        return checked.gap

    def predict_proba(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        texts = [str(t) for t in texts]
        if self.onnx is not None:
            return onnx_probabilities(self.onnx, self.encoder, texts, batch_size, self.multi_label)
        with self.lock:
            return predict_probabilities(self.model, self.encoder, texts, batch_size)

    def predict(self, texts: Sequence[str] | str, batch_size: int = 64,
                thresholds: Sequence[float] | None = None) -> list[Prediction]:
        """One Prediction per text. Multi-label: the label set (`labels`) whose probabilities reach the
        thresholds (the adapter's, or `thresholds` given here, one per label)."""
        if isinstance(texts, str):
            texts = [texts]
        probs = self.predict_proba(texts, batch_size)
        if not self.multi_label:
            return [Prediction(self.labels[int(row.argmax())], float(row.max()),
                               {name: float(p) for name, p in zip(self.labels, row)}) for row in probs]
        return [self.label_set(row, thresholds) for row in probs]

    def cut_points(self, thresholds: Sequence[float] | None = None) -> np.ndarray:
        chosen = thresholds if thresholds is not None else self.thresholds
        return np.full(len(self.labels), 0.5) if chosen is None else np.asarray(chosen, dtype=float)

    def label_set(self, row: np.ndarray, thresholds: Sequence[float] | None = None) -> Prediction:
        cut = self.cut_points(thresholds)
        chosen = [j for j in range(len(row)) if row[j] >= cut[j]]
        sure = np.where(row >= cut, row, 1 - row)
        names = tuple(self.labels[j] for j in chosen)
        return Prediction(";".join(names), float(sure.min()) if len(sure) else 1.0,
                          {name: float(p) for name, p in zip(self.labels, row)}, names)


def predict_frame(classifier: Classifier, frame, column: str, on_progress=None, cancel=None,
                  chunk: int = 512):
    """The table plus predicted_label, confidence and prob_<label> columns (batch panel, predict_file);
    multi-label: predicted_labels (joined by ";", empty when none) and prob_<label> columns. Columns of those
    names already in the table (an earlier predictions file) are replaced, not repeated.

    Cells stay as the user wrote them, for display; save the result with predict_file.write_frame_csv,
    which neutralises formulas. Reports (done, total) through on_progress; returns None if `cancel` is set.
    """
    import pandas as pd

    texts = ["" if v is None else str(v) for v in frame[column].tolist()]
    probs = np.zeros((len(texts), len(classifier.labels)), dtype=np.float32)
    for start in range(0, len(texts), chunk):
        if cancel is not None and cancel.cancelled:
            return None
        probs[start:start + chunk] = classifier.predict_proba(texts[start:start + chunk])
        if on_progress:
            on_progress(min(len(texts), start + chunk), len(texts))
    if getattr(classifier, "multi_label", False):
        extra = {"predicted_labels": [classifier.label_set(row).label for row in probs]}
    else:
        extra = {"predicted_label": [classifier.labels[int(i)] for i in probs.argmax(axis=1)] if len(texts) else [],
                 "confidence": probs.max(axis=1).astype(float).round(4) if len(texts) else []}
    for j, name in enumerate(classifier.labels):
        extra[f"prob_{name}"] = probs[:, j].astype(float).round(4)
    # a predictions file fed back in: the new columns replace its columns of the same names (each once)
    out = frame.drop(columns=[c for c in frame.columns if c in extra]).reset_index(drop=True)
    out = pd.concat([out, pd.DataFrame(extra)], axis=1)
    out.attrs[PREDICTED] = next(iter(extra))  # which column holds the predictions (an old file may hold the other)
    return out


PREDICTED = "lora_studio_predicted"  # DataFrame.attrs key: "predicted_label" or "predicted_labels"
