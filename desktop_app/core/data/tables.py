"""Read a user's table (CSV/TSV/JSONL/JSON/Parquet/Excel) into a DataFrame of strings.

Everything is read as text: "NA", "None", "null" and "" stay what the user wrote (pandas would
turn them into NaN), encodings and delimiters are sniffed, and quoted multi-line fields survive.
"""

from __future__ import annotations

import codecs
import csv
import io
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import pandas as pd

from .columns import guess_columns  # noqa: F401 - the table's callers guess its columns from here too
from .decoding import HEAD_BYTES, LineDecoder, decode_bytes  # noqa: F401 - decode_bytes: the module's API
from ..base.errors import DataError
from ..base.sanitize import printable

# Caps, so that no file, however small on disk, takes more than 2 GB of memory (docs/RELIABILITY.md):
MAX_FILE_BYTES = 2 * 1024**3  # any file; predictions stream through it a chunk at a time
MAX_READ_BYTES = 256 * 1024**2  # a file read whole (check, train, evaluate): text on disk, or as unpacked
MAX_JSON_BYTES = 64 * 1024**2  # a JSON array is parsed whole, into a dict per row: a smaller cap
MAX_ROWS = 1_000_000  # rows of a file read whole
MAX_COLUMNS = 1_000
MAX_TABLE_BYTES = 512 * 1024**2  # a table read whole, as held in memory (cells and their text)
MAX_LINE_BYTES = 16 * 1024**2  # one line of a text file
LIST_JOIN = ";"  # how a cell holding a list (JSON, Parquet) is read: labels joined as multilabel.py sniffs them
TEXT_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".psv"}
JSON_SUFFIXES = {".jsonl", ".ndjson", ".json"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = sorted(TEXT_SUFFIXES | JSON_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES)


@dataclass
class Table:
    """A table read from disk, every cell a string (missing cells are None)."""

    frame: pd.DataFrame
    path: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)  # other encodings that fit, when `encoding` is a guess

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def read_table(path: str | Path, encoding: str | None = None) -> Table:
    """The whole table, within the caps above (a sentence names the cap a file goes beyond). `encoding`
    (text files): the user's choice, else sniffed."""
    path = _checked(path)
    frames, rows, size, last = [], 0, 0, None
    with _read_errors(path):
        for last in _chunks(path, 8192, encoding, whole=True):
            rows += len(last.frame)
            size += int(last.frame.memory_usage(deep=True, index=False).sum())
            if rows > MAX_ROWS:
                raise _too_big(path, f"has more than {MAX_ROWS:,} rows")
            if size > MAX_TABLE_BYTES:
                raise _too_big(path, f"holds more than {_mb(MAX_TABLE_BYTES)} of text")
            frames.append(last.frame)
    if last is None:
        raise _no_rows(path)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise _no_rows(path)
    return Table(frame, path, last.format, last.encoding, last.delimiter, last.notes, last.candidates)


def iter_table(path: str | Path, chunk_rows: int = 2048, encoding: str | None = None) -> Iterator[Table]:
    """The table as chunks of at most `chunk_rows` rows, so that memory does not grow with the file.

    Every chunk is a Table with the same columns; its notes cover the lines decoded so far. Text
    files are sniffed from their first HEAD_BYTES. A JSON array cannot be streamed: it is read whole.
    """
    path = _checked(path)
    rows = 0
    with _read_errors(path):
        for table in _chunks(path, chunk_rows, encoding, whole=False):
            if table.frame.shape[1]:
                rows += len(table.frame)
            yield table
    if not rows:
        raise _no_rows(path)


def _chunks(path: Path, chunk_rows: int, encoding: str | None, whole: bool) -> Iterator[Table]:
    """The file's rows a chunk at a time, its columns named uniquely. `whole`: the caller keeps every row,
    so the file is sniffed whole and its size on disk (or unpacked) is capped first."""
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        chunks = _excel_chunks(path, chunk_rows, whole)
    elif suffix in PARQUET_SUFFIXES:
        chunks = _parquet_chunks(path, chunk_rows, whole)
    elif suffix == ".json" and _json_array(path):
        table = _read_json(path, encoding)
        chunks = (Table(table.frame.iloc[i:i + chunk_rows], path, table.format, table.encoding, notes=table.notes,
                        candidates=table.candidates) for i in range(0, len(table.frame), chunk_rows))
    else:
        if whole and path.stat().st_size > MAX_READ_BYTES:
            raise _too_big(path, f"is larger than {_mb(MAX_READ_BYTES)}")
        chunks = _text_chunks(path, chunk_rows, encoding, whole)
    for table in chunks:
        table.frame.columns = _unique_names(table.frame.columns)
        yield table


def _mb(size: int) -> str:
    return f"{size / 1024**2:,.3g} MB"


