"""The command line's data-loop commands: review-labels (which labels look wrong) and suggest (which texts to label
next). Both read the texts with the base model once (core/curate/vectors.py) and write a CSV, most useful row
first, whose `row` is the row's place among the file's data rows (0-based, header excluded, before any row was
skipped)."""

from __future__ import annotations

import sys

from ..core.base.errors import DataError
from ..core.base.events import WorkProgress
from ..core.base.sanitize import printable
from ..core.data.multilabel import LabelSpec  # from_config: the flags have the settings' names

SEPARATOR = ";"  # how a multi-label row's labels are joined in the CSV
LARGE = 5000     # rows: above this review-labels says how long the whole file takes, and offers --sample


def add_curate_commands(sub, label_options, encoding_option) -> None:
    r = sub.add_parser("review-labels", help="list the rows whose label looks wrong, most suspicious first")
    r.add_argument("data", help="a labelled file")
    r.add_argument("--text-column")
    r.add_argument("--label-column")
    label_options(r)
    encoding_option(r)
    r.add_argument("--folds", type=int, default=5, metavar="K", help="k-fold: each row judged by models that never "
                   "saw it (2-20, default 5)")
    r.add_argument("--model", help="base model: 'embedded' (default), a local folder or a cached hub id")
    r.add_argument("--sample", type=int, metavar="N", help="review N rows drawn at random (a large file: the time "
                   "the whole file would take is said first)")
    r.add_argument("--out", required=True, metavar="SUSPECTS.csv",
                   help="the suspects: row, text, given, suggested, score (a new file unless --overwrite)")
    r.add_argument("--overwrite", action="store_true", help="let --out replace an existing CSV file")

    s = sub.add_parser("suggest", help="choose the texts of a pool most worth labelling next")
    s.add_argument("labelled", help="a file of texts with their labels")
    s.add_argument("pool", help="a file of texts to label (a text column; other columns are ignored)")
    s.add_argument("--text-column", help="the labelled file's text column")
    s.add_argument("--label-column")
    label_options(s)
    s.add_argument("--pool-text-column", help="the pool's text column (default: guessed)")
    s.add_argument("--n", type=int, default=20, help="how many rows to suggest (default 20)")
    s.add_argument("--model", help="base model: 'embedded' (default), a local folder or a cached hub id")
    s.add_argument("--out", required=True, metavar="NEXT.csv",
                   help="the pool rows to label next: row, text, uncertainty (a new file unless --overwrite)")
    s.add_argument("--overwrite", action="store_true", help="let --out replace an existing CSV file")


def _vectors(args):
    # here, not at the top: these load numpy (start-up speed)
    from ..core.curate.vectors import SentenceVectors
    from ..core.model.config import TrainConfig

    return SentenceVectors(TrainConfig(base_model=args.model or "embedded"), _progress)


def _progress(event) -> None:
    if isinstance(event, WorkProgress) and (event.done == event.total or sys.stderr.isatty()):
        end = "\n" if event.done == event.total else "\r"
        print(f"  {event.what}: {event.done:,} of {event.total:,}", end=end, file=sys.stderr, flush=True)


def cmd_review_labels(args) -> int:
    import pandas as pd

    # here, not at the top: these load pandas and numpy (start-up speed)
    from ..core.curate.label_review import caution, review_labels, sample_of
    from ..core.data.dataset import load_dataset
    from ..core.predict.predict_file import check_predictions_destination, write_frame_csv

    check_predictions_destination(args.out, args.data, args.overwrite)  # before the model loads: a bad --out fails now
    data = load_dataset(args.data, args.text_column, args.label_column, labels=LabelSpec.from_config(args),
                        encoding=args.encoding)
    examples, vectors = data.examples, _vectors(args)
    if args.sample is not None:
        if args.sample < 2 * args.folds:
            raise DataError(f"--sample must be at least {2 * args.folds} rows for a {args.folds}-fold review.")
        examples = sample_of(examples, args.sample)
    elif len(examples) > LARGE:
        print(f"Reading all {len(examples):,} texts takes about {vectors.seconds_for(len(examples)) / 60:.0f} min "
              f"here; --sample {LARGE} reviews a random sample sooner.", file=sys.stderr, flush=True)
    review = review_labels(examples, vectors, args.folds)
    frame = pd.DataFrame([(s.row, s.text, SEPARATOR.join(s.given), SEPARATOR.join(s.suggested), round(s.score, 4))
                          for s in review.suspects], columns=["row", "text", "given", "suggested", "score"])
    write_frame_csv(frame, args.out, overwrite=args.overwrite)
    for note in review.notes + [c for c in [caution(review)] if c]:
        print(f"Note: {note}", file=sys.stderr)
    sampled = f" (a random sample of {len(data.examples):,})" if len(examples) < len(data.examples) else ""
    print(f"{len(review.suspects):,} of {len(examples):,} rows{sampled} look mislabelled ({review.folds}-fold; the models "
          f"agree with {review.agreement:.0%} of the labels). Most suspicious first in {printable(args.out)}.")
    return 0


def cmd_suggest(args) -> int:
    import numpy as np
    import pandas as pd

    # here, not at the top: these load pandas and numpy (start-up speed)
    from ..core.curate.label_review import targets_of
    from ..core.curate.next_texts import next_texts
    from ..core.data.dataset import load_dataset
    from ..core.data.columns import guess_columns
    from ..core.data.tables import read_table
    from ..core.predict.predict_file import check_predictions_destination, write_frame_csv

    if not 1 <= args.n <= 100_000:
        raise DataError(f"--n must be between 1 and 100,000, not {args.n}.")
    check_predictions_destination(args.out, args.pool, args.overwrite)
    data = load_dataset(args.labelled, args.text_column, args.label_column, labels=LabelSpec.from_config(args))
    if len(data.label_map) < 1 or not len(data.examples):
        raise DataError("The labelled file has no labelled rows.", "Label a few rows of each kind first.")
    pool = read_table(args.pool)
    column = args.pool_text_column or guess_columns(pool.frame)[0]
    if column is None or column not in pool.frame.columns:
        raise DataError(f"The pool “{printable(args.pool)}” has no text column"
                        + (f" named “{printable(column)}”" if column else "")
                        + f". Its columns are: {', '.join(map(printable, pool.frame.columns))}.",
                        "Name it with --pool-text-column.")
    known = set(data.examples.texts)
    rows = [(i, str(t).strip()) for i, t in enumerate(pool.frame[column].tolist())
            if t is not None and str(t).strip() and str(t).strip() not in known]
    if not rows:
        raise DataError("The pool has no text that is not labelled already.")
    vectors = _vectors(args)
    labelled = vectors.of(data.examples.texts, "Reading the labelled texts")
    found = vectors.of([t for _, t in rows], "Reading the pool")
    targets = targets_of(data.examples, data.label_map)
    chosen = next_texts(labelled, np.asarray(targets), data.label_map.names, found, args.n, data.examples.multi_label)
    frame = pd.DataFrame([(rows[c.index][0], rows[c.index][1], round(c.uncertainty, 4)) for c in chosen],
                         columns=["row", "text", "uncertainty"])
    write_frame_csv(frame, args.out, overwrite=args.overwrite)
    print(f"{len(frame):,} of {len(rows):,} pool rows to label next, most useful first, in {printable(args.out)}.")
    return 0


COMMANDS = {"review-labels": cmd_review_labels, "suggest": cmd_suggest}
