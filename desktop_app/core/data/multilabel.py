"""Multi-label data: several labels per text, from one column whose cells join them ("sports;politics")
or from several 0/1 columns (one per label). Recognised without flags where that is unambiguous.

A row's labels are a tuple of names, in the column's order or the cell's order (dataset.Examples keeps
them so); an empty tuple means "none of these", allowed only when the user says so (LabelSpec).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..base.errors import DataError

SEPARATORS = (";", "|", ",")
MIN_SHARE = 0.05   # of the labelled rows hold several labels
MAX_LABELS = 200
TRUE = frozenset({"1", "true", "yes", "y", "t", "1.0"})
FALSE = frozenset({"0", "false", "no", "n", "f", "0.0"})


@dataclass(frozen=True)
class LabelSpec:
    """How the user wants the labels read. multi_label None: detect; True/False: the user's choice.
    separator None: sniffed. columns: several 0/1 columns, one per label (multi-label by nature).
    none_of_these: a row with no label means "none of these labels" instead of a row to skip."""

    multi_label: bool | None = None
    separator: str | None = None
    columns: tuple[str, ...] = ()
    none_of_these: bool = False

    @classmethod
    def from_config(cls, config) -> "LabelSpec":
        return cls(config.multi_label, config.label_separator, tuple(config.label_columns or ()),
                   config.none_of_these)

    def problems(self) -> list[str]:
        """What cannot go together, in words (the one rule: the data report, the CLI and the settings use it)."""
        out = []
        sep = self.separator
        if sep is not None and not (0 < len(sep) <= 5 and sep.strip() and sep.isprintable()):
            out.append("the label separator must be 1 to 5 visible characters, such as ; or |")
        if len(self.columns) > MAX_LABELS or len(set(self.columns)) != len(self.columns):
            out.append(f"the label columns must be at most {MAX_LABELS} different columns")
        elif len(self.columns) == 1:
            out.append("choose at least two 0/1 label columns, or one column that holds the labels")
        if self.multi_label is False and (self.columns or sep is not None or self.none_of_these):
            out.append("label columns, a label separator and “none of these” are for several labels per text, "
                       "not one")
        return out


@dataclass(frozen=True)
class MultiLabel:
    separator: str
    labels: tuple[str, ...]   # each single label, commonest first
    per_row: float            # labels per row, on average
    multi_rows: int           # rows with more than one label

    def describe(self) -> str:
        return (f"multi-label: {len(self.labels)} labels joined by “{self.separator}”, "
                f"{self.per_row:.1f} per row on average")


def split_cell(cell: str, separator: str) -> tuple[str, ...]:
    """A cell's labels: stripped, empties dropped, each once, in the cell's order."""
    return tuple(dict.fromkeys(p.strip() for p in cell.split(separator) if p.strip()))


def sniff(cells: Sequence[str]) -> MultiLabel | None:
    """The separator that splits `cells` into labels that recombine, if one does; else None.

    A separator counts when at least 5% of the cells hold several labels, every label of a joined cell also
    occurs in some other cell (labels recombine: "a;b", "a", "b;c"), and there are fewer labels than
    distinct cells. So "New York, NY"-like single labels, each unique, are not taken for multi-label."""
    cells = [c.strip() for c in cells if c and c.strip()]
    if not cells:
        return None
    best = None
    for sep in SEPARATORS:
        split = [split_cell(c, sep) for c in cells]
        multi = [parts for parts in split if len(parts) > 1]
        if len(multi) < max(2, MIN_SHARE * len(cells)):
            continue
        atoms = Counter(a for parts in split for a in parts)
        cells_with = Counter(a for parts in set(split) for a in parts)  # distinct cells each label occurs in
        if len(atoms) > MAX_LABELS or len(atoms) >= len(set(cells)):
            continue
        if any(cells_with[a] < 2 for parts in multi for a in parts):
            continue
        found = MultiLabel(sep, tuple(a for a, _ in atoms.most_common()), sum(map(len, split)) / len(split),
                           len(multi))
        if best is None or found.multi_rows > best.multi_rows:
            best = found
    return best


def truth(cell) -> bool | None:
    """A 0/1 cell as True/False; None when empty or not a yes/no value."""
    text = "" if cell is None else str(cell).strip().lower()
    return True if text in TRUE else False if text in FALSE else None


YES_NO_SHARE = 0.95  # of a column's non-empty cells: a stray "2" or "n/a" does not hide a 0/1 label column
AUTO_COLUMNS = 3     # 0/1 columns taken as labels unasked: two could as well be a label and a flag


def binary_columns(frame, exclude: Sequence[str | None] = ()) -> list[str]:
    """The columns whose non-empty cells (in the first 5,000 rows) are yes/no values (95% of them at least),
    with a yes somewhere: candidate label columns of a multi-label table (one column per label)."""
    out = []
    for column in frame.columns:
        if column in exclude:
            continue
        cells = [c for c in frame[column].head(5000).tolist() if c is not None and str(c).strip()]
        values = [truth(c) for c in cells]
        if cells and sum(v is not None for v in values) >= YES_NO_SHARE * len(cells) and any(values):
            out.append(str(column))
    return out


def auto_binary_columns(frame, text_column: str | None, label_column: str | None) -> list[str]:
    """0/1 label columns taken without being asked, where that is unambiguous: at least three, no column
    named like the label (a table with “label” and 0/1 flags is single-label), and labels that co-occur
    (5% of the rows or more hold two of them), as labels of one text do."""
    found = binary_columns(frame, (text_column,))
    if len(found) < AUTO_COLUMNS:
        return []
    # here, not at the top: columns loads pandas, and the light config imports this module (start-up speed)
    from .columns import LABEL_NAME_HINTS, _norm

    named = [c for c in frame.columns if c != text_column and _norm(str(c)) in LABEL_NAME_HINTS]
    if named or (label_column is not None and label_column not in found):
        return []
    rows = list(zip(*(frame[c].head(5000).tolist() for c in found)))
    together = sum(1 for row in rows if sum(truth(c) is True for c in row) >= 2)
    return found if together >= max(2, MIN_SHARE * len(rows)) else []


def spec_for_model(manifest, label_column: str | None = None) -> LabelSpec:
    """How to read a labelled file to measure a model: the way its training file was read (its manifest's
    settings). Naming a label column reads that one column, with the model's separator."""
    if manifest is None or manifest.task != "multi_label":
        return LabelSpec(multi_label=False)
    settings = manifest.config or {}
    columns = () if label_column else tuple(settings.get("label_columns") or ())
    return LabelSpec(True, settings.get("label_separator") or None, columns, bool(settings.get("none_of_these")))


def override_thresholds(labels: Sequence[str], current: Sequence[float] | None, items: Sequence[str]) -> list[float]:
    """Thresholds changed by the user: "0.3" sets every label's, "sports=0.3" one label's (later items win).
    Raises DataError with a plain sentence for a label the model lacks or a value outside 0..1."""
    out = list(current) if current is not None else [0.5] * len(labels)
    for item in items:
        name, _, value = item.rpartition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not 0 <= number <= 1:
            raise DataError(f"“{item}” is not a threshold: give a number from 0 to 1, such as 0.4 or sports=0.4.")
        if name and name not in labels:
            raise DataError(f"“{name}” is not one of this model's labels: {', '.join(labels)}.")
        out = [number + 0.0 if not name or label == name else t for label, t in zip(labels, out)]  # -0 is 0
    return out
