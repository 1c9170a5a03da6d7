"""Outputs of the frozen lower layers, computed once instead of every epoch.

With the bottom layers frozen (LoRA adapts only the top share) and dropout off, the hidden state that
enters the first adapted layer is a pure function of the text. During the first epoch it is stored per
training example (fp16, real tokens only); from then on a training batch skips the embeddings and the
frozen layers and starts at the first adapted layer. The model's structure is untouched: forwards are
swapped on the instances while training and restored after, so the saved adapter is the same.

Before the cache is used it is checked: one batch is run both ways and must give the same logits, so
an architecture whose encoder does more between layers than we assume falls back to recomputing.
Evaluation always runs the whole model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

INDEX_KEY = "example_index"   # the batch key that names each row's training example
STORE_DTYPE = "float16"       # halves the memory; hidden states are LayerNorm outputs, far inside its range
FP16_MAX = 60000.0
# The check compares the last layer's hidden states of real tokens: the relative gap must stay below
# this. fp16 storage moves them by ~1e-3; a wrong replay (a layer skipped, run twice, or a projection
# between the embeddings and the layers) by tens of percent.
TOLERANCE = 0.01


@dataclass
class Plan:
    """What the cache would do for this model and data, or why it is off."""
    frozen: int = 0          # frozen layers it skips (the lowest ones)
    bytes: int = 0           # memory it needs
    reason: str = ""         # why it is off, in plain words; "" when it is on

    @property
    def active(self) -> bool:
        return not self.reason


def plan(model, token_counts: Sequence[int], epochs: float, budget_mb: int, device: str = "cpu",
         processes: int = 1) -> Plan:
    """Decide before training: a CPU, one process, frozen lower layers, dropout off, within the budget?"""
    if budget_mb <= 0:
        return Plan(reason="turned off in the settings")
    if processes > 1:  # the cache is filled in epoch 1 with the examples this process saw then
        return Plan(reason="several processes share the examples, and each sees other ones every epoch")
    if device != "cpu":  # measured on an H200: 12.0 s with the cache, 9.1 s without (docs/BENCHMARKS.md)
        return Plan(reason="on a GPU they cost less to recompute than to fetch")
    if epochs <= 1:
        return Plan(reason="one epoch only: there is no later epoch to speed up")
    found = _find(model)
    if isinstance(found, str):
        return Plan(reason=found)
    embeddings, layers = found
    frozen = _frozen_prefix(embeddings, layers)
    if frozen == 0:
        return Plan(reason="every layer is adapted, none is frozen")
    if _has_dropout([embeddings, *layers[:frozen]]):
        return Plan(frozen, reason="the frozen layers use dropout, so their outputs change every epoch")
    hidden = _hidden_size(model)
    need = sum(token_counts) * hidden * 2 + 200 * len(token_counts)  # fp16 values + per-tensor overhead
    if need > budget_mb * 1024**2:
        return Plan(frozen, need, f"it would need {need / 1024**2:,.0f} MB, above the {budget_mb:,} MB budget")
    return Plan(frozen, need)


def describe(p: Plan, budget_mb: int) -> str:
    if p.active:
        layers = f"{p.frozen} frozen layers run" if p.frozen != 1 else "frozen layer runs"
        return (f"The {layers} once: their outputs are kept after the first epoch "
                f"({max(1, round(p.bytes / 1024**2)):,} MB of the {budget_mb:,} MB budget).")
    return f"Frozen layers are recomputed every epoch: {p.reason}."


class FrozenPrefixCache:
    """Attach to a PeftModel for one training run: capture in epoch 1, replay after, detach at the end."""

    def __init__(self, model, frozen: int) -> None:
        found = _find(model)
        assert not isinstance(found, str), found
        self.model, (self.embeddings, layers) = model, found
        self.frozen_layers = list(layers[:frozen])
        self.store: dict[int, object] = {}
        self.usable = True           # False once the check failed or storage overflowed
        self.checked = False
        self.sample: dict | None = None  # one training batch, kept for the check
        self._mode = "full"          # "full" | "capture" | "replay", decided per forward
        self._batch: tuple | None = None  # (indices, attention mask) of the forward in flight
        self._out_format: tuple | None = None
        self._dtype = None
        self._handles: list = []
        self._patched: list = []

    # -- attaching --------------------------------------------------------------------------------
    def attach(self) -> "FrozenPrefixCache":
        self._handles.append(self.model.register_forward_pre_hook(self._before, with_kwargs=True))
        self._handles.append(self.frozen_layers[-1].register_forward_hook(self._capture))
        self._patch(self.embeddings, self._embeddings_forward)
        for layer in self.frozen_layers:
            self._patch(layer, self._layer_forward(layer))
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        for module, had, own in self._patched:
            if had:
                module.forward = own
            else:
                module.__dict__.pop("forward", None)
        self._handles, self._patched, self.store, self.sample = [], [], {}, None

    def _patch(self, module, replacement: Callable) -> None:
        had = "forward" in module.__dict__
        self._patched.append((module, had, module.__dict__.get("forward")))
        original = module.forward
        module.forward = lambda *a, **k: replacement(original, *a, **k)

    # -- per forward ------------------------------------------------------------------------------
    def _before(self, module, args, kwargs):
        indices = kwargs.pop(INDEX_KEY, None)
        self._batch, self._mode = None, "full"
        if indices is None or not module.training or not self.usable:
            return args, kwargs
        mask = kwargs.get("attention_mask")
        if mask is None:
            self.usable = False
            return args, kwargs
        ids = indices.tolist()
        self._batch = (ids, mask)
        if self.checked and all(i in self.store for i in ids):
            self._mode = "replay"
        elif not self.checked:
            self._mode = "capture"
            if self.sample is None:
                self.sample = {k: v for k, v in kwargs.items() if k in ("input_ids", "attention_mask",
                                                                          "token_type_ids")}
                self.sample[INDEX_KEY] = indices
        return args, kwargs

    def _capture(self, module, args, output) -> None:
        if self._mode != "capture" or self._batch is None:
            return
        hidden = output[0] if isinstance(output, tuple) else output
        self._out_format = ("tuple", len(output)) if isinstance(output, tuple) else ("tensor", 0)
        self._dtype = hidden.dtype
        if hidden.detach().abs().max().item() > FP16_MAX:
            self.usable = False  # would overflow fp16; recompute rather than store wrong values
            return
        ids, mask = self._batch
        # one copy off the device per batch (per row, a GPU would wait on 32 small copies)
        values = hidden.detach().to("cpu", dtype=_torch().float16)
        keep = mask.bool().cpu()
        for row, index in enumerate(ids):
            self.store[index] = values[row][keep[row]].clone()

    def _embeddings_forward(self, original, *args, **kwargs):
        if self._mode != "replay":
            return original(*args, **kwargs)
        ids, mask = self._batch
        torch = _torch()
        rows = [self.store[i] for i in ids]
        with torch.autocast(mask.device.type, enabled=False):  # autocast's cat refuses fp16 on a CPU
            values = torch.cat(rows).to(mask.device, dtype=self._dtype)
            out = torch.zeros(*mask.shape, values.shape[-1], dtype=self._dtype, device=mask.device)
            out[mask.bool()] = values
        return out

    def _layer_forward(self, layer):
        def forward(original, *args, **kwargs):
            if self._mode != "replay":
                return original(*args, **kwargs)
            hidden = args[0] if args else kwargs["hidden_states"]
            kind, size = self._out_format
            return hidden if kind == "tensor" else (hidden,) + (None,) * (size - 1)
        return forward

    # -- the check, once the first epoch has been seen -----------------------------------------------
    def check(self) -> str:
        """Run the kept batch both ways; use the cache only if they agree. Returns a line for the log."""
        torch = _torch()
        self.checked = True
        if not self.usable or self.sample is None or not all(int(i) in self.store for i in self.sample[INDEX_KEY]):
            self.usable = False
            return "The frozen-layer cache could not be filled; frozen layers are recomputed every epoch."
        was = self.model.training
        self.model.train()  # the replay path runs in training mode only
        inputs = {k: v for k, v in self.sample.items() if k != INDEX_KEY}
        keep = inputs["attention_mask"].bool()
        try:
            with torch.no_grad():
                full = self.model(**inputs, output_hidden_states=True).hidden_states[-1][keep].float()
                replayed = self.model(**inputs, output_hidden_states=True, **{INDEX_KEY: self.sample[INDEX_KEY]})
                replayed = replayed.hidden_states[-1][keep].float()
            gap = ((full - replayed).norm() / full.norm().clamp_min(1e-12)).item()
        except Exception as exc:  # noqa: BLE001 - an architecture the replay does not fit: recompute instead
            log.warning("frozen-layer cache replay failed: %s", exc)
            gap = float("inf")
        finally:
            self.model.train(was)
        if not gap <= TOLERANCE:
            self.usable, self.store = False, {}
            log.warning("frozen-layer cache disagreed with the full model (relative gap %.3g); turned off", gap)
            return "The frozen-layer cache did not match the full model here; frozen layers are recomputed."
        n = len(self.frozen_layers)
        skipped = f"{n} frozen layers" if n != 1 else "frozen layer"
        return f"From now on each training step skips the {skipped} (checked: same outputs)."


def _torch():
    import torch

    return torch


def _find(model):
    """(embeddings module, list of transformer layers) of an encoder, or why not."""
    import torch

    config = getattr(model, "config", None)
    count = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layers", None)
    modules = dict(model.named_modules())
    for name, module in modules.items():
        if isinstance(module, torch.nn.ModuleList) and name.rsplit(".", 1)[-1] in ("layer", "layers") \
                and len(module) == count:
            owner = name.rsplit(".", 2)[0] if name.count(".") >= 2 else ""
            embeddings = modules.get(f"{owner}.embeddings" if owner else "embeddings")
            if embeddings is not None:
                return embeddings, list(module)
    return "this model's layers could not be located"


def _frozen_prefix(embeddings, layers) -> int:
    if any(p.requires_grad for p in embeddings.parameters()):
        return 0
    count = 0
    for layer in layers:
        if any(p.requires_grad for p in layer.parameters()):
            break
        count += 1
    return count if count < len(layers) else 0


def _has_dropout(modules) -> bool:
    import torch

    return any(isinstance(m, torch.nn.Dropout) and m.p > 0 for module in modules for m in module.modules())


def _hidden_size(model) -> int:
    config = model.config
    return int(getattr(config, "hidden_size", None) or getattr(config, "dim", None) or 1024)

