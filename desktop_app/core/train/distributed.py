"""The same training on several processes, launched by torchrun: PyTorch DDP, set up by the Trainer.

torchrun gives each process RANK, WORLD_SIZE, LOCAL_RANK and LOCAL_WORLD_SIZE. Only then is a process group
started (gloo on a CPU, NCCL on CUDA, after a bounded wait for the others; accelerate and the Trainer then take
it as it is); a plain process never sets a
backend (with transformers 5.24 / accelerate 1.15, `ddp_backend` in a single process raises "Default process
group has not been initialized"). Every rank reads and tokenises the data itself and splits it with the same
seed, so the splits are identical; rank 0 decides what must be decided once (the precision), prints the
progress, evaluates and saves; every decision that ends training (early stopping, Stop) is taken on the
same step on every rank, or DDP would wait forever for the rank that left.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from ..base.errors import StudioError, TrainingError
from ..base.events import Cancelled

_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE")


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def __str__(self) -> str:
        return f"rank {self.rank} of {self.size}"


def world(env: Mapping[str, str] | None = None) -> World:
    """This process's place in a torchrun job (a single process when torchrun did not start it).
    The variables come from outside: checked by type and range before anything relies on them."""
    env = os.environ if env is None else env
    if env.get("WORLD_SIZE", "").strip() in ("", "1"):  # absent, or a world of one left over in the shell: one process
        return World()
    values = {}
    for name in _VARIABLES:
        text = env.get(name, "0" if name in ("RANK", "LOCAL_RANK") else env["WORLD_SIZE"])
        try:
            values[name] = int(text)
        except ValueError:
            raise TrainingError(f"The launcher set {name}={text!r}, which is not a number.",
                                "Start distributed training with torchrun (see docs/SCALING.md).") from None
    rank, size, local_rank, local_size = (values[name] for name in _VARIABLES)
    if not (1 <= size <= 65536 and 0 <= rank < size and 1 <= local_size <= size and 0 <= local_rank < local_size):
        raise TrainingError(f"The launcher's ranks do not fit together (RANK={rank}, WORLD_SIZE={size}, "
                            f"LOCAL_RANK={local_rank}, LOCAL_WORLD_SIZE={local_size}).",
                            "Start distributed training with torchrun (see docs/SCALING.md).")
    return World(rank, size, local_rank, local_size)


# What accelerate and transformers read to decide that a process is one of several (torchrun's names, MPI's)
_LAUNCHER_VARIABLES = (*_VARIABLES, "PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK",
                       "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_SIZE",
                       "MV2_COMM_WORLD_RANK", "MV2_COMM_WORLD_LOCAL_RANK", "MV2_COMM_WORLD_LOCAL_SIZE",
                       "MPI_LOCALRANKID", "MPI_LOCALNRANKS")


@contextmanager
def alone(here: World) -> Iterator[None]:
    """A run of one process hides launcher variables left in the shell (a stale WORLD_SIZE=1 with its LOCAL_RANK)
    from accelerate and transformers, which would start a process group for them and fail for want of
    MASTER_ADDR; they are put back when the run ends. Nothing changes when there are none, or under torchrun."""
    saved = {} if here.distributed else {name: os.environ.pop(name) for name in _LAUNCHER_VARIABLES
                                         if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def bind_gpu(here: World, preference: str) -> None:
    """Under torchrun, before anything inspects a GPU: make this rank's own GPU the current one, so that the
    device check (capability, bf16 support, memory) looks at GPU `local_rank` and no rank opens a context on
    GPU 0. Not when the user asked for the CPU (setting a device opens a context on it)."""
    import torch

    if here.distributed and preference in ("auto", "cuda") and torch.cuda.is_available():
        torch.cuda.set_device(here.local_rank)


ENV_RENDEZVOUS_TIMEOUT = "LORA_STUDIO_RENDEZVOUS_TIMEOUT"
RENDEZVOUS_SECONDS = 60


def rendezvous_seconds(env: Mapping[str, str] | None = None) -> float:
    """How long a process waits for the others to join: 60 s, or LORA_STUDIO_RENDEZVOUS_TIMEOUT seconds.
    Only the meeting is bounded so: training's own collectives keep the backend's long timeout (rank 0
    evaluates and saves while the others wait)."""
    text = (os.environ if env is None else env).get(ENV_RENDEZVOUS_TIMEOUT, "")
    try:
        seconds = float(text) if text else RENDEZVOUS_SECONDS
    except ValueError:
        seconds = -1
    if not 0 < seconds <= 86400:
        raise TrainingError(f"{ENV_RENDEZVOUS_TIMEOUT}={text!r} should be a number of seconds above 0, at most 86400 (a day).")
    return seconds


def _meeting_point(here: World) -> tuple[str, int]:
    """MASTER_ADDR and MASTER_PORT, which torchrun sets: without them the processes cannot find each other."""
    missing = [name for name in ("MASTER_ADDR", "MASTER_PORT") if not os.environ.get(name)]
    if missing:
        raise TrainingError(f"WORLD_SIZE={here.size} asks for {here.size} training processes, but "
                            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set, so they cannot "
                            "find each other.", "Start them with lora-studio train --processes N, or with torchrun "
                            "(see docs/SCALING.md); for one process, unset WORLD_SIZE.")
    port = os.environ["MASTER_PORT"]
    if not (port.isdigit() and 0 < int(port) < 65536):
        raise TrainingError(f"MASTER_PORT={port!r} is not a port number (1 to 65535).",
                            "Start distributed training with torchrun (see docs/SCALING.md).")
    return os.environ["MASTER_ADDR"], int(port)


def _meet(here: World, backend: str) -> None:
    """Join the process group through torch's env:// rendezvous (what init_process_group does), with a bounded
    wait: a WORLD_SIZE whose other processes never come, or a second process 0, ends in a sentence."""
    from datetime import timedelta

    import torch.distributed as dist
    from torch.distributed.constants import default_pg_timeout

    addr, port = _meeting_point(here)
    seconds = rendezvous_seconds()
    try:
        store, rank, size = next(dist.rendezvous("env://", here.rank, here.size, timeout=timedelta(seconds=seconds)))
    except (RuntimeError, ValueError) as exc:  # DistStoreError / DistNetworkError: a timeout or a taken port
        text = str(exc)
        if "EADDRINUSE" in text or "address already in use" in text.lower():
            raise TrainingError(f"Process {here.rank} could not open the meeting point {addr}:{port}: the port is "
                                "taken (another run, or another process that was also given RANK=0).",
                                "Give each run its own MASTER_PORT, and each process its own RANK.") from None
        others = f"other {here.size - 1} processes" if here.size > 2 else "other process"
        raise TrainingError(f"Process {here.rank} waited {seconds:g} s at {addr}:{port} for the {others} of the run "
                            f"(WORLD_SIZE={here.size}), and not all came.",
                            f"Start every process (RANK 0 to {here.size - 1}) with the same MASTER_ADDR and "
                            f"MASTER_PORT, or use lora-studio train --processes N; {ENV_RENDEZVOUS_TIMEOUT} sets "
                            "the wait.") from None
    store.set_timeout(default_pg_timeout)  # the meeting is over: collectives get the backend's usual timeout
    dist.init_process_group(backend, store=dist.PrefixStore("default_pg", store), rank=rank, world_size=size)


def start(here: World, device_kind: str) -> str:
    """Join the job's process group (bounded wait, see _meet), then let accelerate's PartialState, as the
    Trainer would, take it as it is, so that the decisions taken before training can be shared.
    Returns the backend: gloo (CPU) or nccl (CUDA)."""
    import torch
    from accelerate import PartialState

    if device_kind == "cuda":
        torch.cuda.set_device(here.local_rank)  # one GPU per process: rank 1 must not share GPU 0
    _meet(here, "nccl" if device_kind == "cuda" else "gloo")
    state = PartialState(cpu=device_kind == "cpu")
    return str(state.backend)


def share(value, here: World):
    """Rank 0's value, on every rank (a small picklable object)."""
    if not here.distributed:
        return value
    import torch.distributed as dist

    box = [value if here.main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def any_rank(flag: bool, here: World) -> bool:
    """True on every rank when it is true on one (a Stop pressed on one node stops them all, on one step)."""
    if not here.distributed:
        return flag
    import torch
    import torch.distributed as dist

    tensor = torch.tensor([1 if flag else 0], dtype=torch.int32)
    if dist.get_backend() == "nccl":
        tensor = tensor.cuda()
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item())


