"""How a table's labels become each row's label (one per text) or label set (several), and what the data
report says about label sets. dataset.build_report drives it; multilabel.py holds the formats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from .multilabel import MAX_LABELS, SEPARATORS, LabelSpec, binary_columns, split_cell, truth
from .multilabel import sniff as sniff_multilabel
from ..base.sanitize import printable

MULTI_LABEL = "multi_label"
NO_LABELS = ("no label (if such rows mean “none of these labels”, choose so — “A row without labels means none of "
             "these” in the window, --none-of-these on the command line — and they are kept)")  # a skip reason
NOT_YES_NO = "a label cell that is not 0/1 (yes/no)"


@dataclass(frozen=True)
class Skip:
    reason: str  # why a row's labels cannot be used, as the report says it


def label_reader(table, label_column: str | None, columns: list[str], spec: LabelSpec,
                 report) -> Callable[[int], object]:
    """A function row -> its label (str), its labels (tuple, multi-label) or a Skip; sets report.task."""
    if columns:
        report.task = MULTI_LABEL
        return yes_no_reader([table.frame[c].tolist() for c in columns], columns, spec.none_of_these)

    raw = ["" if v is None else str(v).strip() for v in table.frame[label_column].tolist()]
    if spec.multi_label is False:
        return lambda row: raw[row] or Skip("missing label")
    separator = spec.separator
    if separator is None:
        sniffed = sniff_multilabel(raw)
        separator = sniffed.separator if sniffed else (SEPARATORS[0] if spec.multi_label else None)
    if separator is None:
        return lambda row: raw[row] or Skip("missing label")
    report.task, report.label_separator = MULTI_LABEL, separator
    if spec.separator is not None and not any(separator in cell for cell in raw):  # a typo would go unnoticed
        sniffed = sniff_multilabel(raw)
        seems = f" Its cells seem joined by “{sniffed.separator}”." if sniffed else ""
        report.warnings.append(f"No cell of “{printable(label_column)}” holds “{printable(separator)}”, so each text "
                               f"gets the one label its cell names.{seems}")

    def from_cell(row: int):
        chosen = split_cell(raw[row], separator)
        return chosen if chosen or spec.none_of_these else Skip(NO_LABELS)
    return from_cell


def yes_no_reader(cells: list[list], columns: list[str], none_of_these: bool) -> Callable[[int], object]:
    """Row -> the labels whose 0/1 cell says yes (a blank cell: not this label), or a Skip: a cell that is not
    yes/no, or no label at all unless that means “none of these”. The data report and a batch summary's
    answer key (multilabel_metrics) read 0/1 columns with it."""
    def read(row: int):
        values = [truth(col[row]) for col in cells]
        blank = [col[row] is None or col[row] != col[row] or not str(col[row]).strip() for col in cells]
        if any(v is None and not b for v, b in zip(values, blank)):
            return Skip(NOT_YES_NO)
        chosen = tuple(c for c, v in zip(columns, values) if v)
        return chosen if chosen or none_of_these else Skip(NO_LABELS)
    return read


def label_source(report) -> str:
    """Where the labels come from, for sentences: “topics”, or the yes/no columns."""
    if report.label_columns:
        shown = ", ".join(report.label_columns[:3]) + (", …" if len(report.label_columns) > 3 else "")
        return f"the label columns ({shown})"
    return f"“{report.label_column}”"


def judge_label_sets(report, counts: Counter) -> bool:
    """Multi-label checks of the report: too many labels, labels that differ only in case. False when training
    is blocked (the error is in the report)."""
    k = len(counts)
    if k > MAX_LABELS:
        report.errors.append(f"{k:,} different labels were found in {label_source(report)}; LoRA Studio trains at "
                             f"most {MAX_LABELS}. Check the separator, or choose the label column.")
        return False
    by_case: dict[str, list[str]] = {}
    for name in counts:
        by_case.setdefault(name.casefold(), []).append(name)
    clashes = [names for names in by_case.values() if len(names) > 1]
    if clashes:
        shown = "; ".join(" / ".join(f"“{printable(n[:40])}”" for n in names) for names in clashes[:3])
        report.warnings.append(f"Some labels differ only in capitals ({shown}): they are learnt as different "
                               "labels. Write each label one way if they mean the same.")
    return True


def yes_no_hint(report, table) -> None:
    """One label per text read from one of several yes/no columns: the others may be labels too. Say so."""
    if report.multi_label or report.label_column is None:
        return
    flags = binary_columns(table.frame, (report.text_column,))
    if len(flags) >= 2 and report.label_column in flags:
        shown = ", ".join(f"“{printable(c)}”" for c in flags[:6])
        report.warnings.append(f"{shown} hold yes/no values, and only “{printable(report.label_column)}” is read as "
                               "the label. If each is a label a text can have, choose several labels per text and "
                               "tick them as yes/no columns (--label-columns on the command line).")


def settle_labels(config, report):
    """The config with the label reading the report settled on (sniffed separator, 0/1 columns found), so the
    validation file, a job elsewhere and the adapter's manifest read labels exactly as training did."""
    from dataclasses import replace

    if not report.multi_label:
        return replace(config, multi_label=False if config.multi_label is False else None)
    return replace(config, multi_label=True, label_separator=report.label_separator,
                   label_columns=tuple(report.label_columns), label_column=None if report.label_columns
                   else config.label_column)
