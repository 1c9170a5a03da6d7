"""Validate a table as labelled examples, report in plain words, and split it (stratified)."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .stratify import iterative_split
from .tables import Table, guess_columns, read_table
from ..base.errors import DataError
from .label_map import LabelMap
from .label_reading import MULTI_LABEL, NO_LABELS, Skip, judge_label_sets, label_reader, label_source, yes_no_hint
from .multilabel import LabelSpec, auto_binary_columns
from .multilabel import sniff as sniff_multilabel
from ..base.sanitize import label_problem, printable
from .small_data_plan import plan_for

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
    task: str = "single_label"             # or MULTI_LABEL: class_counts then counts each label's rows
    label_separator: str | None = None     # multi-label from one column: what joins its labels
    label_columns: list[str] = field(default_factory=list)  # multi-label from 0/1 columns, one per label
    labels_per_row: float = 0.0
    none_rows: int = 0                     # multi-label rows kept as “none of these labels”

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def multi_label(self) -> bool:
        return self.task == MULTI_LABEL

    @property
    def rows_without_labels(self) -> int:
        """Multi-label rows with no label: kept as “none of these”, or skipped until the user says they are."""
        return self.none_rows + self.skipped.get(NO_LABELS, 0)

    def describe_labels(self) -> str:
        """One line on how the labels were read: "multi-label: 5 labels joined by “;”, 1.4 per row…"."""
        if not self.multi_label:
            return f"one label per text: {len(self.class_counts)} classes" if self.class_counts else ""
        source = (f"from {len(self.label_columns)} yes/no columns" if self.label_columns
                  else f"joined by “{self.label_separator}” in “{self.label_column}”")
        line = f"multi-label: {len(self.class_counts)} labels {source}, {self.labels_per_row:.1f} per row on average"
        return line + (f"; {_plural(self.none_rows, 'row')} with none of them" if self.none_rows else "")

    def to_dict(self) -> dict:
        data = asdict(self)
        if not self.multi_label:  # one label per text: the report's keys as they always were
            for key in ("task", "label_separator", "label_columns", "labels_per_row", "none_rows"):
                del data[key]
        return data


@dataclass
class Examples:
    texts: list[str]
    labels: list  # a label (str) per text; multi-label: a tuple of labels per text, () for none of these
    source: str = ""  # the file's name, for the run history (the manifest's training.dataset)
    multi_label: bool = False
    # each example's data row in its file (0-based, header excluded, counted before any row was skipped), where
    # the examples were read from a file: what the label review and the labelling loop report rows by
    rows: list[int] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def label_names(self) -> list[str]:
        """Every label occurrence: the labels themselves, or each multi-label row's labels in turn."""
        return [name for row in self.labels for name in row] if self.multi_label else list(self.labels)


