"""Does bf16 pay on this CPU? Times LoRA training steps of the embedded model in fp32 and under bf16
autocast, same process, same batch. LoRA Studio turns bf16 on only where the CPU has AMX or
AVX512-BF16 (devices.cpu_has_fast_bf16); this benchmark is the evidence for that rule.
    python bench/bench_precision.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import torch
    from peft import LoraConfig, TaskType, get_peft_model

    from desktop_app.core.devices import configure_cpu_threads, cpu_has_fast_bf16
    from desktop_app.core.models import load_classifier, lora_targets, resolve_base_model

    threads = configure_cpu_threads()
    base = resolve_base_model()
    model = get_peft_model(load_classifier(base, ("a", "b"), dropout=0.0),
                           LoraConfig(task_type=TaskType.SEQ_CLS, r=16, lora_alpha=32,
                                      target_modules=lora_targets("bert", "all")))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    x = torch.randint(1000, 20000, (32, 40))
    y = torch.randint(0, 2, (32,))

    def step(bf16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=x, attention_mask=torch.ones_like(x), labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()

    def timed(bf16: bool, n: int = 8) -> float:
        for _ in range(2):
            step(bf16)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                step(bf16)
            best = min(best, (time.perf_counter() - start) / n)
        return best

    fp32, bf16 = timed(False), timed(True)
    print(f"CPU capability: {torch.backends.cpu.get_cpu_capability()}, native bf16: {cpu_has_fast_bf16()}, "
          f"{threads} threads")
    print(f"fp32 {fp32 * 1000:.0f} ms/step   bf16 autocast {bf16 * 1000:.0f} ms/step   bf16/fp32 speed {fp32 / bf16:.2f}x")


if __name__ == "__main__":
    main()
