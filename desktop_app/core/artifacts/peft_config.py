"""adapter_config.json (peft's file) checked against what LoRA Studio writes, before any tensor is built.

The file decides memory (the rank sizes every LoRA matrix: `"r": 50000` asked for gigabytes) and
behaviour (`init_lora_weights: "pissa"`, DoRA, rsLoRA silently change the model). A shared adapter may
only use the LoRA variant LoRA Studio trains: plain LoRA for sequence classification, rank and alpha
within TrainConfig's limits, default initialisation, and target modules that exist in the base model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import AdapterError
from ..base.sanitize import printable
from ..base.validate import Fields, TooLarge, read_json

MAX_BYTES = 1024**2
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,99}")
# Keys whose non-default value would change what the model computes; ours are always at the default.
_MUST_BE_OFF = ("use_dora", "use_rslora", "lora_bias", "use_qalora", "fan_in_fan_out", "layer_replication",
                "loftq_config", "megatron_config", "eva_config", "corda_config", "arrow_config", "rank_pattern",
                "alpha_pattern", "trainable_token_indices", "target_parameters", "alora_invocation_tokens",
                "layers_pattern", "exclude_modules", "use_bdlora", "kasa_config", "lora_ga_config",
                "monteclora_config", "velora_config", "runtime_config")


def _error(message: str) -> AdapterError:
    return AdapterError(f"The adapter's adapter_config.json is not one LoRA Studio can load: {message}.",
                        "Only adapters trained by LoRA Studio (plain LoRA for classification) are accepted.")


@dataclass(frozen=True)
class AdapterConfig:
    r: int
    alpha: float
    dropout: float
    target_modules: tuple[str, ...]
    modules_to_save: tuple[str, ...]
    layers_to_transform: tuple[int, ...] | None

    @classmethod
    def from_dict(cls, data) -> "AdapterConfig":
        f = Fields(data, "the file", _error)
        f.text("peft_type", 20, choices=("LORA",))
        f.text("task_type", 20, choices=("SEQ_CLS",))
        f.text("bias", 20, default="none", choices=("none",))
        if data.get("init_lora_weights", True) is not True:
            raise f.fail("init_lora_weights", "true (LoRA's standard initialisation)")
        for key in _MUST_BE_OFF:
            if data.get(key) not in (None, False, {}, []):
                raise f.fail(key, "off")
        targets = f.text_list("target_modules", 64, 100)
        if not targets or not all(_MODULE_NAME.fullmatch(t) for t in targets):
            raise f.fail("target_modules", "a list of layer names")
        saved = f.text_list("modules_to_save", 16, 100, optional=True) or ()
        if not all(_MODULE_NAME.fullmatch(m) for m in saved):
            raise f.fail("modules_to_save", "a list of layer names")
        layers = data.get("layers_to_transform")
        if layers is not None:
            if not isinstance(layers, list) or len(layers) > 1000 or not all(
                    isinstance(i, int) and not isinstance(i, bool) and 0 <= i < 1000 for i in layers):
                raise f.fail("layers_to_transform", "a list of layer numbers")
            layers = tuple(layers)
        # The same limits TrainConfig.validate puts on what LoRA Studio trains.
        return cls(f.integer("r", 1, 256), f.number("lora_alpha", 1e-6, 1024), f.number("lora_dropout", 0, 0.999,
                   default=0.0), targets, tuple(saved), layers)

    def check_fits(self, model) -> None:
        """Every target and saved module must exist in the base model before peft builds anything."""
        names = [name for name, _ in model.named_modules()]
        for target in self.target_modules:
            if not any(n == target or n.endswith("." + target) for n in names):
                raise AdapterError(f"The adapter adapts a layer “{printable(target)}” that its base model does not have.",
                                   "It was probably made for another model.")
        heads = [m for m in self.modules_to_save if any(n.endswith("." + m) or n == m for n in names)]
        if self.modules_to_save and not heads:
            raise AdapterError("The adapter's classifier head does not fit its base model.",
                               "It was probably made for another model.")


def read_adapter_config(path: Path) -> AdapterConfig:
    data = read_json(path, lambda: _error("it is not valid JSON"),
                     lambda exc: _error("the file is far too large" if isinstance(exc, TooLarge)
                                        else "it is not valid JSON"), max_bytes=MAX_BYTES)
    return AdapterConfig.from_dict(data)