def label_counts(examples: Examples) -> dict[str, int]:
    """Rows per label (multi-label: rows that carry it), most common first."""
    from collections import Counter

    return dict(Counter(examples.label_names()).most_common())


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
    plan: object = None  # small_data.SmallDataPlan: small data has no validation split (every row trains)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def build_report(table: Table, text_column: str | None = None, label_column: str | None = None,
                 token_limit: int | None = None,
                 count_tokens: Callable[[list[str]], list[int]] | None = None,
                 labels: LabelSpec | None = None) -> tuple[DataReport, Examples]:
    """Check a table as (text, label) examples. Problems go into report.errors; never raises.

    `labels` says how to read the labels (multilabel.LabelSpec): one per row, several joined in one column,
    or several 0/1 columns; by default whatever the table unambiguously holds."""
    spec = labels or LabelSpec()
    guess_text, guess_label = guess_columns(table.frame)
    text_column = text_column or guess_text
    columns = list(spec.columns)
    if not columns and spec.multi_label is not False and label_column is None:
        columns = auto_binary_columns(table.frame, text_column, None)
    label_column = None if columns else label_column or guess_label
    report = DataReport(str(table.path), table.format, table.encoding, table.delimiter, table.columns,
                        text_column, label_column, rows_read=len(table.frame), warnings=list(table.notes),
                        label_columns=columns)
    empty = Examples([], [])
    report.errors += [problem[0].upper() + problem[1:] + "." for problem in spec.problems()]
    if report.errors:
        return report, empty
    roles = [("text", text_column)] + ([("label", c) for c in columns] if columns else [("label", label_column)])
    for role, col in roles:
        if col is None:
            report.errors.append(f"No {role} column could be found among: {', '.join(table.columns)}. "
                                 f"Choose the {role} column yourself.")
        elif col not in table.columns:
            report.errors.append(f"There is no column named “{col}”. The columns are: {', '.join(table.columns)}.")
    if report.errors:
        return report, empty
    if text_column == label_column or text_column in columns:
        report.errors.append("The text column and the label column must be different columns.")
        return report, empty

    texts_raw = table.frame[text_column].tolist()
    read = label_reader(table, label_column, columns, spec, report)
    skipped: Counter[str] = Counter()
    seen: dict[str, object] = {}
    conflicting_texts: set[str] = set()
    texts, labels_out, rows = [], [], []
    for row, text in enumerate(texts_raw):
        text = "" if text is None else str(text).strip()
        label = read(row)
        if not text:
            skipped["empty text"] += 1
            continue
        if isinstance(label, Skip):
            skipped[label.reason] += 1
            continue
        key = frozenset(label) if report.multi_label else label
        if text in seen:
            if seen[text] == key:
                skipped["duplicate of an earlier row"] += 1
                report.duplicates += 1
                continue
            conflicting_texts.add(text)
        else:
            seen[text] = key
        texts.append(text)
        labels_out.append(label)
        rows.append(row)
    report.skipped = dict(skipped)
    report.rows_usable = len(texts)
    report.conflicting_duplicates = len(conflicting_texts)
    examples = Examples(texts, labels_out, Path(str(table.path)).name if table.path else "", report.multi_label, rows)
    counts = Counter(examples.label_names())
    if _id_like(len(counts), len(texts)) and not report.multi_label:
        # Refuse before any per-class work: an ID column has as many classes as rows.
        report.class_counts = dict(counts.most_common(ID_LIKE_SAMPLE))
    else:
        report.class_counts = {name: counts[name] for name in LabelMap.from_labels(counts).names}
    if report.multi_label:
        order = {name: i for i, name in enumerate(report.class_counts)}  # every row's labels in LabelMap order
        examples.labels = [tuple(sorted(row, key=lambda n: order.get(n, 0))) for row in labels_out]
        report.none_rows = sum(1 for row in labels_out if not row)
        report.labels_per_row = sum(map(len, labels_out)) / len(labels_out) if labels_out else 0.0
    _judge(report, counts, texts, token_limit, count_tokens)
    yes_no_hint(report, table)
    return report, examples


def _first_joined(counts: Counter, separator: str) -> str:
    return next((name for name, _ in counts.most_common() if separator in name), "")


def _id_like(k: int, n: int) -> bool:
    return k > MAX_CLASSES or (k > 20 and k > 0.5 * n)


def _judge(report: DataReport, counts: Counter, texts: list[str], token_limit, count_tokens) -> None:
    n, k = report.rows_usable, len(counts)
    for reason, count in report.skipped.items():
        report.warnings.append(f"{_plural(count, 'row')} skipped: {reason}.")
    labels = label_source(report)
    if n == 0:
        report.errors.append(f"No usable examples: every row has an empty text or a missing label "
                             f"in “{report.text_column}” / {labels}.")
        return
    if k == 1:
        report.errors.append(f"Only one class (“{next(iter(counts))}”) was found in {labels}. "
                             "A classifier needs at least two kinds of label." if not report.multi_label else
                             f"Only one label (“{next(iter(counts))}”) was found. A multi-label classifier needs "
                             "at least two labels.")
        return
    if k == 0:
        report.errors.append("No row has a label: every row is “none of these”. Label some examples first.")
        return
    if report.multi_label and not judge_label_sets(report, counts):
        return
    if _id_like(k, n) and not report.multi_label:
        report.errors.append(f"“{report.label_column}” has {k:,} different values for {n:,} rows — "
                             "that looks like text or IDs, not labels. Choose the label column.")
        return
    bad = next(((name, problem) for name in counts if (problem := label_problem(name))), None)
    if bad:  # the same rule an adapter's manifest is held to: what we train, we can open again
        report.errors.append(f"The label “{printable(bad[0][:60])}” cannot be a class name: {bad[1]}. "
                             f"Clean up {labels}.")
        return
    joined = None if report.multi_label else sniff_multilabel(list(counts.elements()))
    if joined:  # the user chose one label per text: every combination of labels is then a class of its own
        report.warnings.append(f"“{report.label_column}” looks like {joined.describe()} (e.g. "
                               f"“{printable(_first_joined(counts, joined.separator)[:60])}”), but it is read as one "
                               "label per text, so each combination is trained as a class of its own. Choose "
                               "“several labels per text” to learn each label on its own.")
    if k > 50:
        report.warnings.append(f"{k} {'labels' if report.multi_label else 'classes'} is a lot; check that {labels} "
                               f"{'are' if report.label_columns else 'is'} really the label{'s' if report.multi_label else ''}.")
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
            token_limit: int | None = None, count_tokens=None,
            labels: LabelSpec | None = None, encoding: str | None = None) -> tuple[DataReport, Examples]:
    """`encoding`: the user's choice for a text file (data.read_table), else sniffed."""
    return build_report(read_table(path, encoding), text_column, label_column, token_limit, count_tokens, labels)


