"""The command line (`lora-studio`): main.py runs a command, args.py reads the flags, output.py prints, share.py
exports, scale.py launches several processes. It imports the core; the core and the window never import it."""

from .main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
