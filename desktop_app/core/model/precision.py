"""Mixed precision chosen by measurement on the user's machine, not from CPU flags.

On CUDA the capability decides (bf16 where supported, else fp16). On a CPU a few real training steps in
fp32 and in bf16 on the user's batch shape decide, and the answer is remembered per machine, library
versions, model shape and batch shape (a small JSON file in the user's cache folder), so the cost is
paid once. Measured on an AMD EPYC with AVX512-BF16 (docs/BENCHMARKS.md): bf16 autocast with PyTorch's
SDPA attention was only 1.08x faster than fp32, because SDPA's CPU backward in bf16 is slow; with the
eager attention it was 1.9x faster. So bf16 on a CPU always runs with eager attention.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..base.app_folders import app_folder
from ..disk.atomic import atomic_write_text

log = logging.getLogger(__name__)

CHOICES = ("auto", "fp32", "bf16", "fp16")
MARGIN = 0.9         # bf16 must save at least 10%: below that, measurement noise decides and fp32 is exact
CACHE_FILE = "precision.json"
ENV_FORCE = "LORA_STUDIO_PRECISION"  # fp32/bf16: what "auto" resolves to (tests, reproducible benchmarks)
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Precision:
    name: str            # "fp32" | "bf16" | "fp16"
    reason: str          # in plain words, for the log
    attention: str | None = None   # the attention implementation to train with (None: the model's own)

    @property
    def autocast(self) -> bool:
        return self.name != "fp32"


def decide(timings: dict[str, float]) -> str:
    """The faster precision from measured seconds per step; fp32 unless bf16 is clearly faster."""
    fp32, bf16 = timings.get("fp32"), timings.get("bf16")
    if not fp32 or not bf16 or fp32 <= 0 or bf16 <= 0:
        return "fp32"
    return "bf16" if bf16 < fp32 * MARGIN else "fp32"


def explain(choice: str, timings: dict[str, float], remembered: bool) -> str:
    speed = timings["fp32"] / timings["bf16"]
    how = "measured earlier on this computer" if remembered else "measured just now"
    return f"{choice} ({how}: bf16 runs at {speed:.2f}x the speed of fp32 on this CPU)"


def cpu_precision(name: str) -> Precision:
    return Precision(name, f"{name} (chosen in the settings)", "eager" if name == "bf16" else None)


def resolve(setting: str, device, measure: Callable[[], dict[str, float]], key: str) -> Precision:
    """The precision a run uses. `measure` times fp32 and bf16 steps; it runs only when nothing is cached."""
    if device.kind == "cuda":
        if setting in ("bf16", "fp16", "fp32"):
            return Precision(setting, f"{setting} (chosen in the settings)")
        return Precision("bf16", "bf16 (this GPU supports it)") if device.bf16 \
            else Precision("fp16", "fp16 (this GPU has no bf16)")
    if device.kind != "cpu":  # Apple MPS: autocast support varies by release; fp32 is exact and safe
        return Precision("fp32", "fp32")
    if setting == "fp16":  # slow on every CPU and it needs loss scaling: never used there, and the log says so
        return Precision("fp32", "fp32 (fp16 is not available on a CPU, so fp32 runs instead)")
    forced = os.environ.get(ENV_FORCE, "")
    if setting == "auto" and forced in ("fp32", "bf16"):
        return Precision(forced, f"{forced} (set by {ENV_FORCE})", "eager" if forced == "bf16" else None)
    if setting != "auto":
        return cpu_precision(setting)
    timings, remembered = recall(key), True
    if timings is None:
        timings, remembered = measure(), False
        remember(key, timings)
    choice = decide(timings)
    return Precision(choice, explain(choice, timings, remembered), "eager" if choice == "bf16" else None)


# -- the measurement -------------------------------------------------------------------------------

def probe_batches(encoder, ids: Sequence[Sequence[int]], batch_size: int, device: str = "cpu",
                  labels_per_text: int = 0) -> list[dict]:
    """Two training batches of the user's own shape: the median and the 90th percentile of length (the
    length-grouped sampler trains on batches like these). labels_per_text > 0: multi-label targets."""
    import torch

    ordered = sorted(ids, key=len)
    batches = []
    for quantile in (0.5, 0.9):
        start = int(quantile * max(0, len(ordered) - batch_size))
        batch = encoder.collate(ordered[start:start + batch_size])
        rows = batch["input_ids"].shape[0]
        batch["labels"] = (torch.zeros(rows, labels_per_text) if labels_per_text
                           else torch.zeros(rows, dtype=torch.long))
        batches.append({k: v.to(device) for k, v in batch.items()})
    return batches


def measure_steps(model, batches: Sequence[dict], names: Sequence[str] = ("fp32", "bf16"), rounds: int = 2,
                  between: Callable[[], None] = lambda: None, clock=time.perf_counter) -> dict[str, float]:
    """Seconds per training step (forward + backward) for each precision, alternating so a busy moment
    hits all of them. No optimizer step: the weights, and the random state, are left as they were.
    `between` runs between steps (a cancel checkpoint)."""
    import torch

    rng = torch.random.get_rng_state()
    was_training = model.training
    model.train()
    best = {name: float("inf") for name in names}
    try:
        for name in names:  # warm-up: allocations and kernel choice
            _step(model, batches[0], name)
        for _ in range(rounds):
            for name in names:
                between()
                began = clock()
                for batch in batches:
                    _step(model, batch, name)
                best[name] = min(best[name], (clock() - began) / len(batches))
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
        torch.random.set_rng_state(rng)
    return best


def _step(model, batch: dict, name: str) -> None:
    import torch

    device = batch["input_ids"].device.type
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(name)
    with attention(model, "eager" if name == "bf16" and device == "cpu" else None), \
            torch.autocast(device, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
        out = model(**batch)
    out.loss.backward()


@contextmanager
def attention(model, implementation: str | None):
    """Run with another attention implementation, then restore the model's own."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    before = getattr(base.config, "_attn_implementation", None)
    switch = implementation is not None and before not in (None, implementation) \
        and hasattr(base, "set_attn_implementation")
    if switch:
        base.set_attn_implementation(implementation)
    try:
        yield
    finally:
        if switch:
            base.set_attn_implementation(before)