def _too_big(path: Path, what: str, hint: str = "Keep a part of it in a smaller file (predicting reads a file "
                                                 "of any length up to 2 GB, a part at a time).") -> DataError:
    return DataError(f"“{printable(path.name)}” {what}: more than LoRA Studio reads at once.", hint)


def _checked(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise DataError(f"The file “{path.name}” does not exist.", "Check the path and try again.")
    if path.is_dir():
        raise DataError(f"“{path.name}” is a folder, not a data file.", "Choose a file inside it.")
    if not path.is_file():  # a pipe (a shell's <(…), a FIFO) or a device: it has no size and reads only once
        kind = "a pipe" if stat.S_ISFIFO(path.stat().st_mode) else "not a file but a device or socket"
        raise DataError(f"“{printable(path)}” is {kind}, not a saved file; LoRA Studio reads a data file more "
                        "than once.", "Save the data to a file first, and give that file's name.")
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


def _clean_cells(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.replace({"\r": ""}, regex=False)  # a cell that is only a stray \r is empty
    frame.columns = [str(c).replace("\r", "") for c in frame.columns]
    return frame


def _text_chunks(path: Path, chunk_rows: int, encoding: str | None = None, whole: bool = False) -> Iterator[Table]:
    """CSV/TSV/JSON Lines, chunk by chunk. The encoding and the line ends are sniffed from the first
    HEAD_BYTES, or from the whole file when it is read `whole` (it is then at most MAX_READ_BYTES)."""
    with path.open("rb") as fh:
        head = fh.read(MAX_READ_BYTES if whole else HEAD_BYTES)
        if not whole and len(head) == HEAD_BYTES and b"\n" in head:
            head = head[:head.rindex(b"\n") + 1]  # no line cut in half, for the encoding vote
        decoder = LineDecoder.named(encoding) if encoding else LineDecoder.sniff(head)
        preview = codecs.getincrementaldecoder(decoder.encoding)(errors="replace").decode(head[:HEAD_BYTES])
        del head
        if not preview.strip():
            raise DataError(f"The file “{path.name}” is empty.", "Choose a file that contains your examples.")
        # Windows line ends (\r\n) become \n, and a stray \r inside a field stays text, as only \n ends a
        # row; but in a file with no \n at all, lines end in a lone \r (old Macs, some exports).
        newline = "\r" if "\r" in preview and "\n" not in preview else "\n"
        preview = preview.replace("\r\n", "\n").replace(newline, "\n")
        fh.seek(0)
        lines = _checked_lines(path, _text_lines(fh, decoder, newline))
        stream = _TextStream(line[:-2] + "\n" if line.endswith("\r\n") else line for line in lines)
        if path.suffix.lower() in JSON_SUFFIXES:
            for frame in pd.read_json(stream, lines=True, dtype=False, chunksize=chunk_rows):
                yield Table(_as_strings(frame), path, "JSON Lines", decoder.encoding, notes=decoder.notes(),
                            candidates=decoder.candidates)
            return
        delimiter = sniff_delimiter(preview, path.suffix.lower())
        if preview.split("\n", 1)[0].count(delimiter) >= MAX_COLUMNS:
            raise DataError(f"“{printable(path.name)}” has more than {MAX_COLUMNS:,} columns.",
                            "Keep the text and label columns in a smaller file.")
        notes = ["Only one column was found; if your file uses another separator, save it as CSV."]
        for frame in pd.read_csv(stream, sep=delimiter, chunksize=chunk_rows, **_CSV_OPTIONS):
            one_column = frame.shape[1] == 1 and delimiter == ","
            yield Table(_clean_cells(frame), path, _format_name(delimiter), decoder.encoding, delimiter,
                        decoder.notes() + (notes if one_column else []), decoder.candidates)


def _text_lines(fh, decoder: LineDecoder, newline: str) -> Iterator[str]:
    """The file's lines decoded, each ending in \n, at most MAX_LINE_BYTES (+1, so that a longer one shows)."""
    if decoder.whole:  # UTF-16/32: a line end is not one byte, the text wrapper finds it
        text = io.TextIOWrapper(fh, decoder.encoding, newline=newline)
        lines = iter(lambda: text.readline(MAX_LINE_BYTES + 1), "")
        yield from (line[:-1] + "\n" if newline == "\r" and line.endswith("\r") else line for line in lines)
        return
    if newline == "\n":
        yield from decoder.lines(iter(lambda: fh.readline(MAX_LINE_BYTES + 1), b""))
        return
    yield from decoder.lines(_lines_ending_in_cr(fh))


def _lines_ending_in_cr(fh) -> Iterator[bytes]:
    """A file's lines split at a lone \r, each given a \n instead (no legacy encoding has the byte \r inside
    a character)."""
    rest = b""
    while block := fh.read(1024**2):
        *lines, rest = (rest + block).split(b"\r")
        yield from (line + b"\n" for line in lines)
        if len(rest) > MAX_LINE_BYTES:
            break
    if rest:
        yield rest


def _checked_lines(path: Path, lines: Iterator[str]) -> Iterator[str]:
    """Lines no longer than the cap and free of NUL, which no text table holds: a binary file is refused
    wherever its first NUL is, not only in the part the encoding was sniffed from."""
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_BYTES:
            raise DataError(f"Line {number:,} of “{printable(path.name)}” is longer than "
                            f"{_mb(MAX_LINE_BYTES)}: this does not look like a table of texts.",
                            "Check that it is the right file, with one example per line.")
        if "\x00" in line:
            raise DataError(f"“{printable(path.name)}” looks like a binary file, not a text table: line {number:,} "
                            "holds a NUL byte.", "Export it as CSV, or as JSON Lines, Parquet or Excel.")
        yield line


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
    return pd.DataFrame({c: _cells(frame[c]) for c in frame.columns}, dtype=object)


def _cells(column: pd.Series) -> list:
    """A column's cells as _cell_text makes them. A categorical column (a Parquet dictionary) is converted a
    category at a time, its rows sharing each string: a long value repeated on every row is held once."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return [_cell_text(v) for v in column.tolist()]
    names = [_cell_text(v) for v in column.cat.categories.tolist()]
    return [names[code] if code >= 0 else None for code in column.cat.codes.tolist()]


def _json_array(path: Path) -> bool:
    """A .json file that is one array (read whole), not JSON Lines that happen to be named .json."""
    with path.open("rb") as fh:
        start = fh.read(1024).lstrip(b"\xef\xbb\xbf \t\r\n\x00\xff\xfe")
    return start.startswith(b"[")


def _read_json(path: Path, encoding: str | None = None) -> Table:
    if path.stat().st_size > MAX_JSON_BYTES:  # parsed whole, several times its size in memory
        raise _too_big(path, f"is a JSON array larger than {_mb(MAX_JSON_BYTES)}",
                       "Save it as JSON Lines (one object per line), which is read a part at a time.")
    raw = path.read_bytes()
    decoder = LineDecoder.named(encoding) if encoding else LineDecoder.sniff(raw)
    text = decoder.decode(raw)
    del raw
    frame = pd.read_json(io.StringIO(text), lines=False, dtype=False)
    return Table(_as_strings(frame), path, "JSON", decoder.encoding, notes=decoder.notes(),
                 candidates=decoder.candidates)


def _parquet_chunks(path: Path, chunk_rows: int, whole: bool) -> Iterator[Table]:
    """Parquet packs well: a small file can declare millions of rows or unpack to gigabytes. Its metadata
    says how many rows and bytes it holds, checked before any is read; its text columns are read as
    dictionaries (each distinct value once), so a value repeated a million times is not a million copies."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as probe:
        meta, schema = probe.metadata, probe.schema_arrow
    if meta.num_columns > MAX_COLUMNS:
        raise DataError(f"“{printable(path.name)}” has more than {MAX_COLUMNS:,} columns.",
                        "Keep the text and label columns in a smaller file.")
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if whole and meta.num_rows > MAX_ROWS:
        raise _too_big(path, f"has {meta.num_rows:,} rows, more than {MAX_ROWS:,}")
    if whole and unpacked > MAX_READ_BYTES:
        raise _too_big(path, f"unpacks to more than {_mb(MAX_READ_BYTES)}")
    texts = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    with pq.ParquetFile(path, read_dictionary=texts) as parquet:
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            yield Table(_as_strings(batch.to_pandas()), path, "Parquet")


def _excel_chunks(path: Path, chunk_rows: int, whole: bool) -> Iterator[Table]:
    """The first sheet's rows as pandas reads them (cached formula values, blank rows skipped), streamed.
    A workbook is a zip: what it unpacks to, and the size its first sheet declares, are checked first."""
    import zipfile

    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as packed:  # zipfile never unpacks more than an entry declares
        unpacked = sum(info.file_size for info in packed.infolist())
    if unpacked > 2 * MAX_READ_BYTES:
        raise _too_big(path, f"unpacks to more than {_mb(2 * MAX_READ_BYTES)}")
    book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        sheet = book.worksheets[0]
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise DataError(f"The first sheet of “{printable(path.name)}” has {sheet.max_column:,} columns, more "
                            f"than {MAX_COLUMNS:,}.", "Copy the text and label columns to a new workbook.")
        if whole and (sheet.max_row or 0) > MAX_ROWS + 1:
            raise _too_big(path, f"has {sheet.max_row - 1:,} rows in its first sheet, more than {MAX_ROWS:,}")
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, ())
        names = [f"Unnamed: {i}" if v is None else _cell_text(v) for i, v in enumerate(header)]
        rows = (row for row in rows if any(v not in (None, "") for v in row))
        while batch := list(islice(rows, chunk_rows)):
            frame = pd.DataFrame(batch, columns=names, dtype=object).replace({"": None})
            yield Table(_as_strings(frame), path, "Excel")
    finally:
        book.close()
