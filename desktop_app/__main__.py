"""Entry point for `lora-studio` and `python -m desktop_app` and the frozen app."""

from __future__ import annotations

import io
import multiprocessing
import os
import sys

from .cli import main as cli_main
from .self_test import main as self_test_main


def _guard_streams() -> None:
    # Windowed frozen builds have no console: sys.stdout/stderr are None and transformers'
    # logging and tqdm crash writing to them.
    if sys.stdout is None:
        sys.stdout = io.StringIO()
    if sys.stderr is None:
        sys.stderr = io.StringIO()


def _process_defaults() -> None:
    # The app owns its process, so it may set these (an importer of the API keeps its own): tokenizer
    # threads fight the Trainer's threads and misbehave after fork; advisory warnings are for developers.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def main(argv: list[str] | None = None) -> int:
    _guard_streams()
    _process_defaults()
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--self-test":  # the packaged app's own check (see packaging/README.md)
        return self_test_main(args[1:])
    if not args:  # no command: the desktop application
        # here, not at the top: these load Qt (start-up speed)
        from .ui.app import main as gui_main

        return gui_main()
    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