def load_dataset(path: str | Path, text_column: str | None = None, label_column: str | None = None,
                 label_map: LabelMap | None = None, labels: LabelSpec | None = None,
                 encoding: str | None = None) -> Dataset:
    """Read and validate a file; raise DataError with the report's first blocking problem."""
    report, examples = inspect(path, text_column, label_column, labels=labels, encoding=encoding)
    if not report.ok:
        raise DataError(report.errors[0], "Run “lora-studio inspect” on the file to see the full report.")
    return Dataset(examples, label_map or LabelMap.from_labels(examples.label_names()), report)


def load_for_config(path: str | Path, config, encoding: str | None = None) -> Dataset:
    """A file read with a TrainConfig's columns and label settings (training, job export, validation files)."""
    return load_dataset(path, config.text_column, config.label_column, labels=LabelSpec.from_config(config),
                        encoding=encoding)


def stratified_split(examples: Examples, validation: float = 0.15, test: float = 0.0,
                     seed: int = 42) -> Splits:
    """Split each class in the same proportions. Classes with one example stay in training. Multi-label
    examples are split by iterative stratification (stratify.py): every label as close to its share as can be."""
    if not 0 < validation < 0.9 or not 0 <= test < 0.9 or validation + test >= 0.9:
        raise DataError("The validation and test shares must be between 0 and 90% together.")
    rng = random.Random(seed)
    if examples.multi_label:
        train_ids, val_ids, test_ids = iterative_split(examples.labels, (1 - validation - test, validation, test), seed)
        parts = {"train": train_ids, "validation": val_ids, "test": test_ids}
        return _assemble(examples, parts, rng, bool(test))
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
    return _assemble(examples, parts, rng, bool(test))


def _assemble(examples: Examples, parts: dict[str, list[int]], rng: random.Random, test: bool) -> Splits:
    def take(ids):
        ids = sorted(ids)
        rng.shuffle(ids)
        return Examples([examples.texts[i] for i in ids], [examples.labels[i] for i in ids],
                        multi_label=examples.multi_label)

    return Splits(take(parts["train"]), take(parts["validation"]), take(parts["test"]) if test else None,
                  examples.source)


def prepare_training_data(examples: Examples, config, validation: Examples | str | Path | None = None,
                          encoding: str | None = None) -> Splits:
    """The one place training data is split, for the window, the CLI and the API alike.

    Without a validation file: a stratified split seeded by config.seed (validation and test shares from
    the config). With one: it is read with the config's columns, every label it holds must occur in
    training (a class with no training example cannot be learnt), and the test share is still held out.
    """

    if validation is None:

        held, test = examples, None
        if config.test_fraction:  # the test share is held out first, whichever path trains
            split = stratified_split(examples, config.test_fraction, 0.0, config.seed)
            held, test = split.train, split.validation
            held.source = examples.source
        plan = plan_for(held, config)
        if plan.small:  # every row trains; k-fold cross-validation estimates the score (small_data.py)
            return Splits(held, Examples([], [], multi_label=examples.multi_label), test, examples.source, plan)
        splits = stratified_split(examples, config.validation_fraction, config.test_fraction, config.seed)
        splits.plan = plan
        return splits
    if not isinstance(validation, Examples):
        validation = load_for_config(validation, config, encoding).examples
    if validation.multi_label != examples.multi_label:
        raise DataError("The validation file's labels were read " + ("as several per text" if validation.multi_label
                        else "as one per text") + ", unlike the training file's.",
                        "Give both files the same label columns and separator.")
    unknown = sorted(set(validation.label_names()) - set(examples.label_names()))
    if unknown:
        raise DataError(f"The validation file has labels the training file lacks: {printable(', '.join(unknown[:5]))}.",
                        "Every class needs training examples; fix the labels or add examples.")
    if not config.test_fraction:
        return Splits(examples, validation, source=examples.source)
    held = stratified_split(examples, config.test_fraction, 0.0, config.seed)  # its "validation" is the test share
    return Splits(held.train, validation, held.validation, examples.source)

