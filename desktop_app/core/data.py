"""Read a user's table (CSV/TSV/JSONL/JSON/Parquet/Excel) into a DataFrame of strings.

Everything is read as text: "NA", "None", "null" and "" stay what the user wrote (pandas would
turn them into NaN), encodings and delimiters are sniffed, and quoted multi-line fields survive.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pandas as pd

from .decoding import HEAD_BYTES, LineDecoder, decode_bytes
from .errors import DataError

MAX_FILE_BYTES = 2 * 1024**3
LIST_JOIN = ";"  # how a cell holding a list (JSON, Parquet) is read: labels joined as multilabel.py sniffs them
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
    path = _checked(path)
    suffix = path.suffix.lower()
    with _read_errors(path):
        if suffix in EXCEL_SUFFIXES:
            table = _read_excel(path)
        elif suffix in PARQUET_SUFFIXES:
            table = _read_parquet(path)
        elif suffix in JSON_SUFFIXES:
            table = _read_json(path)
        else:
            table = _read_delimited(path)
    table.frame.columns = _unique_names(table.frame.columns)
    if table.frame.shape[0] == 0 or table.frame.shape[1] == 0:
        raise _no_rows(path)
    return table


def iter_table(path: str | Path, chunk_rows: int = 2048) -> Iterator[Table]:
    """The table as chunks of at most `chunk_rows` rows, so that memory does not grow with the file.

    Every chunk is a Table with the same columns; its notes cover the lines decoded so far. Text
    files are sniffed from their first HEAD_BYTES. A JSON array cannot be streamed: it is read whole.
    """
    path = _checked(path)
    suffix = path.suffix.lower()
    rows = 0
    with _read_errors(path):
        if suffix in EXCEL_SUFFIXES:
            chunks = _excel_chunks(path, chunk_rows)
        elif suffix in PARQUET_SUFFIXES:
            chunks = _parquet_chunks(path, chunk_rows)
        elif suffix == ".json":
            whole = _read_json(path)
            chunks = (Table(whole.frame.iloc[i:i + chunk_rows], path, whole.format, whole.encoding,
                            notes=whole.notes) for i in range(0, len(whole.frame), chunk_rows))
        else:
            chunks = _text_chunks(path, chunk_rows)
        for table in chunks:
            table.frame.columns = _unique_names(table.frame.columns)
            if table.frame.shape[1]:
                rows += len(table.frame)
            yield table
    if not rows:
        raise _no_rows(path)


def _checked(path: str | Path) -> Path:
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
    if suffix not in TEXT_SUFFIXES | JSON_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES | {""}:
        raise DataError(f"LoRA Studio cannot read “{path.suffix}” files.",
                        f"Save the data as one of: {', '.join(SUPPORTED)}.")
    return path


@contextmanager
def _read_errors(path: Path):
    """Parsers (pandas, openpyxl, pyarrow) raise many kinds of errors: each becomes one plain DataError."""
    try:
        yield
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DataError(f"“{path.name}” could not be read as a {path.suffix.lower().lstrip('.') or 'text'} table.",
                        f"Check that the file is not damaged. (Details: {_short(exc)})") from exc


def _no_rows(path: Path) -> DataError:
    return DataError(f"“{path.name}” contains no rows of data.", "Add examples below the header row.")


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


_CSV_OPTIONS = dict(dtype=str, keep_default_na=False, na_filter=False, lineterminator="\n",
                    skip_blank_lines=True, on_bad_lines="error", engine="c")


def _read_delimited(path: Path) -> Table:
    text, encoding, notes = decode_bytes(path.read_bytes())
    # Windows and old-Mac line ends: \r\n becomes \n; a stray \r left inside a field stays text
    # because only \n ends a row.
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise DataError(f"The file “{path.name}” is empty.", "Choose a file that contains your examples.")
    delimiter = sniff_delimiter(text, path.suffix.lower())
    frame = _clean_cells(pd.read_csv(io.StringIO(text), sep=delimiter, **_CSV_OPTIONS))
    if frame.shape[1] == 1 and delimiter == ",":
        notes.append("Only one column was found; if your file uses another separator, save it as CSV.")
    return Table(frame, path, _format_name(delimiter), encoding, delimiter, notes)


def _clean_cells(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.replace({"\r": ""}, regex=False)  # a cell that is only a stray \r is empty
    frame.columns = [str(c).replace("\r", "") for c in frame.columns]
    return frame


def _text_chunks(path: Path, chunk_rows: int) -> Iterator[Table]:
    """CSV/TSV/JSON Lines read through the same decoder and parser options as read_table, chunk by chunk."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
        if len(head) == HEAD_BYTES and b"\n" in head:
            head = head[:head.rindex(b"\n") + 1]  # no line cut in half, for the encoding vote
        decoder = LineDecoder.sniff(head)
        preview = codecs.getincrementaldecoder(decoder.encoding)(errors="replace").decode(head)
        if not preview.strip():
            raise DataError(f"The file “{path.name}” is empty.", "Choose a file that contains your examples.")
        fh.seek(0)
        lines = io.TextIOWrapper(fh, decoder.encoding, newline="\n") if decoder.whole else decoder.lines(fh)
        stream = _TextStream(line[:-2] + "\n" if line.endswith("\r\n") else line for line in lines)
        if path.suffix.lower() in JSON_SUFFIXES:
            for frame in pd.read_json(stream, lines=True, dtype=False, chunksize=chunk_rows):
                yield Table(_as_strings(frame), path, "JSON Lines", decoder.encoding, notes=decoder.notes())
            return
        delimiter = sniff_delimiter(preview, path.suffix.lower())
        for frame in pd.read_csv(stream, sep=delimiter, chunksize=chunk_rows, **_CSV_OPTIONS):
            yield Table(_clean_cells(frame), path, _format_name(delimiter), decoder.encoding, delimiter,
                        decoder.notes())