def gather(value, here: World) -> list:
    """Every rank's value, in rank order, on every rank."""
    if not here.distributed:
        return [value]
    import torch.distributed as dist

    values = [None] * here.size
    dist.all_gather_object(values, value)
    return values


def check_same_data(splits, here: World) -> None:
    """Every rank must train on the same split (each reads the file itself): compare fingerprints, and stop
    every rank with the same sentence when one read something else (another copy of the file, on a node)."""
    if not here.distributed:
        return
    import hashlib

    digest = hashlib.sha256()
    for part in (splits.train, splits.validation):
        for text, label in zip(part.texts, part.labels):
            digest.update(f"{len(text)}:{text}{len(label)}:{label}".encode("utf-8", "surrogatepass"))
    prints = gather(digest.hexdigest(), here)
    odd = [rank for rank, value in enumerate(prints) if value != prints[0]]
    if odd:
        raise TrainingError(f"Process{'es' if len(odd) > 1 else ''} {', '.join(map(str, odd))} read other training "
                            "data than process 0.", "Give every machine the same file; a job folder "
                            "(lora-studio job export) checks its files.")


def finish(together: bool = False) -> None:
    """Leave the process group at the end of a run (torch warns at exit otherwise).

    together: the run ended alike on every rank (trained, or stopped on the same step), so every rank is here:
    they meet at a barrier and leave the group at the same time, as torch's documentation asks. Without it a rank
    tore its connections down while rank 0 was still saving, and gloo aborted it at exit now and then (CI:
    "terminate called without an active exception", exit -6, after a run that had saved its adapter). After a
    failure on one rank there is no barrier: the others may never come, and torchrun ends them."""
    try:
        import torch.distributed as dist
    except ImportError:
        return
    if dist.is_available() and dist.is_initialized():
        if together:
            try:
                dist.barrier()
            except RuntimeError:  # a rank failed after training (rank 0 while saving) and has left: go too
                pass
        dist.destroy_process_group()


