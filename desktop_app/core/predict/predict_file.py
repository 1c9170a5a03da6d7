"""Predictions for a whole file, streamed, and tables saved as CSV without ever losing the user's file.

`predict_file` reads the input a chunk at a time (data.iter_table), classifies each chunk and appends
its rows to a temporary sibling of the destination, renamed over it only once complete: memory does not
grow with the rows, and a crash, an error or a cancel leaves the destination as it was.
Every cell written — texts, labels, column names — goes through `spreadsheet_safe`, so nothing in a
user's data or an adapter's label names can run as a formula when the CSV is opened in a spreadsheet.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from ..disk.atomic import atomic_file, remove_unfinished
from .explain import explain
from ..data.multilabel import spec_for_model, split_cell
from ..metrics.multilabel_metrics import multilabel_batch_summary
from ..disk.ownership import owned
from ..data.tables import guess_columns, iter_table
from ..disk.destinations import check_destination as check_output, exclusive, saving_failed
from ..base.errors import DataError, OutputError
from ..metrics.evaluation import batch_summary
from ..metrics.reports import BatchSummary
from .inference import Prediction, predict_frame
from ..base.sanitize import printable, spreadsheet_safe


@dataclass
class Written:
    rows: int
    notes: list[str] = field(default_factory=list)  # about reading the input (lines in another encoding)
    summary: BatchSummary | None = None  # rows, time and, with a label column in the file, agreement with it


def predict_file(classifier, source: str | Path, dest: str | Path, text_column: str | None = None,
                 chunk_rows: int = 2048, on_progress: Callable[[int], None] | None = None,
                 cancel=None, explain: str | None = None, overwrite: bool = False,
                 encoding: str | None = None) -> Written | None:
    """Write `source` plus predicted_label, confidence and prob_<label> columns to the CSV file `dest`
    (an existing CSV file only with `overwrite`: see check_predictions_destination).

    on_progress gets the number of rows written so far. Returns None if `cancel` is set (dest untouched).
    """
    dest = check_predictions_destination(dest, source, overwrite)
    try:
        with _replacing(dest) as fh:
            written = predict_to(fh, classifier, source, text_column, chunk_rows, on_progress, cancel,
                                 explain=explain, encoding=encoding)
            if cancel is not None and cancel.cancelled:
                raise _Cancelled
    except _Cancelled:
        return None
    return written


def predict_to(stream: TextIO, classifier, source: str | Path, text_column: str | None = None,
               chunk_rows: int = 2048, on_progress: Callable[[int], None] | None = None, cancel=None,
               cell: Callable = spreadsheet_safe, explain: str | None = None, encoding: str | None = None) -> Written:
    """predict_file's CSV written to an open text stream (the terminal), chunk by chunk. With `explain`
    ("fast" or "careful", explain.py), a top_words column: the words that supported each row's label most."""
    written = Written(0)
    keys = _AnswerKey(classifier)
    started = time.monotonic()
    frames = _predicted(classifier, source, text_column, chunk_rows, cancel, written.notes, encoding)
    if explain:
        frames = _with_top_words(frames, classifier, explain, cancel)
    written.rows = write_csv((keys.add(frame) for frame in frames), stream, on_progress, cell)
    written.summary = keys.summary(time.monotonic() - started)
    return written