# -- the per-machine memory ----------------------------------------------------------------------

def cache_folder() -> Path:
    return app_folder("cache")


def machine_key(model, batch_size: int, max_length: int, threads: int) -> str:
    """What the measurement depends on: this CPU, the libraries, the model's shape, the batch shape."""
    import torch
    import transformers

    config = getattr(model, "config", None)
    # the LoRA weights, not the head: the estimate builds its model with two placeholder classes
    trainable = sum(p.numel() for name, p in model.named_parameters() if "lora_" in name)
    parts = [platform.machine(), platform.processor(), _cpu_model(), torch.backends.cpu.get_cpu_capability(),
             torch.__version__, transformers.__version__, str(threads),
             str(getattr(config, "model_type", "")), str(getattr(config, "hidden_size", "")),
             str(getattr(config, "num_hidden_layers", "")), str(trainable),
             str(batch_size), str(-(-max_length // 32) * 32)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _read() -> dict:
    """The remembered timings; anything malformed (a hand-edited or damaged file) is ignored."""
    try:
        data = json.loads((cache_folder() / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and _valid(v)}


def _valid(entry) -> bool:
    return isinstance(entry, dict) and all(
        isinstance(entry.get(name), (int, float)) and not isinstance(entry.get(name), bool)
        and 0 < entry[name] < 3600 for name in ("fp32", "bf16"))


def recall(key: str) -> dict[str, float] | None:
    entry = _read().get(key)
    return {"fp32": float(entry["fp32"]), "bf16": float(entry["bf16"])} if entry else None


def remember(key: str, timings: dict[str, float]) -> None:
    """Best effort: a read-only cache folder costs a measurement next time, never a failed run."""
    entries = _read()
    entries[key] = {"fp32": timings["fp32"], "bf16": timings["bf16"], "measured": time.strftime("%Y-%m-%d")}
    entries = dict(list(entries.items())[-MAX_ENTRIES:])
    try:
        atomic_write_text(cache_folder() / CACHE_FILE, json.dumps(entries, indent=1))
    except OSError as exc:
        log.info("Could not remember the precision measurement: %s", exc)
