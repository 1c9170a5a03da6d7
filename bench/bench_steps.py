"""Step-level costs behind the presets: one LoRA training step of the built-in model (batch 32 x 32
tokens) with and without LoRA dropout, the frozen model's own dropout, and LoRA on the top half only.
Best of 3 x 4 steps each, same process. Run from the repo root: python bench/bench_steps.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ALL = ["query", "key", "value", "intermediate.dense", "output.dense"]


def main() -> None:
    import torch
    from peft import LoraConfig, TaskType, get_peft_model

    from desktop_app.core.model.devices import configure_cpu_threads
    from desktop_app.core.model.base_models import load_classifier, resolve_base_model

    configure_cpu_threads()
    base = resolve_base_model()
    x = torch.randint(1000, 20000, (32, 32))
    y = torch.randint(0, 2, (32,))

    def timed(name, targets, lora_dropout, model_dropout, layers=None):
        model = load_classifier(base, ("a", "b"), dropout=model_dropout)
        model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=16, lora_alpha=32,
                                                 lora_dropout=lora_dropout, target_modules=targets,
                                                 layers_to_transform=layers)).train()
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

        def step():
            model(input_ids=x, attention_mask=torch.ones_like(x), labels=y).loss.backward()
            opt.step()
            opt.zero_grad()

        step()
        step()
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(4):
                step()
            best = min(best, (time.perf_counter() - start) / 4)
        print(f"{name:58s} {best * 1000:6.0f} ms/step  {32 / best:6.1f} samples/s", flush=True)
        return best

    ref = timed("all linear, LoRA dropout 0.1, model dropout 0.1 (as copied)", ALL, 0.1, None)
    timed("all linear, LoRA dropout 0, model dropout 0.1", ALL, 0.0, None)
    timed("all linear, no dropout", ALL, 0.0, 0.0)
    timed("query+value only, no dropout", ["query", "value"], 0.0, 0.0)
    best = timed("all linear, top half of the layers, no dropout (balanced)", ALL, 0.0, 0.0, layers=[3, 4, 5])
    print(f"balanced vs as-copied: {ref / best:.2f}x faster per step")


if __name__ == "__main__":
    main()