class _AnswerKey:
    """What batch_summary needs from a streamed file, without keeping its texts: the predictions and the
    columns that may hold the model's labels (each chunk drops the columns that cannot); multi-label, also
    the model's 0/1 label columns (a cell that is not 0/1 leaves its row unscored, not the column out)."""

    def __init__(self, classifier) -> None:
        self.classifier = classifier
        self.order, self.labels = list(classifier.labels), set(classifier.labels)
        self.multi = getattr(classifier, "multi_label", False)
        reading = _reading(classifier) if self.multi else None
        self.separator = (reading.separator or ";") if reading else None
        self.flag_names = set(reading.columns) if reading else set()
        # multi-label: the probabilities are kept, so the summary orders the mistakes by them
        self.answers = ["predicted_labels", *(f"prob_{n}" for n in self.order)] if self.multi \
            else ["predicted_label", "confidence"]
        self.columns: list[str] | None = None
        self.flags: list = []
        self.kept: list = []

    def add(self, frame):
        added = set(self.answers) | {f"prob_{name}" for name in self.labels}
        if self.columns is None:
            self.flags = [c for c in frame.columns if str(c) in self.flag_names and c not in added]
        candidates = [c for c in frame.columns if c not in added and c not in self.flags] \
            if self.columns is None else self.columns
        self.columns = [c for c in candidates if _only_labels(frame[c].tolist(), self.labels, self.separator)]
        wanted = self.flags + self.columns + self.answers
        if self.kept and list(self.kept[0].columns) != wanted:  # a column stopped looking like labels
            self.kept = [k[wanted] for k in self.kept]
        self.kept.append(frame[wanted].copy())
        return frame

    def summary(self, seconds: float) -> BatchSummary:
        import pandas as pd

        frame = pd.concat(self.kept, ignore_index=True) if self.kept else pd.DataFrame(columns=self.answers)
        frame["_text"] = ""  # the texts are not kept: a terminal shows no mistakes list
        return summarise(self.classifier, frame, "_text", seconds)


def summarise(classifier, frame, text_column: str, seconds: float) -> BatchSummary:
    """The summary of predict_frame's output for this classifier (the CLI's streamed files and the window's
    tables alike): evaluation.batch_summary, or its multi-label twin, which reads the file's labels as the
    model's training file was read and scores the frame's own predicted_labels."""
    if getattr(classifier, "multi_label", False):
        reading = _reading(classifier)
        return multilabel_batch_summary(frame, classifier.labels, classifier.cut_points(), text_column, seconds,
                                        reading.separator or ";", reading.columns, reading.none_of_these)
    return batch_summary(frame, classifier.labels, text_column, seconds)


def _reading(classifier):
    """How the model's training file was read (multilabel.LabelSpec from its manifest's settings): the
    separator (None: ";"), the 0/1 label columns, whether a row without labels means none of these."""
    return spec_for_model(getattr(classifier, "manifest", None))


def _with_top_words(frames, classifier, method: str, cancel):
    """Each row's explanation from the prediction already in the frame (no second forward pass for it)."""
    import numpy as np

    multi = getattr(classifier, "multi_label", False)
    for frame in frames:
        words = []
        n = len(frame)
        rows = zip(frame[frame.attrs["text_column"]].tolist(),
                   frame["predicted_label"].tolist() if not multi else [""] * n,
                   frame["confidence"].tolist() if not multi else [0.0] * n,
                   *(frame[f"prob_{n}"].tolist() for n in classifier.labels))
        for text, label, confidence, *probs in rows:
            if cancel is not None and cancel.cancelled:
                return
            if multi:
                prediction = classifier.label_set(np.asarray(probs, dtype=float))
            else:
                prediction = Prediction(label, float(confidence), dict(zip(classifier.labels, map(float, probs))))
            words.append("; ".join(explain(classifier, "" if text is None else str(text), method=method,
                                           prediction=prediction).top_words()))
        frame["top_words"] = words
        yield frame


def _only_labels(cells, labels, separator: str | None = None) -> bool:
    """Every non-empty cell is one of `labels` (multi-label: a set of them joined by `separator`)."""
    if separator is not None:
        return all(c is None or c != c or set(split_cell(str(c), separator)) <= labels for c in cells)
    return all(c is None or c != c or str(c).strip() in labels or not str(c).strip() for c in cells)


def write_frame_csv(frame, dest: str | Path, overwrite: bool = False) -> None:
    """Save a table (the batch panel's predictions) as CSV: atomically, neutralised, with the usual permissions."""
    dest = check_predictions_destination(dest, overwrite=overwrite)
    with _replacing(dest) as fh:
        write_csv([frame], fh)


