"""Type-and-range checks for JSON that arrives from strangers (manifests, peft configs, settings files).

Each check returns the value or raises the given StudioError class with one plain sentence that
names the field, so `{"max_length": true}` says what is wrong instead of failing three calls later.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from .sanitize import printable


class TooLarge(ValueError):
    """A file over the size its reader allows (read_json's max_bytes)."""


def read_json(path: Path, missing: Callable[[], Exception], damaged: Callable[[Exception], Exception],
              max_bytes: int | None = None) -> object:
    """The JSON in the file `path`, or the caller's sentence: `missing()` when there is no such file, `damaged(exc)`
    for anything else that stops it (unreadable, over max_bytes, not UTF-8, not JSON, nested thousands deep). The
    one place that knows which exceptions a hostile JSON file raises; the value still needs checking (Fields)."""
    try:
        if max_bytes is not None and path.stat().st_size > max_bytes:
            raise TooLarge(f"over {max_bytes} bytes")
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise missing() from None
    except (OSError, ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; RecursionError: deep
        raise damaged(exc) from exc


class Fields:
    """Read fields of one JSON object, each checked by type and range."""

    def __init__(self, data: object, what: str, error: Callable[[str], Exception]) -> None:
        self.what, self.error = what, error
        if not isinstance(data, dict):
            raise error(f"{what} is not a JSON object")
        self.data = data

    def fail(self, key: str, expected: str):
        shown = printable(repr(self.data.get(key)))[:60]
        return self.error(f"{self.what}: “{key}” should be {expected}, not {shown}")

    def integer(self, key: str, low: int, high: int, default: int | None = None, optional: bool = False):
        value = self.data.get(key, default)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"a whole number from {low} to {high}")
        return value

    def number(self, key: str, low: float, high: float, default: float | None = None, optional: bool = False):
        value = self.data.get(key, default)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not low <= value <= high:
            raise self.fail(key, f"a number from {low:g} to {high:g}")
        return value

    def text(self, key: str, max_chars: int = 1000, default: str | None = None, optional: bool = False,
             choices: tuple[str, ...] | None = None):
        value = self.data.get(key, default)
        if value is None and optional:
            return None
        if not isinstance(value, str) or len(value) > max_chars or (choices and value not in choices):
            raise self.fail(key, f"one of {', '.join(choices)}" if choices else f"text of at most {max_chars} characters")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def mapping(self, key: str, optional: bool = False) -> dict | None:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "an object")
        return value

    def numbers(self, key: str, low: float, high: float, length: int, optional: bool = False):
        """A list of exactly `length` numbers, each from low to high (per-label thresholds)."""
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, list) or len(value) != length or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and low <= v <= high
                for v in value):
            raise self.fail(key, f"a list of {length} numbers from {low:g} to {high:g}")
        return tuple(float(v) for v in value)

    def text_list(self, key: str, max_items: int, max_chars: int = 200, optional: bool = False):
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, list) or len(value) > max_items \
                or not all(isinstance(v, str) and 0 < len(v) <= max_chars for v in value):
            raise self.fail(key, f"a list of at most {max_items} names")
        return tuple(value)

    def records(self, key: str, kinds: dict[str, type], max_items: int = 100_000) -> None:
        """An optional list of objects whose named fields, where present, have these types
        (float accepts whole numbers and null: losses and scores may be missing)."""
        value = self.data.get(key)
        if value is None:
            return

        def fits(v, kind) -> bool:
            if kind is float:
                return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
            if kind is int:
                return isinstance(v, int) and not isinstance(v, bool)
            if kind is list:  # of names (labels a multi-label mistake missed or added)
                return isinstance(v, list) and len(v) <= 200 and all(isinstance(x, str) and len(x) <= 1000 for x in v)
            return isinstance(v, kind)

        if not isinstance(value, list) or len(value) > max_items or not all(
                isinstance(r, dict) and all(k not in r or fits(r[k], t) for k, t in kinds.items()) for r in value):
            raise self.fail(key, f"a list of records ({', '.join(kinds)})")
