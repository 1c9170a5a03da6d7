"""Labels made or fixed, saved as a NEW file beside the user's: the user's own file is never written.

A `LabelFile` is a CSV this process created under a free name ("reviews-labelled.csv", "-2", …) and rewrites whole,
atomically (a temporary sibling, fsync, rename), after every change: a kill loses at most the change being made,
and a reader never sees half a file. Before each rewrite it checks that the file is still the one it wrote (same
file, size and time): if anyone else replaced or edited it meanwhile, nothing of theirs is written over, the labels
go to a fresh name instead, and `moved` says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..base.errors import DataError
from ..data.multilabel import LabelSpec
from ..disk.atomic import atomic_file
from ..disk.destinations import free_name, saving_failed

DEFAULT_SEPARATOR = ";"


@dataclass
class LabelFile:
    path: Path
    _stamp: tuple | None = None
    moved: list[str] = field(default_factory=list)  # sentences: where and why the file went elsewhere

    @classmethod
    def beside(cls, source: str | Path, suffix: str) -> "LabelFile":
        """A free name beside `source`: "<stem>-<suffix>.csv", else "-2", "-3"…"""
        source = Path(source)
        path = source.with_name(f"{source.stem}-{suffix}.csv")
        return cls(free_name(path) if path.exists() or path.is_symlink() else path)

    def write(self, frame: pd.DataFrame) -> Path:
        """The whole table, atomically. Returns where it went."""
        if self._stamp is not None and _stamp(self.path) != self._stamp:
            old, self.path = self.path, free_name(self.path)
            self.moved.append(f"“{old.name}” was changed by another program, so it was left as it is; the labels "
                              f"are saved in “{self.path.name}” instead.")
        elif self._stamp is None and (self.path.exists() or self.path.is_symlink()):
            self.path = free_name(self.path)  # taken since the name was chosen: never ours to replace
        try:
            with atomic_file(self.path, "w", encoding="utf-8", newline="") as fh:
                frame.to_csv(fh, index=False)
        except OSError as exc:
            raise saving_failed(self.path, exc) from exc
        self._stamp = _stamp(self.path)
        return self.path


def _stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def set_labels(frame: pd.DataFrame, row: int, labels: tuple[str, ...], label_column: str | None,
               spec: LabelSpec = LabelSpec(), multi_label: bool = False) -> None:
    """Write one row's labels the way the file holds them: one 0/1 column per label, or one column holding the
    label (several joined by the file's separator)."""
    if spec.columns:
        for column in spec.columns:
            frame.at[row, column] = "1" if column in labels else "0"
        return
    if label_column is None or label_column not in frame.columns:
        raise DataError("The file has no label column to write the labels to.", "Choose the label column.")
    if multi_label:
        frame.at[row, label_column] = (spec.separator or DEFAULT_SEPARATOR).join(labels)
    else:
        frame.at[row, label_column] = labels[0] if labels else ""


def reviewed_table(frame: pd.DataFrame, fixes: dict[int, tuple[str, ...]], drops: set[int],
                   label_column: str | None, spec: LabelSpec = LabelSpec(), multi_label: bool = False) -> pd.DataFrame:
    """The user's table (every column, every row as read) with the fixed rows' labels changed and the dropped rows
    left out. Rows are the table's data rows, 0-based."""
    out = frame.copy()
    for row, labels in fixes.items():
        set_labels(out, row, labels, label_column, spec, multi_label)
    return out.drop(index=[out.index[r] for r in sorted(drops)]).reset_index(drop=True)
