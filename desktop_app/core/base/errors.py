"""User-facing errors. Each carries a plain-language message and a hint about what to do."""

from __future__ import annotations


class StudioError(Exception):
    """Base of every error meant for the user's eyes (never a traceback)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class DataError(StudioError):
    """The dataset cannot be read or cannot be used for training."""


class ModelError(StudioError):
    """The base model cannot be found, verified or loaded."""


class ConfigError(StudioError):
    """A setting is out of range or inconsistent."""


class AdapterError(StudioError):
    """An adapter package is missing, damaged, unsafe, or does not match its base model."""


class BaseModelMissing(AdapterError):
    """The adapter's base model is not on this computer (where LoRA Studio looks); the user may point at it."""


class TrainingError(StudioError):
    """Training failed for a reason the user can act on (e.g. out of memory)."""


class OutputError(StudioError):
    """The place chosen to save to cannot be used (not ours to replace, read-only, full, busy)."""


class ExportError(StudioError):
    """A model cannot be exported faithfully (the exporter fails, or the copy predicts differently)."""
