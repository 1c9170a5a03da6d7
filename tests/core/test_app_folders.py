"""Where logs, the per-machine cache and the ownership key live, on every platform branch (forced here)."""

from pathlib import Path

import pytest

from desktop_app.core.base import logs
from desktop_app.core.disk import ownership
from desktop_app.core.model import precision

HOME = Path("/home/u")
EXPECTED = {  # the places the three folders had before they shared one rule
    ("win32", logs.log_folder): HOME / "AppData/Local/LoRA Studio/logs",
    ("win32", precision.cache_folder): HOME / "AppData/Local/LoRA Studio/cache",
    ("win32", ownership.data_folder): HOME / "AppData/Roaming/LoRA Studio",
    ("darwin", logs.log_folder): HOME / "Library/Logs/LoRA Studio",
    ("darwin", precision.cache_folder): HOME / "Library/Caches/LoRA Studio",
    ("darwin", ownership.data_folder): HOME / "Library/Application Support/LoRA Studio",
    ("linux", logs.log_folder): HOME / ".local/state/lora-studio/logs",
    ("linux", precision.cache_folder): HOME / ".cache/lora-studio",
    ("linux", ownership.data_folder): HOME / ".local/share/lora-studio",
}
VARIABLES = ("LORA_STUDIO_LOG_DIR", "LORA_STUDIO_CACHE_DIR", "LORA_STUDIO_DATA_DIR", "LOCALAPPDATA", "APPDATA",
             "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME")


@pytest.mark.parametrize("platform, folder", list(EXPECTED), ids=lambda v: getattr(v, "__name__", v))
def test_each_folder_on_each_platform(monkeypatch, platform, folder):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", platform)
    monkeypatch.setattr(Path, "home", lambda: HOME)
    assert folder() == EXPECTED[platform, folder]


@pytest.mark.parametrize("folder, variable, platform_variable", [
    (logs.log_folder, "LORA_STUDIO_LOG_DIR", "XDG_STATE_HOME"),
    (precision.cache_folder, "LORA_STUDIO_CACHE_DIR", "XDG_CACHE_HOME"),
    (ownership.data_folder, "LORA_STUDIO_DATA_DIR", "XDG_DATA_HOME")])
def test_the_variables_move_each_folder(monkeypatch, tmp_path, folder, variable, platform_variable):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv(platform_variable, str(tmp_path / "xdg"))
    assert folder().is_relative_to(tmp_path / "xdg")
    monkeypatch.setenv(variable, str(tmp_path / "mine"))
    assert folder() == tmp_path / "mine"