def readiness() -> dict:
    """What `lora-studio devices` reports: can this installation train on several processes, and how."""
    import torch

    available = torch.distributed.is_available()
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    gloo = available and torch.distributed.is_gloo_available()
    nccl = available and torch.distributed.is_nccl_available() and gpus > 0
    return {"available": available, "gloo": gloo, "nccl": nccl, "gpus": gpus,
            "backend": "nccl" if nccl else "gloo" if gloo else None}


class SyncedCancel:
    """A CancelToken seen alike by every rank: each look is a collective, taken at the same training hook on
    every rank, so all of them raise Cancelled on the same step (one leaving alone would hang the others)."""

    def __init__(self, token, here: World) -> None:
        self.token, self.here = token, here

    @property
    def cancelled(self) -> bool:
        return any_rank(self.token.cancelled, self.here)

    @property
    def keep_best(self) -> bool:
        return self.token.keep_best


def from_rank0(compute, here: World):
    """`compute()` run by rank 0 only, its value — or its failure — on every rank. A check that fails on rank
    0 alone (a destination refused, a cancelled measurement) would otherwise leave the other ranks waiting in
    the next collective, for the backend's timeout when they run on other machines."""
    if not here.distributed:
        return compute()
    outcome, raised = None, None
    if here.main:
        try:
            outcome = ("value", compute())
        except Cancelled as exc:
            outcome, raised = ("cancelled",), exc
        except StudioError as exc:  # the same sentence on every rank
            outcome, raised = ("studio", type(exc), exc.message, exc.hint), exc
        except Exception as exc:  # noqa: BLE001 - rank 0 raises it as it is; the others say rank 0 failed
            outcome, raised = ("error", f"{type(exc).__name__}: {exc}"), exc
    outcome = share(outcome, here)
    if raised is not None:
        raise raised
    if outcome[0] == "value":
        return outcome[1]
    if outcome[0] == "cancelled":
        raise Cancelled()
    if outcome[0] == "studio":
        raise outcome[1](outcome[2], outcome[3])
    raise TrainingError(f"Process 0 failed ({outcome[1][:200]}), so this one stopped too.",
                        "Process 0's own message says why.")
