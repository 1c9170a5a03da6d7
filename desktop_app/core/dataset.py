"""Validate a table as labelled examples, report in plain words, and split it (stratified)."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .data import Table, guess_columns, read_table
from .errors import DataError
from .labels import LabelMap
from .multilabel import sniff as sniff_multilabel
from .sanitize import label_problem, printable

MAX_CLASSES = 200  # more than this is almost always the wrong column (ids, free text)
ID_LIKE_SAMPLE = 20  # class counts kept in a report that refuses an ID-like label column


@dataclass
class DataReport:
    """Everything a user should know about a dataset before training, in plain words."""

    file: str
    format: str
    encoding: str | None
    delimiter: str | None
    columns: list[str]
    text_column: str | None
    label_column: str | None
    rows_read: int = 0
    rows_usable: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    conflicting_duplicates: int = 0
    class_counts: dict[str, int] = field(default_factory=dict)  # LabelMap order; the commonest few if ID-like
    long_texts: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Examples:
    texts: list[str]
    labels: list[str]
    source: str = ""  # the file's name, for the run history (the manifest's training.dataset)

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Dataset:
    examples: Examples
    label_map: LabelMap
    report: DataReport


@dataclass
class Splits:
    train: Examples
    validation: Examples
    test: Examples | None = None
    source: str = ""  # the training file's name


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def build_report(table: Table, text_column: str | None = None, label_column: str | None = None,
                 token_limit: int | None = None,
                 count_tokens: Callable[[list[str]], list[int]] | None = None) -> tuple[DataReport, Examples]:
    """Check a table as (text, label) examples. Problems go into report.errors; never raises."""
    guess_text, guess_label = guess_columns(table.frame)
    text_column = text_column or guess_text
    label_column = label_column or guess_label
    report = DataReport(str(table.path), table.format, table.encoding, table.delimiter, table.columns,
                        text_column, label_column, rows_read=len(table.frame), warnings=list(table.notes))
    empty = Examples([], [])
    for role, col in (("text", text_column), ("label", label_column)):
        if col is None:
            report.errors.append(f"No {role} column could be found among: {', '.join(table.columns)}. "
                                 f"Choose the {role} column yourself.")
        elif col not in table.columns:
            report.errors.append(f"There is no column named “{col}”. The columns are: {', '.join(table.columns)}.")
    if report.errors:
        return report, empty
    if text_column == label_column:
        report.errors.append("The text column and the label column must be different columns.")
        return report, empty

    texts_raw = table.frame[text_column].tolist()
    labels_raw = table.frame[label_column].tolist()
    skipped: Counter[str] = Counter()
    seen: dict[str, str] = {}
    conflicting_texts: set[str] = set()
    texts, labels = [], []
    for text, label in zip(texts_raw, labels_raw):
        text = "" if text is None else str(text).strip()
        label = "" if label is None else str(label).strip()
        if not text:
            skipped["empty text"] += 1
            continue
        if not label:
            skipped["missing label"] += 1
            continue
        if text in seen:
            if seen[text] == label:
                skipped["duplicate of an earlier row"] += 1
                report.duplicates += 1
                continue
            conflicting_texts.add(text)
        else:
            seen[text] = label
        texts.append(text)
        labels.append(label)
    report.skipped = dict(skipped)
    report.rows_usable = len(texts)
    report.conflicting_duplicates = len(conflicting_texts)
    counts = Counter(labels)
    if _id_like(len(counts), len(texts)):
        # Refuse before any per-class work: an ID column has as many classes as rows.
        report.class_counts = dict(counts.most_common(ID_LIKE_SAMPLE))
    else:
        report.class_counts = {name: counts[name] for name in LabelMap.from_labels(counts).names}
    _judge(report, counts, texts, token_limit, count_tokens)
    return report, Examples(texts, labels, Path(str(table.path)).name if table.path else "")


def _first_joined(counts: Counter, separator: str) -> str:
    return next((name for name, _ in counts.most_common() if separator in name), "")


def _id_like(k: int, n: int) -> bool:
    return k > MAX_CLASSES or (k > 20 and k > 0.5 * n)


def _judge(report: DataReport, counts: Counter, texts: list[str], token_limit, count_tokens) -> None:
    n, k = report.rows_usable, len(counts)
    for reason, count in report.skipped.items():
        report.warnings.append(f"{_plural(count, 'row')} skipped: {reason}.")
    if n == 0:
        report.errors.append(f"No usable examples: every row has an empty text or a missing label "
                             f"in “{report.text_column}” / “{report.label_column}”.")
        return
    if k == 1:
        report.errors.append(f"Only one class (“{next(iter(counts))}”) was found in “{report.label_column}”. "
                             "A classifier needs at least two kinds of label.")
        return
    if _id_like(k, n):
        report.errors.append(f"“{report.label_column}” has {k:,} different values for {n:,} rows — "
                             "that looks like text or IDs, not labels. Choose the label column.")
        return
    bad = next(((name, problem) for name in counts if (problem := label_problem(name))), None)
    if bad:  # the same rule an adapter's manifest is held to: what we train, we can open again
        report.errors.append(f"The label “{printable(bad[0][:60])}” cannot be a class name: {bad[1]}. "
                             f"Clean up “{report.label_column}”.")
        return
    joined = sniff_multilabel(list(counts.elements()))
    if joined:  # trained as is, every combination of labels would be a class of its own
        report.warnings.append(f"“{report.label_column}” looks like {joined.describe()} (e.g. "
                               f"“{printable(_first_joined(counts, joined.separator)[:60])}”). LoRA Studio trains one "
                               "label per text for now, so each combination is trained as a class of its own.")
    if k > 50:
        report.warnings.append(f"{k} classes is a lot; check that “{report.label_column}” is really the label.")
    if report.conflicting_duplicates:
        verb = "appears" if report.conflicting_duplicates == 1 else "appear"
        report.warnings.append(f"{_plural(report.conflicting_duplicates, 'text')} {verb} with different labels; "
                               "the model cannot get both right.")
    kind = text_column_kind(texts)
    if kind:
        report.warnings.append(f"“{report.text_column}” looks like {kind}, not text: a text classifier learns from "
                               "words. Choose the column that holds the text.")
    tiny = [name for name, c in counts.items() if c < 2]
    if tiny:
        report.warnings.append(f"Too few examples to test: {', '.join(tiny[:10])} "
                               f"({'has' if len(tiny) == 1 else 'have'} a single example, used for training only).")
    small = [name for name, c in counts.items() if 2 <= c < 10]
    if small:
        report.warnings.append(f"Very few examples (under 10) for: {', '.join(small[:10])}. "
                               "Predictions for these classes will be unreliable.")
    biggest, smallest = max(counts.values()), min(counts.values())
    if smallest and biggest / smallest >= 10:
        report.warnings.append(f"The classes are very unbalanced ({biggest:,} vs {smallest:,} examples); "
                               "turn on class weighting and judge the model by macro-F1.")
    if n < 50:
        report.warnings.append(f"Only {n} usable examples; aim for at least 50 per class for a dependable model.")
    if token_limit:
        lengths = count_tokens(texts) if count_tokens else [len(t) // 4 + 2 for t in texts]
        report.long_texts = sum(1 for x in lengths if x > token_limit)
        if report.long_texts:
            share = 100 * report.long_texts / n
            share_text = f"{share:.0f}%" if share >= 1 else "under 1%"
            report.warnings.append(f"{_plural(report.long_texts, 'text')} ({share_text}) are longer than the "
                                   f"{token_limit}-token limit; their start and end are kept, the middle is cut.")


_NUMBER = re.compile(r"[-+(]?[$€£¥]?\s*\d[\d\s,.'’]*%?\)?")
_DATE = re.compile(r"(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}\s+\w{3,9}\.?\s+\d{2,4}|\w{3,9}\.?\s+\d{1,2},?\s+\d{4})"
                   r"([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[AP]M|[+-]\d{2}:?\d{2})?)?", re.IGNORECASE)
_CODE = re.compile(r"[\w.:#/-]+")


def text_column_kind(texts: list[str], share: float = 0.9) -> str | None:
    """What a column that is not text looks like ("numbers", "dates", "IDs", "very short codes"), judged on
    a sample: most values must be of that kind. None when it looks like text."""
    sample = texts[:: max(1, len(texts) // 2000)][:2000]
    if not sample:
        return None

    def most(test) -> bool:
        return sum(1 for t in sample if test(t)) >= share * len(sample)

    if most(_NUMBER.fullmatch):
        return "numbers"
    if most(_DATE.fullmatch):
        return "dates"
    single = [t for t in sample if _CODE.fullmatch(t)]
    if len(single) >= share * len(sample):
        if sum(1 for t in single if len(t) <= 4) >= share * len(sample):
            return "very short codes"
        if len(set(single)) >= share * len(single) and sum(any(c.isdigit() for c in t) for t in single) \
                >= share * len(single):
            return "IDs"
    return None


def inspect(path: str | Path, text_column: str | None = None, label_column: str | None = None,
            token_limit: int | None = None, count_tokens=None) -> tuple[DataReport, Examples]:
    return build_report(read_table(path), text_column, label_column, token_limit, count_tokens)


def load_dataset(path: str | Path, text_column: str | None = None, label_column: str | None = None,
                 label_map: LabelMap | None = None) -> Dataset:
    """Read and validate a file; raise DataError with the report's first blocking problem."""
    report, examples = inspect(path, text_column, label_column)
    if not report.ok:
        raise DataError(report.errors[0], "Run “lora-studio inspect” on the file to see the full report.")
    return Dataset(examples, label_map or LabelMap.from_labels(examples.labels), report)