def check_predictions_destination(dest: str | Path, source: str | Path | None = None, overwrite: bool = False) -> Path:
    """A predictions file replaces an existing file only when the caller says so (`overwrite`: the CLI's
    --overwrite, the window's question), and then only a CSV (ownership.py), never a workbook or a document;
    never a folder nor the input it is computed from; the rest (protected folders, writability, free space)
    as for every output (destinations.py)."""
    dest = Path(dest)
    if dest.is_dir():
        raise DataError(f"“{printable(dest)}” is a folder; name a file for the predictions, such as "
                        f"“{printable(dest / 'predictions.csv')}”.")
    if source is not None and dest.exists() and dest.samefile(source):
        raise DataError(f"“{printable(dest.name)}” is the file being classified; it was left untouched.",
                        "Name another file for the predictions.")
    if dest.exists() or dest.is_symlink():
        if not owned(dest, "predictions"):
            raise OutputError(f"“{printable(dest)}” already exists and is not a CSV file, so LoRA Studio will not "
                              "write predictions over it; it was left untouched.",
                              "Name a new .csv file for the predictions.")
        if not overwrite:
            raise OutputError(f"“{printable(dest)}” already exists, so it was left untouched.",
                              "Say that it may be replaced (--overwrite), or name a new file.")
    return check_output(dest, "predictions")


def write_csv(frames: Iterable, stream: TextIO, on_progress: Callable[[int], None] | None = None,
              cell: Callable = spreadsheet_safe) -> int:
    """Write DataFrames as one CSV (the header from the first); every cell through `cell`. Returns the rows."""
    plain = csv.writer(stream, lineterminator="\n")
    # csv quotes a cell holding \n (its line end) but not one holding a lone \r or another line break,
    # and spreadsheets start a new row there: the text after it would be a cell of its own, a formula
    # unescaped. A row with such a cell is written with every text quoted, which keeps the break inside.
    quoted = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)

    def write(row: list) -> None:
        breaks = any(isinstance(v, str) and _LINE_BREAK.search(v) for v in row)
        (quoted if breaks else plain).writerow(row)

    rows = 0
    for i, frame in enumerate(frames):
        if i == 0:
            write([cell(str(c)) for c in frame.columns])
        # .tolist() gives Python scalars: csv would write a numpy float as "np.float64(0.5)"
        columns = [frame.iloc[:, j].tolist() for j in range(frame.shape[1])]
        for row in zip(*columns):
            write([cell(v) for v in row])
        rows += len(frame)
        if on_progress:
            on_progress(rows)
    return rows


# every line break str.splitlines knows, but \n (csv quotes that one itself)
_LINE_BREAK = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class _Cancelled(Exception):
    pass


def _predicted(classifier, source, text_column, chunk_rows, cancel, notes: list[str], encoding=None) -> Iterator:
    column = text_column
    for table in iter_table(source, chunk_rows, encoding):
        column = column or guess_columns(table.frame)[0]
        if column is None:
            raise DataError(f"No text column could be found among: {', '.join(table.columns)}.",
                            "Name the text column.")
        if column not in table.columns:
            raise DataError(f"There is no text column “{column}”.", f"The columns are: {', '.join(table.columns)}.")
        frame = predict_frame(classifier, table.frame, column, cancel=cancel)
        if frame is None:  # cancelled
            return
        notes[:] = table.notes
        frame.attrs["text_column"] = column
        yield frame


@contextmanager
def _replacing(dest: Path) -> Iterator[TextIO]:
    """A temporary sibling of `dest` that replaces it once complete (keeping its permissions, else the
    umask's); on any failure it vanishes and dest is untouched. OSError becomes one plain sentence.
    Under the destination's lock, the `.part` files a killed run left beside it (ours by their signed
    name, ownership.py) are removed first."""
    try:
        with exclusive(dest):
            remove_unfinished(dest)
            with atomic_file(dest, "w", encoding="utf-8", newline="") as fh:
                yield fh
    except OSError as exc:
        raise saving_failed(dest, exc) from exc

