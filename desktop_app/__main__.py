"""Entry point for `lora-studio` and `python -m desktop_app` (and, later, the frozen app)."""

from __future__ import annotations

import io
import multiprocessing
import sys


def _guard_streams() -> None:
    # Windowed frozen builds have no console: sys.stdout/stderr are None and transformers'
    # logging and tqdm crash writing to them.
    if sys.stdout is None:
        sys.stdout = io.StringIO()
    if sys.stderr is None:
        sys.stderr = io.StringIO()


def main(argv: list[str] | None = None) -> int:
    _guard_streams()
    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if not args:  # no command: the desktop application
        from .ui.app import main as gui_main

        return gui_main()
    from .cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
