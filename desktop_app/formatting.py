"""Durations for people, shared by the CLI and the window (Qt-free)."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """1:05 or 2:03:04, rounded to the nearest second, for progress lines and a run's length (the Train page,
    run history and the CLI write a duration the same way: 37.9 s is 0:38 everywhere); an en dash when unknown."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
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


def batch_summary_lines(summary, strong=lambda s: s, quote=lambda s: s) -> list[str]:
    """A batch prediction's summary (evaluation.BatchSummary) in sentences, for the CLI and the Predict page.
    `strong` marks the key numbers (the window makes them bold); `quote` escapes a column name for display."""
    took = f"{summary.seconds:.2f} s" if summary.seconds < 10 else in_words(summary.seconds)
    rate = f" ({summary.rows / summary.seconds:,.0f} rows/s)" if summary.seconds > 0 else ""
    lines = [f"{strong(f'{summary.rows:,} rows')} classified in {strong(took)}{rate}."]
    report = summary.report
    if report is None:
        lines.append("No column of the file holds this model's labels, so there is nothing to score against.")
        return lines
    if report.multi_label:
        where = (f"“{quote(summary.label_column)}” column" if not summary.label_columns else
                 ", ".join(f"“{quote(c)}”" for c in summary.label_columns) + " columns")
        lines.append(f"Against the file's {where} ({report.examples:,} labelled rows): "
                     f"{strong(f'micro-F1 {report.micro_f1:.3f}')} · {strong(f'macro-F1 {report.macro_f1:.3f}')} · "
                     f"every label right on {report.accuracy:.1%}.")
    else:
        lines.append(f"Against the file's “{quote(summary.label_column)}” column ({report.examples:,} labelled rows): "
                     f"{strong(f'accuracy {report.accuracy:.1%}')} · {strong(f'macro-F1 {report.macro_f1:.3f}')}.")
    if summary.unlabelled:
        one = summary.unlabelled == 1
        lines.append(f"{summary.unlabelled:,} {'row has' if one else 'rows have'} no label there and "
                     f"{'is' if one else 'are'} not scored.")
    return lines


def matrix_lines(labels, confusion) -> list[str]:
    """A confusion matrix as aligned text (rows: true, columns: predicted), for a terminal."""
    names = [str(name) for name in labels]
    width = max([len(n) for n in names] + [len(str(v)) for row in confusion for v in row] + [4])
    head = " " * (width + 2) + "  ".join(n[:width].rjust(width) for n in names)
    rows = [n[:width].rjust(width) + "  " + "  ".join(str(v).rjust(width) for v in row)
            for n, row in zip(names, confusion)]
    return ["rows: true label, columns: predicted", head, *rows]