class _TextStream:
    """Decoded lines as the file object pandas' chunked parsers take: the CSV parser calls read(n),
    the JSON Lines reader iterates (the two are never mixed)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines, self._rest = iter(lines), ""

    def read(self, size: int = -1) -> str:
        parts, have = [self._rest], len(self._rest)
        for line in self._lines:
            parts.append(line)
            have += len(line)
            if 0 <= size <= have:
                break
        text = "".join(parts)
        cut = len(text) if size < 0 else size
        self._rest = text[cut:]
        return text[:cut]

    def __iter__(self) -> Iterator[str]:
        return self._lines


def _format_name(delimiter: str) -> str:
    return {",": "CSV", "\t": "TSV", ";": "CSV (semicolon)", "|": "CSV (pipe)"}.get(delimiter, "CSV")


# ---------------------------------------------------------------- other formats
def _cell_text(v) -> str | None:
    """A cell as str, a real missing value as None; numbers keep their written form (1, not 1.0). A list
    (JSON Lines ["sports", "politics"], a Parquet list column) is its items joined by ";": a label set."""
    if isinstance(v, (list, tuple)) or type(v).__name__ == "ndarray":
        items = [_cell_text(x) for x in list(v)]
        return LIST_JOIN.join(x for x in items if x) or None
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: [_cell_text(v) for v in frame[c].tolist()] for c in frame.columns}, dtype=object)


def _read_json(path: Path) -> Table:
    text, encoding, notes = decode_bytes(path.read_bytes())
    stripped = text.lstrip()
    lines = path.suffix.lower() in {".jsonl", ".ndjson"} or not stripped.startswith("[")
    frame = pd.read_json(io.StringIO(text), lines=lines, dtype=False)
    return Table(_as_strings(frame), path, "JSON Lines" if lines else "JSON", encoding, notes=notes)


def _read_parquet(path: Path) -> Table:
    return Table(_as_strings(pd.read_parquet(path)), path, "Parquet")


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Table]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            yield Table(_as_strings(batch.to_pandas()), path, "Parquet")


def _read_excel(path: Path) -> Table:
    frame = pd.read_excel(path, engine="openpyxl", dtype=object, keep_default_na=False, na_filter=False)
    frame = frame.replace({"": None})
    return Table(_as_strings(frame), path, "Excel")


def _excel_chunks(path: Path, chunk_rows: int) -> Iterator[Table]:
    """The first sheet's rows as pandas reads them (cached formula values, blank rows skipped)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next(rows, ())
        names = [f"Unnamed: {i}" if v is None else _cell_text(v) for i, v in enumerate(header)]
        rows = (row for row in rows if any(v not in (None, "") for v in row))
        while batch := list(islice(rows, chunk_rows)):
            frame = pd.DataFrame(batch, columns=names, dtype=object).replace({"": None})
            yield Table(_as_strings(frame), path, "Excel")
    finally:
        book.close()


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
