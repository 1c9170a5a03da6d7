"""UI state that survives restarts (QSettings): geometry, recent files and folders, last configuration."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QSettings

from ..core.model.config import TrainConfig
from ..core.base.errors import ConfigError

MAX_RECENT = 8


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings or QSettings()

    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, data: QByteArray) -> None:
        self.q.setValue("window/geometry", data)

    def recent_files(self) -> list[str]:
        value = self.q.value("recent/files", [])
        return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]

    def add_recent_file(self, path: str) -> None:
        files = [path] + [f for f in self.recent_files() if f != path]
        self.q.setValue("recent/files", files[:MAX_RECENT])

    def last_folder(self, kind: str) -> str:
        return str(self.q.value(f"recent/folder/{kind}", ""))

    def set_last_folder(self, kind: str, folder: str) -> None:
        self.q.setValue(f"recent/folder/{kind}", folder)

    def last_config(self) -> TrainConfig | None:
        raw = self.q.value("config/last")
        if not raw:
            return None
        try:
            return TrainConfig.from_dict(json.loads(str(raw)))
        except (ConfigError, ValueError):
            return None  # a config from an older/newer version: start from defaults

    def set_last_config(self, config: TrainConfig) -> None:
        self.q.setValue("config/last", json.dumps(config.to_dict()))
