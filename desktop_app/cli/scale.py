"""The command line's scale-out: `job export` (train elsewhere) and `train --processes N` (start N processes).

`--processes` uses torch's own launcher (torch.distributed.run, what the `torchrun` command runs) as a
function, so the packaged app, which has no Python interpreter to hand to torchrun, starts its processes the
same way: each is this program again, with the same arguments less --processes.
"""

from __future__ import annotations

import os
import signal
import sys

from ..core.artifacts.job import export_job, next_steps, read_job
from ..core.base.errors import DataError, TrainingError
from ..core.disk.atomic import temp_folder
from ..core.train.distributed import world
from .args import train_config

EXIT_OK, EXIT_CANCELLED = 0, 130
WINDOWS = os.name == "nt"  # a module constant, so tests force the Windows branch


def job_export(args) -> int:
    job = export_job(args.data, train_config(args), args.out, args.validation, args.encoding)
    print(next_steps(job, packaged=getattr(sys, "frozen", False)))
    return EXIT_OK


def training_job(args):
    """The job folder of `train --job`, checked with the flags that adjust it."""

    if args.data or args.sample or args.config or args.validation:
        raise DataError("A job brings its own data and settings.", "Give --job alone (flags may adjust it).")
    job = read_job(args.job)
    train_config(args, job.config)
    return job


def launch(processes: int, argv: list[str], main) -> int:
    """Run this same command in `processes` processes on this machine (standalone rendezvous); `main`: the command
    line's entry, which a single process runs here (passed in: the cli's main imports this module)."""
    if not 1 <= processes <= 1024:
        raise TrainingError("--processes should be a number from 1 to 1024.")
    if world().distributed:  # a stale WORLD_SIZE=1 is a world of one, not a distributed run
        raise TrainingError("--processes was given inside a distributed run.", "Leave it out under torchrun.")
    command = _without_processes(argv)
    if processes == 1:
        return main(command)
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    if WINDOWS:  # PyTorch's Windows builds lack libuv, which the rendezvous store uses by default
        os.environ.setdefault("USE_LIBUV", "0")
    program = ["--no-python", sys.executable] if getattr(sys, "frozen", False) else ["-m", "desktop_app"]
    # the launcher's own folder (its error files), removed at the end: left to itself it leaves a torchelastic_*
    # folder in the temp folder on every run
    with temp_folder("launcher") as logs:
        launcher = get_args_parser().parse_args(["--standalone", f"--nproc-per-node={processes}", f"--log-dir={logs}",
                                                 *program, *command])
        try:
            run(launcher)
        except SignalException as exc:  # Ctrl+C (or a kill) reached the launcher: it has ended the processes
            return _stopped(f"by signal {exc.sigval.name}")
        except ChildFailedError as exc:
            failed = sorted(exc.failures)
            if all(exc.failures[rank].exitcode in _STOPPED for rank in failed):  # each stopped as asked
                return _stopped("")
            raise TrainingError(f"Training process{'es' if len(failed) > 1 else ''} {', '.join(map(str, failed))} "
                                f"of {processes} failed, so the run stopped.",
                                "Each process's own message is above.") from None
    return EXIT_OK


# How a training process ends when it is stopped: it stops cleanly (130), or a signal ends it before it could.
_STOPPED = (EXIT_CANCELLED, -signal.SIGINT, -signal.SIGTERM)


def _stopped(how: str) -> int:
    print(f"lora-studio: stopped{' ' + how if how else ''}; the training processes were ended and nothing was "
          "saved.", file=sys.stderr)
    return EXIT_CANCELLED


def _without_processes(argv: list[str]) -> list[str]:
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--processes":
            skip = True
            continue
        if arg.startswith("--processes="):
            continue
        out.append(arg)
    return out
