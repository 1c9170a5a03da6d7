"""Read a user's table (CSV/TSV/JSONL/JSON/Parquet/Excel) into a DataFrame of strings.

Everything is read as text: "NA", "None", "null" and "" stay what the user wrote (pandas would
turn them into NaN), encodings and delimiters are sniffed, and quoted multi-line fields survive.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import DataError

MAX_FILE_BYTES = 2 * 1024**3
TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".psv"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = sorted(TEXT_SUFFIXES | JSON_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES)

TEXT_NAME_HINTS = ("text", "review", "sentence", "content", "message", "body", "comment", "tweet",
                   "document", "utterance", "query", "description", "title", "question", "snippet")
LABEL_NAME_HINTS = ("label", "labels", "class", "category", "sentiment", "target", "intent", "topic",
                    "y", "tag", "polarity", "rating", "stars", "emotion", "spam", "classe", "categorie")


@dataclass
class Table:
    """A table read from disk, every cell a string (missing cells are None)."""

    frame: pd.DataFrame
    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def read_table(path: str | Path) -> Table:
    path = Path(path)
    if not path.exists():
        raise DataError(f"The file “{path.name}” does not exist.", "Check the path and try again.")
    if path.is_dir():
        raise DataError(f"“{path.name}” is a folder, not a data file.", "Choose a file inside it.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"The file “{path.name}” is empty.", "Choose a file that contains your examples.")
    if size > MAX_FILE_BYTES:
        raise DataError(f"The file “{path.name}” is larger than 2 GB.", "Split it into smaller files.")
    suffix = path.suffix.lower()
    try:
        if suffix in EXCEL_SUFFIXES:
            table = _read_excel(path)
        elif suffix in PARQUET_SUFFIXES:
            table = _read_parquet(path)
        elif suffix in JSON_SUFFIXES:
            table = _read_json(path)
        elif suffix in TEXT_SUFFIXES or suffix == "":
            table = _read_delimited(path)
        else:
            raise DataError(f"LoRA Studio cannot read “{path.suffix}” files.",
                            f"Save the data as one of: {', '.join(SUPPORTED)}.")
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - parsers (pandas, openpyxl, pyarrow) raise many kinds
        raise DataError(f"“{path.name}” could not be read as a {suffix.lstrip('.') or 'text'} table.",
                        f"Check that the file is not damaged. (Details: {_short(exc)})") from exc
    table.frame.columns = _unique_names(table.frame.columns)
    if table.frame.shape[0] == 0 or table.frame.shape[1] == 0:
        raise DataError(f"“{path.name}” contains no rows of data.", "Add examples below the header row.")
    return table


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__


def _unique_names(columns) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, col in enumerate(columns):
        name = str(col).strip() or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return out


# ---------------------------------------------------------------- text files
def decode_bytes(raw: bytes) -> tuple[str, str]:
    """Decode a text file, returning (text, encoding name). Never assumes UTF-8 blindly."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                      (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            return raw.decode(name), name
    head = raw[:4096]
    if head and head.count(b"\x00") > len(head) // 4:  # UTF-16 without a BOM: every other byte is 0
        name = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return raw.decode(name), name
        except UnicodeDecodeError:
            pass
    if b"\x00" in head:
        raise DataError("This looks like a binary file, not a text table.",
                        f"Export it as CSV or use one of: {', '.join(SUPPORTED)}.")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str, suffix: str) -> str:
    if suffix in {".tsv", ".tab"}:
        return "\t"
    if suffix == ".psv":
        return "|"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        pass
    # Sniffer gives up on quoted multi-line fields: count candidates on the header line instead.
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in ",;\t|"}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_delimited(path: Path) -> Table:
    text, encoding = decode_bytes(path.read_bytes())
    # Windows and old-Mac line ends: \r\n becomes \n; a stray \r left inside a field stays text
    # because only \n ends a row.
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise DataError(f"The file “{path.name}” is empty.", "Choose a file that contains your examples.")
    delimiter = sniff_delimiter(text, path.suffix.lower())
    frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                        na_filter=False, lineterminator="\n", skip_blank_lines=True,
                        on_bad_lines="error", engine="c")
    frame = frame.replace({"\r": ""}, regex=False)  # a cell that is only a stray \r is empty
    frame.columns = [str(c).replace("\r", "") for c in frame.columns]
    notes = []
    if frame.shape[1] == 1 and delimiter == ",":
        notes.append("Only one column was found; if your file uses another separator, save it as CSV.")
    return Table(frame, path, _format_name(delimiter), encoding, delimiter, notes)


def _format_name(delimiter: str) -> str:
    return {",": "CSV", "\t": "TSV", ";": "CSV (semicolon)", "|": "CSV (pipe)"}.get(delimiter, "CSV")


# ---------------------------------------------------------------- other formats
def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells to str, real missing values to None; numbers keep their written form (1, not 1.0)."""
    def cell(v):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    return pd.DataFrame({c: [cell(v) for v in frame[c].tolist()] for c in frame.columns}, dtype=object)


def _read_json(path: Path) -> Table:
    text, encoding = decode_bytes(path.read_bytes())
    stripped = text.lstrip()
    lines = path.suffix.lower() in {".jsonl", ".ndjson"} or not stripped.startswith("[")
    frame = pd.read_json(io.StringIO(text), lines=lines, dtype=False)
    return Table(_as_strings(frame), path, "JSON Lines" if lines else "JSON", encoding)


def _read_parquet(path: Path) -> Table:
    return Table(_as_strings(pd.read_parquet(path)), path, "Parquet")


def _read_excel(path: Path) -> Table:
    frame = pd.read_excel(path, engine="openpyxl", dtype=object, keep_default_na=False, na_filter=False)
    frame = frame.replace({"": None})
    return Table(_as_strings(frame), path, "Excel")


# ---------------------------------------------------------------- column guessing
def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def guess_columns(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    """Guess (text column, label column) from names and content."""
    columns = [str(c) for c in frame.columns]
    if not columns:
        return None, None
    sample = frame.head(5000)
    stats = {}
    for col in columns:
        values = [v for v in sample[col].tolist() if v not in (None, "")]
        if not values:
            stats[col] = (0.0, 0, 0.0)
            continue
        mean_len = sum(len(v) for v in values) / len(values)
        unique = len(set(values))
        stats[col] = (mean_len, unique, unique / len(values))

    def text_score(col):
        mean_len, unique, ratio = stats[col]
        hint = 3.0 if _norm(col) in TEXT_NAME_HINTS or any(h in _norm(col) for h in ("text", "review")) else 0.0
        return hint + min(mean_len, 400) / 40 + ratio * 2

    text_col = max(columns, key=text_score)
    if stats[text_col][0] == 0:
        text_col = None

    def label_score(col):
        mean_len, unique, ratio = stats[col]
        if col == text_col or mean_len == 0:
            return float("-inf")
        hint = 4.0 if _norm(col) in LABEL_NAME_HINTS else 0.0
        if unique < 2:  # still the label if named so: the report then says "only one class"
            return hint - 10
        few = 3.0 if unique <= 50 else (1.0 if unique <= 200 else -5.0)
        return hint + few - ratio * 3 - min(mean_len, 100) / 50

    candidates = [c for c in columns if c != text_col]
    label_col = max(candidates, key=label_score) if candidates else None
    if label_col is not None and label_score(label_col) == float("-inf"):
        label_col = None
    return text_col, label_col
