"""Text that came from a stranger (a shared adapter, a user's file) made safe to print, store or share.

- Label names are validated where they enter (data files, manifests): printable, bounded, no control
  characters. A label may look like a formula ("+ve", "-ve" are real labels): that is handled on output.
- Every cell LoRA Studio writes to a CSV/XLSX file goes through `spreadsheet_safe` (the OWASP
  CSV-injection rule): a cell that a spreadsheet would run as a formula gets a leading apostrophe.
- Everything printed to a terminal goes through `printable`, so escape sequences cannot rewrite it.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LABEL_CHARS = 100
# Cells a spreadsheet treats as a formula or command (OWASP: = + - @, tab, carriage return), also
# after anything that shows as nothing: spaces of every kind (NBSP, ideographic), line breaks,
# zero-width and other invisible characters. Whether a spreadsheet skips each of them differs by
# program and version, so all of them are taken as skipped: an apostrophe too many costs nothing.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters that look like nothing although they are letters or symbols (Hangul fillers, the blank
# Braille pattern, Khmer inherent vowels, the combining grapheme joiner).
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u034f")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def spreadsheet_safe(value):
    """Neutralise a cell that a spreadsheet would evaluate; plain numbers such as -1.5 stay numbers."""
    if not isinstance(value, str) or not value:
        return value
    shown = value[next((i for i, ch in enumerate(value) if not _shows_nothing(ch)), len(value)):]
    if value.startswith(_FORMULA_START) or shown.startswith(_FORMULA_START):
        if _PLAIN_NUMBER.fullmatch(shown.strip()):
            return value
        return "'" + value
    return value


def _shows_nothing(ch: str) -> bool:
    """A space of any kind, a line break, a control or format (zero-width) character, a blank-looking one."""
    return ch.isspace() or ch in _BLANK_LOOKING or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def printable(text: object) -> str:
    """`text` with control characters (ESC, bidi overrides, NUL…) shown as escapes, for terminals and logs."""
    s = str(text)
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


def label_problem(name: object) -> str | None:
    """Why `name` cannot be a class name, in plain words, or None when it is fine."""
    if not isinstance(name, str):
        return f"a class name must be text, not {type(name).__name__}"
    if not name.strip():
        return "a class name is empty"
    if len(name) > MAX_LABEL_CHARS:
        return f"a class name is longer than {MAX_LABEL_CHARS} characters"
    for ch in name:
        if ch != "\u200d" and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):  # ZWJ: emoji
            return f"a class name contains a control or invisible character ({printable(ch)!s})"
        if ch in _BLANK_LOOKING:  # "neg" + a Hangul filler shows as "neg": two labels that look the same
            return f"a class name contains a character that shows as nothing ({ch.encode('unicode_escape').decode()})"
    if all(_shows_nothing(ch) or unicodedata.category(ch) in ("Mn", "Me") for ch in name):
        return "a class name looks blank (it holds only invisible characters)"
    return None


def brief(exc: BaseException, limit: int = 120) -> str:
    """The first line of an exception's text (or its type), printable and short, for a hint."""
    lines = str(exc).strip().splitlines()
    return printable(lines[0] if lines else type(exc).__name__)[:limit]
