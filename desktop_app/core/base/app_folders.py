"""The platform's places for what the app keeps between runs: logs, a per-machine cache and data (the ownership
key). One rule for all three, each overridable by an environment variable (tests and portable installs)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# kind: (override variable, Windows (variable, default under home, tail), macOS tail under home,
#        elsewhere (XDG variable, default under home, tail))
PLACES = {
    "logs": ("LORA_STUDIO_LOG_DIR", ("LOCALAPPDATA", "AppData/Local", "LoRA Studio/logs"),
             "Library/Logs/LoRA Studio", ("XDG_STATE_HOME", ".local/state", "lora-studio/logs")),
    "cache": ("LORA_STUDIO_CACHE_DIR", ("LOCALAPPDATA", "AppData/Local", "LoRA Studio/cache"),
              "Library/Caches/LoRA Studio", ("XDG_CACHE_HOME", ".cache", "lora-studio")),
    "data": ("LORA_STUDIO_DATA_DIR", ("APPDATA", "AppData/Roaming", "LoRA Studio"),
             "Library/Application Support/LoRA Studio", ("XDG_DATA_HOME", ".local/share", "lora-studio")),
}


def app_folder(kind: str) -> Path:
    override, windows, mac, xdg = PLACES[kind]
    if os.environ.get(override):
        return Path(os.environ[override])
    home = Path.home()
    if sys.platform == "win32":
        variable, default, tail = windows
    elif sys.platform == "darwin":
        return home / mac
    else:
        variable, default, tail = xdg
    return Path(os.environ.get(variable) or home / default) / tail
