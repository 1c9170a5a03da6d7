"""Durations for people, shared by the CLI and the window (Qt-free)."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """1:05 or 2:03:04, for progress lines; an en dash when unknown."""
    if seconds is None:
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def in_words(seconds: float) -> str:
    """45 s, 2 min 05 s or 1 h 02 min, for estimates."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min"
