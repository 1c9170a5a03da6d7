"""Pick the compute device (CUDA, then Apple MPS, then CPU) and describe it in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from ..base.errors import ConfigError
from . import threads as thread_policy


@dataclass(frozen=True)
class DeviceInfo:
    kind: str                 # "cuda" | "mps" | "cpu"
    name: str                 # "NVIDIA RTX 4060, 8 GB" / "CPU, 2 threads"
    available: bool = True
    reason: str = ""          # why it is unavailable, in plain words
    memory_gb: float | None = None
    bf16: bool = False        # mixed precision that pays on this device
    fp16: bool = False


def physical_cores() -> int:
    return thread_policy.physical_cores()  # looked up at call time: tests patch it


def cpu_has_fast_bf16() -> bool:
    """True where the CPU computes bf16 natively (AMX or AVX512-BF16); elsewhere bf16 is slower than fp32."""
    try:
        import torch

        caps = torch.backends.cpu.get_cpu_capability()
        if "AMX" in caps.upper():
            return True
    except Exception:  # noqa: BLE001 - capability probing must never break start-up
        pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = fh.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    except OSError:
        return False


def configure_cpu_threads(processes_here: int = 1) -> int:
    """Physical cores (hyperthreads slow down GEMM-bound training), less those other programs keep busy;
    several training processes on one machine (torchrun) share its physical cores evenly instead."""
    import torch

    n = (thread_policy.initial_threads() if processes_here <= 1
         else max(1, thread_policy.physical_cores() // processes_here))
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def list_devices() -> list[DeviceInfo]:
    """Every device kind, with availability and the reason when unavailable."""
    import torch

    devices = []
    build = torch.__version__
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(torch.cuda.current_device())  # a torchrun rank's own GPU
        gb = props.total_memory / 1024**3
        devices.append(DeviceInfo("cuda", f"{props.name}, {gb:.0f} GB", True, memory_gb=gb,
                                  bf16=torch.cuda.is_bf16_supported(), fp16=True))
    elif torch.version.cuda is None:
        devices.append(DeviceInfo("cuda", "NVIDIA GPU", False,
                                  f"this PyTorch ({build}) is a CPU-only build; install a CUDA build to use a GPU"))
    else:
        devices.append(DeviceInfo("cuda", "NVIDIA GPU", False, "no NVIDIA GPU or driver was found"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(DeviceInfo("mps", "Apple GPU (Metal)", True, fp16=True))
    else:
        devices.append(DeviceInfo("mps", "Apple GPU (Metal)", False, "only on Apple Silicon Macs"))
    threads = physical_cores()
    bf16 = cpu_has_fast_bf16()
    # bf16 here says the CPU has bf16 instructions; whether training uses it is measured (core/precision.py)
    devices.append(DeviceInfo("cpu", f"CPU, {threads} thread{'s' if threads != 1 else ''}", True, bf16=bf16))
    return devices


def pick_device(preference: str = "auto") -> DeviceInfo:
    devices = {d.kind: d for d in list_devices()}
    if preference != "auto":
        chosen = devices.get(preference)
        if chosen is None:
            raise ConfigError(f"Unknown device “{preference}”.", "Use auto, cuda, mps or cpu.")
        if not chosen.available:
            raise ConfigError(f"{chosen.name} cannot be used: {chosen.reason}.", "Choose another device.")
        return chosen
    for kind in ("cuda", "mps", "cpu"):
        if devices[kind].available:
            return devices[kind]
    return devices["cpu"]
