"""CPU threads for training on a computer that other programs use too (issue 10).

On 2 cores, one busy program made training 3x slower instead of its fair 2x, three made it 6x slower:
torch's OpenMP threads wait for each other at every parallel region, and the one that shares its core
with another program holds the rest up. On the cores the others leave free, one busy program costs
about its fair share (busy/quiet 0.52-0.72 in four runs of bench/bench_busy.py, against 0.29-0.34;
docs/bench_busy_latest.txt). So training starts on the physical cores other programs leave free, and
ThreadTuner re-checks that every few seconds while it trains.

Measured and not adopted: passive OpenMP waiting (OMP_WAIT_POLICY=PASSIVE) helps 2 threads beside a
busy program (31-40 samples/s against 23-25) but costs 8-15% on a quiet machine (64-65 against 70-75),
and with the thread count following the load it adds nothing sure (41-46 against 41-42).

Nothing here imports torch or transformers at import time (tests/test_architecture.py).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable

from ..base.events import LogLine, ThreadsChanged

HAS_AFFINITY = hasattr(os, "sched_getaffinity")  # Linux; module constant so tests force the other branch
WINDOW_S = 0.2      # how long the first reading watches the other programs, before training starts
RECHECK_S = 3.0     # between readings while training: quick to react, and MARGIN keeps a burst from flipping it
MARGIN = 0.1        # a busy CPU counts from 0.6 of one when shrinking, until below 0.4 when growing back


def _psutil():
    try:
        import psutil  # a dependency of peft and accelerate, so the frozen app carries it too
    except ImportError:
        return None
    return psutil


def usable_cpus() -> list[int]:
    """The logical CPUs this process may run on (its affinity where the system has one)."""
    if HAS_AFFINITY:
        return sorted(os.sched_getaffinity(0))
    psutil = _psutil()
    if psutil is not None and hasattr(psutil.Process, "cpu_affinity"):  # Windows; not macOS
        try:
            return sorted(psutil.Process().cpu_affinity())
        except (OSError, psutil.Error):
            pass
    return list(range(os.cpu_count() or 1))


def physical_cores(cpus: list[int] | None = None) -> int:
    """Physical cores among the CPUs we may use: hyperthreads slow GEMM-bound training down."""
    cpus = usable_cpus() if cpus is None else cpus
    psutil = _psutil()
    physical = psutil.cpu_count(logical=False) if psutil is not None else None
    logical = (psutil.cpu_count() if psutil is not None else None) or os.cpu_count() or len(cpus)
    if not physical:
        return max(1, len(cpus))
    # An affinity mask of 4 of 16 logical CPUs on 8 cores gets about 2 of them.
    return max(1, min(len(cpus), math.ceil(physical * len(cpus) / max(logical, len(cpus)))))


def read_cpu_seconds(cpus: list[int]) -> tuple[float, float] | None:
    """(busy seconds of the given CPUs, CPU seconds of this process) so far; None without psutil."""
    psutil = _psutil()
    if psutil is None:
        return None
    try:
        per_cpu = psutil.cpu_times(percpu=True)
        chosen = [per_cpu[i] for i in cpus if i < len(per_cpu)] or per_cpu
        own = psutil.Process().cpu_times()
    except (OSError, psutil.Error):
        return None
    return sum(_busy(t) for t in chosen), own.user + own.system


def _busy(times) -> float:
    # Everything but waiting: Linux counts guest time inside user, and steal is another machine's.
    idle = sum(getattr(times, name, 0.0) for name in ("idle", "iowait", "steal", "guest", "guest_nice"))
    return sum(times) - idle


class LoadMeter:
    """How many CPUs other programs kept busy since the previous reading: all busy time minus ours."""

    def __init__(self, cpus: list[int], read: Callable = read_cpu_seconds, clock: Callable = time.monotonic):
        self.cpus, self.read, self.clock = cpus, read, clock
        self.last = self._sample()

    def _sample(self):
        seconds = self.read(self.cpus)
        return None if seconds is None else (self.clock(), *seconds)

    def others(self) -> float | None:
        now = self._sample()
        before, self.last = self.last, now
        if now is None or before is None or now[0] <= before[0]:
            return None
        busy, ours = now[1] - before[1], now[2] - before[2]
        return max(0.0, (busy - ours) / (now[0] - before[0]))


def choose_threads(cores: int, cpus: int, others: float | None, current: int | None = None) -> int:
    """No more threads than physical cores, nor than the logical CPUs the other programs leave free.

    Without a reading, all cores. With the current count, it moves only when the reading is clearly
    past half a CPU (MARGIN), so a reading that hovers there does not flip it at every check.
    """
    if others is None:
        return cores

    def fit(busy: float) -> int:
        return max(1, min(cores, cpus - math.floor(busy + 0.5)))

    if current is None:
        return fit(others)
    return min(max(current, fit(others + MARGIN)), fit(others - MARGIN))


def initial_threads(window_s: float = WINDOW_S, read: Callable | None = None, clock: Callable = time.monotonic,
                    sleep: Callable = time.sleep) -> int:
    """The thread count to start training with: watch the other programs for a moment first."""
    cpus = usable_cpus()
    meter = LoadMeter(cpus, read or read_cpu_seconds, clock)
    sleep(window_s)
    return choose_threads(physical_cores(cpus), len(cpus), meter.others())


def _plural(n: int) -> str:
    return f"{n} thread" + ("" if n == 1 else "s")


class ThreadTuner:
    """Re-checks the number of torch threads every RECHECK_S seconds of training steps.

    A TrainerCallback by protocol: the Trainer calls each hook by name, and the hooks not defined here
    do nothing (__getattr__). Not a subclass, so that importing this module stays light.
    """

    def __init__(self, emit: Callable, *, cpus: list[int] | None = None, cores: int | None = None,
                 read: Callable = read_cpu_seconds, clock: Callable = time.monotonic,
                 get_threads: Callable | None = None, set_threads: Callable | None = None) -> None:
        self.emit, self.read, self.clock = emit, read, clock
        self.cpus = usable_cpus() if cpus is None else cpus
        self.cores = physical_cores(self.cpus) if cores is None else cores
        self.get_threads, self.set_threads = get_threads, set_threads
        self.meter: LoadMeter | None = None
        self.threads = self.cores
        self.checked = 0.0

    def __getattr__(self, name: str):
        if name.startswith("on_"):
            return _ignore
        raise AttributeError(name)

    def on_train_begin(self, args, state, control, **kwargs):
        if getattr(getattr(args, "device", None), "type", "cpu") != "cpu":
            return  # on a GPU the CPU threads only feed it
        if self.get_threads is None or self.set_threads is None:
            import torch

            self.get_threads, self.set_threads = torch.get_num_threads, torch.set_num_threads
        self.threads = self.get_threads()
        self.meter = LoadMeter(self.cpus, self.read, self.clock)
        self.checked = self.clock()
        if self.threads < self.cores:  # configure_cpu_threads already saw another program
            self.emit(LogLine(f"Another program is using the CPU: training on {_plural(self.threads)} "
                              f"instead of {self.cores}."))

    def on_step_end(self, args, state, control, **kwargs):
        if self.meter is None or self.clock() - self.checked < RECHECK_S:
            return
        self.checked = self.clock()
        wanted = choose_threads(self.cores, len(self.cpus), self.meter.others(), self.threads)
        if wanted == self.threads:
            return
        self.set_threads(wanted)
        self.threads = wanted
        self.emit(ThreadsChanged(wanted))  # the header's count follows the one in use
        self.emit(LogLine(f"Another program is using the CPU: training on {_plural(wanted)} instead of "
                          f"{self.cores}." if wanted < self.cores else
                          f"The CPU is free again: training on {_plural(wanted)}."))


def _ignore(*args, **kwargs):
    return None
