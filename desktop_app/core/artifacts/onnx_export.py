"""ONNX: a folder anyone can deploy with ONNX Runtime, and the faster CPU backend for prediction.

The classifier's merged fp32 model is exported with dynamic batch and sequence axes, then checked:
ONNX Runtime must give the PyTorch model's probabilities on probe texts (one padded batch, each text
alone, a text cut to the full max length) or the export is refused and nothing is written.
The exporter is torch's TorchScript one (`dynamo=False`, deprecated since torch 2.9 but present in
every torch this project allows): it needs `onnx` alone and exports MiniLM and checks it in 1.4-1.9 s,
which the window pays on every adapter load; the dynamo exporter took 6.8-8.7 s and needs onnxscript
and networkx too, for the same probabilities and no clear speed-up (docs/BENCHMARKS.md, bench_onnx.py --dynamo).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .adapters import library_versions
from ..disk.atomic import atomic_directory, remove_unfinished
from ..disk.destinations import check_destination, exclusive
from ..disk.ownership import Owned
from ..model.devices import physical_cores
from ..base.errors import ExportError
from ..model.model_outputs import predict_probabilities
from ..base.sanitize import brief
from .sharing import shared_base, shared_manifest
from ..model.text import HEAD_SHARE
from . import model_card

ONNX_FILE = "model.onnx"
INFO_FILE = "lora_studio_onnx.json"  # what a deployer needs: labels, max length, how texts are cut
FORMAT = "lora-studio-onnx"
OPSET = 17  # the first opset with LayerNormalization, which ONNX Runtime runs fused
INPUTS = ("input_ids", "attention_mask")
MAX_INFO_BYTES = 1024**2
# Probabilities may differ by this much. fp32 kernels that add in another order (fused attention and
# LayerNorm, other GEMM blocking) move them by ~1e-6 on MiniLM (measured: 2.4e-7 on the probes, 1.3e-6
# over 973 review snippets); an export mistake (a lost attention mask, dropout left on, a shape baked
# into the graph, a changed head) moves them by 1e-3 or more. 1e-4 is also what the self-test allows
# for a reloaded adapter.
TOLERANCE = 1e-4
PROBES = ("", "Great.", "The film was wonderful, and the acting was superb.",
          "A dull, overlong plot; I would not watch it again.",
          "Très bien ! 映画は素晴らしかった 👍",
          "Not bad at all, though the second half drags a little before a fine, quiet ending.",
          "An honest review that goes on and on, longer than the model reads. " * 80)


# ---------------------------------------------------------------- export
def _fp32_copy(model):
    """A copy to export, fp32, eval; the classifier keeps its own. A Classifier's model already has the
    LoRA weights merged in (inference._build_model, Classifier.from_training): plain layers export plainly."""
    import copy

    return copy.deepcopy(model).float().eval()


def export_bytes(model, encoder) -> bytes:
    """The ONNX graph of `model` (input_ids, attention_mask -> logits) as bytes."""
    import inspect
    import io
    import warnings

    import torch

    class Logits(torch.nn.Module):  # the graph returns one tensor, not a transformers output object
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    # Traced on a padded batch of two lengths, so the mask and both axes are live in the graph.
    example = encoder.collate(encoder.encode(PROBES[2:4]))
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"}}
    # torch 2.9+ defaults to the dynamo exporter; before 2.5 there was no choice to make
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():  # deprecation and tracer notices are for developers; parity is checked
            warnings.simplefilter("ignore")
            torch.onnx.export(Logits(_fp32_copy(model)).eval(), (example["input_ids"], example["attention_mask"]),
                              buffer, input_names=list(INPUTS), output_names=["logits"], dynamic_axes=axes,
                              opset_version=OPSET, do_constant_folding=True, **legacy)
    except Exception as exc:  # noqa: BLE001 - an operator or model the exporter cannot translate
        raise ExportError("This model cannot be exported to ONNX.", f"The exporter said: {brief(exc, 200)}") from exc
    return buffer.getvalue()


# ---------------------------------------------------------------- running
def open_session(model: bytes | Path, threads: int | None = None):
    """An ONNX Runtime CPU session: all graph optimisations, one intra-op thread per physical core."""
    import os

    # ONNX Runtime's telemetry writes a session file (.ses) into the temp folder as the library loads, and only
    # this variable, read then, stops it; it concerns that library alone (and we send nothing anywhere)
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or physical_cores()  # hyperthreads slow GEMMs, as in torch
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Threads sleep between calls instead of spinning: spinning bought nothing measurable (bench_onnx.py
    # --spin, p50 8.75/8.00 ms with it, 9.73/7.68 ms without) and keeps a core busy that other programs,
    # or training in the same window, could use.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # errors only: no advisories on the user's terminal
    return ort.InferenceSession(model if isinstance(model, bytes) else str(model), options,
                                providers=["CPUExecutionProvider"])


def onnx_probabilities(session, encoder, texts: Sequence[str], batch_size: int = 64,
                       sigmoid: bool = False) -> np.ndarray:
    """inference.predict_probabilities through ONNX Runtime: the same encoding, sorting and batches
    (sigmoid: a multi-label model's probability per label)."""
    ids = encoder.encode(list(texts)) if texts else []
    out = np.zeros((len(ids), session.get_outputs()[0].shape[-1]), dtype=np.float32)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        batch = encoder.collate([ids[i] for i in chunk])
        logits = session.run(["logits"], {k: batch[k].numpy() for k in INPUTS})[0].astype(np.float32)
        if sigmoid:
            out[chunk] = 1 / (1 + np.exp(-logits))
            continue
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        out[chunk] = shifted / shifted.sum(axis=-1, keepdims=True)
    return out


def parity_gap(classifier, session) -> float:
    """The largest probability difference between PyTorch and ONNX Runtime on the probes, batched and alone."""
    gaps = []
    for batch_size in (len(PROBES), 1):
        torch_probs = predict_probabilities(classifier.model, classifier.encoder, PROBES, batch_size)
        onnx_probs = onnx_probabilities(session, classifier.encoder, PROBES, batch_size, classifier.multi_label)
        gaps.append(np.abs(torch_probs - onnx_probs).max())
    return float(np.max(gaps))  # NaN when any probability is NaN (Python's max() would drop it)


@dataclass(frozen=True)
class CheckedModel:
    data: bytes
    session: object
    gap: float


def checked_model(classifier) -> CheckedModel:
    """Export the classifier and prove the export predicts what PyTorch predicts, or raise ExportError."""
    if getattr(classifier, "int8", False):
        raise ExportError("An int8 (quantised) model cannot be exported: its probabilities are approximate.",
                          "Load the adapter without int8 and export again.")
    data = export_bytes(classifier.model, classifier.encoder)
    session = open_session(data)
    gap = parity_gap(classifier, session)
    if not gap <= TOLERANCE:  # also refuses NaN
        raise ExportError(f"The ONNX model's probabilities differ from the original's by up to {gap:.2g} "
                          f"(allowed: {TOLERANCE:g}), so it was not saved.",
                          "This model does not export faithfully; keep using the adapter itself.")
    return CheckedModel(data, session, gap)


# ---------------------------------------------------------------- the deployable folder
@dataclass(frozen=True)
class OnnxExport:
    folder: Path
    gap: float
    megabytes: float


def export_onnx(classifier, dest: str | Path) -> OnnxExport:
    """Write model.onnx, the tokenizer's files, the info JSON and a README to `dest`, after the parity
    check. `dest` may be new, an empty folder or an earlier ONNX export of ours."""
    dest = check_destination(dest, ONNX_EXPORT, need_bytes=2 * _parameter_bytes(classifier.model))
    with exclusive(dest):
        remove_unfinished(dest)  # a killed export's half folder (ours by its signed name)
        checked = checked_model(classifier)
        with atomic_directory(dest, replace=True) as tmp:
            (tmp / ONNX_FILE).write_bytes(checked.data)
            classifier.encoder.tokenizer.save_pretrained(str(tmp))
            stray = [p.name for p in tmp.iterdir() if not p.is_file()]
            if stray:  # a tokenizer that writes folders is not one we can list and replace safely
                raise ExportError(f"The tokenizer wrote folders ({', '.join(stray)}) beside the model.")
            (tmp / "README.md").write_text(_readme(classifier), encoding="utf-8")
            files = sorted([p.name for p in tmp.iterdir()] + [INFO_FILE])
            (tmp / INFO_FILE).write_text(json.dumps(_info(classifier, checked.gap, files), indent=2,
                                                    ensure_ascii=False), encoding="utf-8")
    return OnnxExport(dest, checked.gap, len(checked.data) / 1024**2)


def _parameter_bytes(model) -> int:
    return sum(p.numel() * 4 for p in model.parameters())


def _info(classifier, gap: float, files: list[str]) -> dict:
    from datetime import datetime, timezone
    from importlib.metadata import version

    enc, manifest = classifier.encoder, classifier.manifest
    return {"format": FORMAT, "format_version": 1, "model": ONNX_FILE, "labels": list(classifier.labels),
            "max_length": enc.max_length, "inputs": list(INPUTS), "output": "logits", "opset": OPSET,
            "truncation": {"strategy": "head+tail", "head_share": HEAD_SHARE, "prefix_ids": enc.prefix,
                           "suffix_ids": enc.suffix, "pad_id": enc.pad_id},
            "base_model": _shared(manifest).name if manifest else None,  # a hub id or folder name, never a path
            "task": "multi_label" if classifier.multi_label else "text-classification",
            **({"thresholds": list(classifier.cut_points())} if classifier.multi_label else {}),
            "parity": {"max_probability_difference": gap, "tolerance": TOLERANCE, "texts": len(PROBES)},
            "versions": {**library_versions(), "onnx": version("onnx"), "onnxruntime": version("onnxruntime")},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": files}


def _shared(manifest):
    return shared_base(manifest.base_model)


def _readme(classifier) -> str:
    """The adapter's model card (model_card.py, nothing of the user's data) with the ONNX Runtime lines as its
    How to use; only these lines for a model without a manifest."""
    usage = _usage(classifier)
    if classifier.manifest is None:
        return "# ONNX export of a LoRA Studio classifier\n" + usage
    base = _shared(classifier.manifest)
    return model_card.model_card(shared_manifest(classifier.manifest, base), base.name, base_license=base.license,
                      base_note=base.note, onnx_usage=usage, languages=base.languages)


def _usage(classifier) -> str:
    labels = ", ".join(classifier.labels)
    if classifier.multi_label:
        cuts = ", ".join(f"{t:g}" for t in classifier.cut_points())
        activation = ("probabilities = 1 / (1 + np.exp(-logits))  # one per label; a label is chosen when its "
                      f"probability reaches its threshold: {cuts}")
    else:
        activation = "probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)"
    return f"""
## How to use

This folder is the base model with the adapter merged in, as one ONNX model, with its tokenizer. Classes, in output
order: {labels}. Texts longer than {classifier.encoder.max_length} tokens: LoRA Studio keeps their start (a quarter)
and their end; `{INFO_FILE}` has the details.

```python
import numpy as np, onnxruntime as ort
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(".")
session = ort.InferenceSession("{ONNX_FILE}", providers=["CPUExecutionProvider"])
batch = tokenizer(["a text to classify"], truncation=True, max_length={classifier.encoder.max_length},
                  padding=True, return_tensors="np")
logits = session.run(["logits"], {{"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}})[0]
{activation}
```
"""


def is_onnx_export(folder: Path) -> bool:
    """True only for a folder that holds an ONNX export of ours and nothing else (what it may replace)."""
    info = Path(folder) / INFO_FILE
    try:
        if info.stat().st_size > MAX_INFO_BYTES:
            return False
        data = json.loads(info.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return False
    listed = data.get("files") if isinstance(data, dict) and data.get("format") == FORMAT else None
    if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
        return False
    return all(e.name in listed and e.is_file() and not e.is_symlink() for e in Path(folder).iterdir())


ONNX_EXPORT = Owned("onnx", "ONNX export folder", is_onnx_export, empty_folder=True)
