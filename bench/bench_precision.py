"""Does bf16 pay on this CPU, and in which form? Times LoRA training steps of the embedded model (the
default preset: top half adapted) in the same process, on the same batch:

  fp32 (SDPA attention)                      the fp32 path
  bf16 autocast, SDPA attention              what bf16 meant before issue 10
  bf16 autocast, eager attention             what LoRA Studio's bf16 runs now
  bf16 autocast, eager, frozen weights bf16  the frozen base weights held in bf16 once, not cast every step

    python bench/bench_precision.py [--length 40] [--batch 32]
LoRA Studio does not take this table's word for it: training measures fp32 against bf16 on the user's own
batch shape (core/precision.py) and keeps the faster.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=int, default=40)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    import torch

    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.model.devices import cpu_has_fast_bf16
    from desktop_app.core.model.precision import attention
    from desktop_app.core.train.preparation import attach_lora, prepare_model

    config = TrainConfig()
    prepared = prepare_model(config, ("a", "b"))
    model = attach_lora(config, prepared.base, prepared.model).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    torch.manual_seed(0)
    x = torch.randint(1000, 20000, (args.batch, args.length))
    mask = torch.ones_like(x)
    mask[: args.batch // 2, args.length * 3 // 4:] = 0  # some padding, as length-grouped batches have
    y = torch.randint(0, 2, (args.batch,))

    def step(bf16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=x, attention_mask=mask, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()

    def timed(bf16: bool, n: int = 6) -> float:
        for _ in range(2):
            step(bf16)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(n):
                step(bf16)
            best = min(best, (time.perf_counter() - start) / n)
        return best

    results = {"fp32 (SDPA attention)": timed(False), "bf16 autocast, SDPA attention": timed(True)}
    with attention(model, "eager"):
        results["bf16 autocast, eager attention"] = timed(True)
        for module in model.modules():  # frozen Linear weights held in bf16 (LoRA, head stay fp32)
            if isinstance(module, torch.nn.Linear) and not module.weight.requires_grad:
                module.to(torch.bfloat16)
        results["bf16 autocast, eager, frozen weights bf16"] = timed(True)
    print(f"CPU capability: {torch.backends.cpu.get_cpu_capability()}, bf16 instructions: {cpu_has_fast_bf16()}, "
          f"{torch.get_num_threads()} threads, batch {args.batch} x {args.length} tokens")
    fp32 = results["fp32 (SDPA attention)"]
    for name, seconds in results.items():
        print(f"{name:42s} {seconds * 1000:6.0f} ms/step   speed vs fp32 {fp32 / seconds:.2f}x")


if __name__ == "__main__":
    main()