def stratified_split(examples: Examples, validation: float = 0.15, test: float = 0.0,
                     seed: int = 42) -> Splits:
    """Split each class in the same proportions. Classes with one example stay in training."""
    if not 0 < validation < 0.9 or not 0 <= test < 0.9 or validation + test >= 0.9:
        raise DataError("The validation and test shares must be between 0 and 90% together.")
    rng = random.Random(seed)
    by_class: dict[str, list[int]] = {}
    for i, label in enumerate(examples.labels):
        by_class.setdefault(label, []).append(i)
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label in sorted(by_class):
        idx = by_class[label]
        rng.shuffle(idx)
        n = len(idx)
        n_val = min(n - 1, max(1, round(n * validation))) if n >= 2 else 0
        n_test = min(n - 1 - n_val, max(1, round(n * test))) if test and n >= 3 else 0
        parts["validation"] += idx[:n_val]
        parts["test"] += idx[n_val:n_val + n_test]
        parts["train"] += idx[n_val + n_test:]

    def take(ids):
        ids = sorted(ids)
        rng.shuffle(ids)
        return Examples([examples.texts[i] for i in ids], [examples.labels[i] for i in ids])

    return Splits(take(parts["train"]), take(parts["validation"]), take(parts["test"]) if test else None,
                  examples.source)


def prepare_training_data(examples: Examples, config, validation: Examples | str | Path | None = None) -> Splits:
    """The one place training data is split, for the window, the CLI and the API alike.

    Without a validation file: a stratified split seeded by config.seed (validation and test shares from
    the config). With one: it is read with the config's columns, every label it holds must occur in
    training (a class with no training example cannot be learnt), and the test share is still held out.
    """

    if validation is None:
        return stratified_split(examples, config.validation_fraction, config.test_fraction, config.seed)
    if not isinstance(validation, Examples):
        validation = load_dataset(validation, config.text_column, config.label_column).examples
    unknown = sorted(set(validation.labels) - set(examples.labels))
    if unknown:
        raise DataError(f"The validation file has labels the training file lacks: {printable(', '.join(unknown[:5]))}.",
                        "Every class needs training examples; fix the labels or add examples.")
    if not config.test_fraction:
        return Splits(examples, validation, source=examples.source)
    held = stratified_split(examples, config.test_fraction, 0.0, config.seed)  # its "validation" is the test share
    return Splits(held.train, validation, held.validation, examples.source)
