"""The headless command line: the same core as the desktop app, for scripts and power users."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from . import __version__
from .core.sanitize import printable
from .cli_share import COMMANDS as SHARE_COMMANDS
from .cli_share import add_share_commands, base_model_option
from .cli_output import (ProgressPrinter, predict_text, print_estimate, print_file_explanation_trust, print_inspect,
                         print_report)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lora-studio", description="Fine-tune a text classifier with LoRA, offline.")
    p.add_argument("--version", action="version", version=f"LoRA Studio {__version__}")
    p.add_argument("--verbose", action="store_true", help="print the log (with full tracebacks) to stderr too")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    # no abbreviations: --processes is removed by name before the processes get these arguments again
    t = sub.add_parser("train", help="train a classifier on a labelled file", allow_abbrev=False)
    t.add_argument("data", nargs="?", help="CSV/TSV/JSONL/Parquet/Excel file of texts and labels")
    t.add_argument("--sample", action="store_true", help="use the bundled sample reviews")
    t.add_argument("--job", metavar="FOLDER", help="run a job folder made by 'job export' or Train elsewhere…")
    t.add_argument("--validation", metavar="DATA", help="a separate validation file (else a stratified split)")
    _training_options(t)
    _encoding_option(t)
    t.add_argument("--processes", type=int, metavar="N",
                   help="start N training processes on this machine (PyTorch DDP through torchrun's launcher)")
    t.add_argument("--out", default="lora-adapter", help="output folder for the adapter (default: lora-adapter)")

    j = sub.add_parser("job", help="make a job folder to train on another machine (GPU server, cluster)")
    jsub = j.add_subparsers(dest="job_command", required=True, metavar="ACTION")
    je = jsub.add_parser("export", help="write the data as used, the settings and the commands to a folder")
    je.add_argument("data", help="the labelled file to train on")
    je.add_argument("--validation", metavar="DATA", help="a separate validation file")
    _training_options(je)
    _encoding_option(je)
    je.add_argument("--out", required=True, metavar="FOLDER", help="a new folder, or an earlier job to replace")

    e = sub.add_parser("evaluate", help="measure an adapter on a labelled file")
    e.add_argument("adapter")
    e.add_argument("data")
    e.add_argument("--text-column")
    e.add_argument("--label-column", help="default: read the labels as the model's training file was read")
    _encoding_option(e)
    e.add_argument("--json", action="store_true")
    base_model_option(e)

    pr = sub.add_parser("predict", help="classify a text or every row of a file")
    pr.add_argument("adapter")
    pr.add_argument("data", nargs="?")
    pr.add_argument("--text", help="a single text to classify")
    pr.add_argument("--text-column")
    _encoding_option(pr)
    pr.add_argument("--out", help="predictions CSV (default: print to the terminal); a new file unless --overwrite")
    pr.add_argument("--overwrite", action="store_true",
                    help="let --out replace an existing CSV file (never a file of another kind)")
    pr.add_argument("--int8", action="store_true",
                    help="quantise for the CPU: ~2x faster, probabilities differ slightly (docs/BENCHMARKS.md)")
    pr.add_argument("--explain", action="store_true",
                    help="say which words made the label: per-word scores (a text), a top_words column (a file)")
    pr.add_argument("--careful", action="store_true",
                    help="explain with 48 integrated-gradient steps instead of 8 (implies --explain)")
    pr.add_argument("--json", action="store_true", help="with --text: print the result as JSON")
    base_model_option(pr)
    pr.add_argument("--threshold", action="append", default=[], metavar="[LABEL=]P",
                    help="multi-label: choose a label when its probability reaches P (all labels, or LABEL's); "
                         "default: the thresholds tuned on validation, stored in the adapter")

    i = sub.add_parser("inspect", help="check a data file and report what LoRA Studio sees")
    i.add_argument("data")
    i.add_argument("--text-column")
    i.add_argument("--label-column")
    _label_options(i)
    _encoding_option(i)
    i.add_argument("--json", action="store_true")

    add_share_commands(sub)  # export, export-onnx, info

    d = sub.add_parser("devices", help="list compute devices and why one is unavailable")
    d.add_argument("--json", action="store_true")
    return p


def _training_options(t: argparse.ArgumentParser) -> None:
    """The flags that make a TrainConfig: the same for training here and for a job to train elsewhere."""
    t.add_argument("--text-column")
    t.add_argument("--label-column")
    _label_options(t)
    t.add_argument("--model", help="base model: 'embedded' (default), a local folder or a cached hub id")
    t.add_argument("--allow-download", action="store_true", help="allow downloading a hub model not on disk")
    t.add_argument("--preset", default="balanced", help="quick, balanced (default) or thorough")
    t.add_argument("--config", help="a JSON configuration saved earlier (flags override it)")
    t.add_argument("--epochs", type=float, help="exactly N epochs (default: the preset's, more on small data)")
    t.add_argument("--lr", type=float, dest="learning_rate",
                   help="exactly this learning rate (default: the preset's, doubled for several labels per text)")
    t.add_argument("--batch-size", type=int, help="examples per update (per process when there are several)")
    t.add_argument("--max-length", type=int)
    t.add_argument("--lora-r", type=int)
    t.add_argument("--lora-alpha", type=int)
    t.add_argument("--class-weighting", action="store_true", default=None)
    t.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    t.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"],
                   help="auto (default): measured on this computer once; fp16 is for GPUs")
    t.add_argument("--frozen-cache-mb", type=int, metavar="MB",
                   help="memory for the frozen layers' outputs, kept after epoch 1 (default 1024; 0: off)")
    t.add_argument("--seed", type=int)
    t.add_argument("--small-data", choices=["auto", "on", "off"],
                   help="auto (default): under 600 rows, or under 40 per class, train on every row and estimate the "
                        "score by k-fold cross-validation; on/off force it")
    t.add_argument("--folds", type=int, metavar="K", help="cross-validation folds on small data (2-10, default 5)")
    t.add_argument("--pooling", choices=["auto", "mean", "cls"],
                   help="the text's vector for the head: auto (default: mean on small data for BERT-family models), mean or cls")


def _encoding_option(t: argparse.ArgumentParser) -> None:
    t.add_argument("--encoding", metavar="NAME",
                   help="the text file's encoding, such as shift_jis, cp949, gb18030, cp1252 (default: guessed; "
                        "a weak guess is said, with the encodings that could be right)")


def _label_options(t: argparse.ArgumentParser) -> None:
    """How labels are read: the same for inspect, train and job export."""
    t.add_argument("--multi-label", action="store_const", const=True, dest="multi_label",
                   help="several labels per text (default: as the data shows)")
    t.add_argument("--single-label", action="store_const", const=False, dest="multi_label",
                   help="one label per text, even if the label cells look joined")
    t.add_argument("--label-separator", metavar="SEP", help="what joins a cell's labels (default: sniffed: ; | ,)")
    t.add_argument("--label-columns", nargs="+", metavar="COLUMN",
                   help="several 0/1 (yes/no) columns, one per label: a multi-label model")
    t.add_argument("--none-of-these", action="store_const", const=True,
                   help="a row without any label means “none of these labels” (default: such rows are skipped)")


def label_spec(args):
    from .core.multilabel import LabelSpec

    return LabelSpec(args.multi_label, args.label_separator, tuple(args.label_columns or ()), bool(args.none_of_these))


def train_config(args, base=None):
    """The TrainConfig the flags describe: a saved configuration or a preset, then the flags given."""
    from .core.config import TrainConfig, preset

    base = base or (TrainConfig.load(args.config) if args.config else preset(args.preset))
    return base.with_overrides(
        base_model=args.model, epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size,
        max_length=args.max_length, class_weighting=args.class_weighting, device=args.device, seed=args.seed,
        precision=args.precision, frozen_cache_mb=args.frozen_cache_mb, small_data=args.small_data,
        folds=args.folds, pooling=args.pooling,
        text_column=args.text_column, label_column=args.label_column, lora_r=args.lora_r,
        multi_label=args.multi_label, label_separator=args.label_separator, none_of_these=args.none_of_these,
        label_columns=tuple(args.label_columns) if args.label_columns else None,
        lora_alpha=args.lora_alpha, allow_download=args.allow_download or None).validate()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    from .core.errors import StudioError
    from .core.logs import log, report, setup_logging

    setup_logging(sys.stderr if args.verbose else None)
    log.info("lora-studio %s", " ".join(printable(a) for a in (argv if argv is not None else sys.argv[1:])))
    prog = _prog()
    try:
        return COMMANDS[args.command](args)
    except StudioError as exc:
        report(exc)
        print(f"{prog}: {printable(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a file that vanished, a full disk, a permission: one sentence, never a traceback
        report(exc)
        where = f" “{printable(exc.filename)}”" if exc.filename else ""
        print(f"{prog}: could not read or write{where}: {printable(exc.strerror or exc).lower()}.",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - a bug: one line here, the traceback in the log (or --verbose)
        message, hint = report(exc)
        print(f"{prog}: {printable(message)} {printable(hint)}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print(f"{prog}: interrupted.", file=sys.stderr)
        return EXIT_CANCELLED


def _prog() -> str:
    """Under torchrun every process writes to the same terminal: say which one speaks (for display only)."""
    import os

    if os.environ.get("WORLD_SIZE", "1") not in ("", "1"):
        return f"lora-studio [rank {printable(os.environ.get('RANK', '?'))[:8]}]"
    return "lora-studio"


# ---------------------------------------------------------------- inspect
def cmd_inspect(args) -> int:
    from .core.config import TrainConfig
    from .core.dataset import inspect
    from .core.text import token_counting

    defaults = TrainConfig()
    counter, limit = token_counting(defaults.base_model)
    report, _ = inspect(args.data, args.text_column, args.label_column, token_limit=min(defaults.max_length_cap, limit),
                        count_tokens=counter, labels=label_spec(args), encoding=args.encoding)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_inspect(report)
    return EXIT_OK if report.ok else EXIT_BAD_INPUT


# ---------------------------------------------------------------- train
def _say_what_small_data_ignores(args, data) -> None:
    """Flags of the usual path given for a run that takes the small path: said, not silently dropped."""
    given = [flag for flag, value in (("--epochs", args.epochs), ("--lr", args.learning_rate),
                                      ("--batch-size", args.batch_size)) if value is not None]
    if given and data.plan is not None and data.plan.small:
        print(f"warning: {', '.join(given)} set{'s' if len(given) == 1 else ''} the usual path; on small data "
              f"({data.plan.rows:,} examples) every fit uses the fixed settings the benchmark chose "
              "(--small-data off trains with yours).", file=sys.stderr)


def cmd_train(args) -> int:
    from .core.dataset import load_for_config, prepare_training_data
    from .core.label_reading import settle_labels
    from .core.errors import DataError
    from .core.events import CancelToken
    from .core.distributed import finish, world
    from .core.training import run_training
    from .paths import sample_dataset

    if args.processes is not None:  # this process only launches the N that train, once the settings are sound
        from .cli_scale import launch, training_job

        training_job(args) if args.job else train_config(args)  # the flags' settings, checked once here
        return launch(args.processes, args.argv)
    if args.job:
        from .cli_scale import training_job

        job = training_job(args)
        data_path, validation, config = job.data, job.validation, train_config(args, job.config)
    else:
        if not args.data and not args.sample:
            raise DataError("No data file given.", "Name a file to train on, or use --sample for the bundled reviews.")
        data_path = sample_dataset() if args.sample and not args.data else Path(args.data)
        validation, config = args.validation, train_config(args)
    encoding = None if args.job else args.encoding  # a job's copy of the data is UTF-8
    dataset = load_for_config(data_path, config, encoding)
    for warning in dataset.report.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    config = settle_labels(config.with_overrides(text_column=dataset.report.text_column,
                                                 label_column=dataset.report.label_column), dataset.report)
    data = prepare_training_data(dataset.examples, config, validation, encoding)
    _say_what_small_data_ignores(args, data)
    if args.job:
        data.source = job.dataset  # the run history names the user's file, not the job's data.csv

    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, lambda *_: (cancel.cancel(),
                                                        print("\nStopping… (press Ctrl+C again to force)",
                                                              file=sys.stderr),
                                                        signal.signal(signal.SIGINT, previous)))
    # torchrun ends the other ranks with SIGTERM when one fails: stop as cleanly as on Ctrl+C; a second
    # SIGTERM gets the previous handler back, so it ends the process at once (as a second Ctrl+C does)
    terminate = signal.signal(signal.SIGTERM, lambda *_: (cancel.cancel(), signal.signal(signal.SIGTERM, terminate)))
    ended = False  # alike on every rank: trained, or stopped on the same step (SyncedCancel)
    try:
        result = run_training(config, data, on_event=ProgressPrinter(), cancel=cancel, out_dir=args.out)
        ended = True
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, terminate)
        finish(together=ended)  # leave torchrun's process group, if there is one
    if result.status == "cancelled":
        print("Training stopped; nothing was saved.", file=sys.stderr)
        return EXIT_CANCELLED
    here = world()
    if here.distributed:
        shares = ", ".join(f"{n:,}" for n in result.examples_per_rank)
        print(f"[{here}] trained {result.steps} steps; examples per process: {shares}.", file=sys.stderr)
        if not here.main:
            return EXIT_OK  # rank 0 evaluates, saves and reports
    if result.estimate is not None and result.estimate.cross_validated:
        print(f"\nEstimated by {result.estimate.folds}-fold cross-validation ({result.estimate.phrase()}); the kept "
              f"model trained on all {result.train_examples:,} examples:")
        print_estimate(result.estimate)
        print("Pooled over every example's out-of-fold prediction:")
    else:
        print(f"\nValidation ({'stopped early, best epoch kept' if result.status == 'stopped_early' else 'best epoch'}):")
    print_report(result.validation)
    if result.validation.multi_label:
        print("  (the thresholds were tuned on this split, so its scores are optimistic: hold out a test share, "
              "or evaluate on another file, for an unbiased score)")
    if result.test:
        print("\nTest:")
        print_report(result.test)
    print(f"\nAdapter saved to {printable(result.adapter_dir)}  ({result.train_seconds:.0f} s, "
          f"{result.samples_per_s:.0f} samples/s on {result.device})")
    if here.distributed:
        print(f"Trained on {here.size} processes: effective batch {result.effective_batch} = {here.size} × "
              f"{result.effective_batch // here.size} per process (recorded in the manifest).")
    return EXIT_OK


# ---------------------------------------------------------------- evaluate / predict / info
def cmd_evaluate(args) -> int:
    from .core.dataset import load_dataset
    from .core.evaluation import evaluate
    from .core.inference import Classifier

    from .core.multilabel import spec_for_model

    clf = Classifier.load(args.adapter, base_model=args.base_model)
    spec = spec_for_model(clf.manifest, args.label_column)
    dataset = load_dataset(args.data, args.text_column, args.label_column, labels=spec, encoding=args.encoding)
    report = evaluate(clf, dataset.examples)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print_report(report)
    return EXIT_OK


def cmd_predict(args) -> int:
    from .core.errors import DataError
    from .core.inference import Classifier
    from .core.predict_file import check_destination, predict_file, predict_to
    from .core.sanitize import spreadsheet_safe

    if (args.text is None) == (args.data is None):
        raise DataError("Give either --text or a data file to predict.")
    if args.out:
        check_destination(args.out, args.data, args.overwrite)  # before the model loads: a bad --out fails at once
    args.explain = args.explain or args.careful  # --careful says how to explain: it asks for explanations
    if args.explain and args.int8:  # said before the model loads: int8 layers have no gradients
        raise DataError("--explain needs the full-precision model.", "Leave out --int8 to explain.")
    clf = Classifier.load(args.adapter, base_model=args.base_model, int8=args.int8)
    if args.threshold:
        from .core.multilabel import override_thresholds

        if not clf.multi_label:
            raise DataError("--threshold is for multi-label models; this one gives one label per text.")
        clf.thresholds = override_thresholds(clf.labels, clf.thresholds, args.threshold)
    method = "careful" if args.careful else "fast"
    if args.text is not None:
        return predict_text(clf, args.text, method if args.explain else None, args.json)
    if args.out:  # streamed into a temporary sibling, renamed over --out only when complete
        written = predict_file(clf, args.data, args.out, args.text_column, explain=method if args.explain else None,
                               overwrite=args.overwrite, encoding=args.encoding)
    else:  # streamed as predicted; on a terminal, escape sequences in cells are shown, never run
        def cell(value):
            value = spreadsheet_safe(value)
            return printable(value) if isinstance(value, str) and sys.stdout.isatty() else value

        written = predict_to(sys.stdout, clf, args.data, args.text_column, cell=cell, encoding=args.encoding,
                             explain=method if args.explain else None)
    for note in written.notes:
        print(f"warning: {printable(note)}", file=sys.stderr)
    if args.explain:  # on stderr: stdout may be the CSV itself
        print_file_explanation_trust(clf)
    if args.out:
        print(f"Wrote {written.rows:,} predictions to {printable(args.out)}", file=sys.stderr)
    if written.summary is not None:  # on stderr: stdout may be the CSV itself
        from .formatting import batch_summary_lines, matrix_lines

        report = written.summary.report
        lines = batch_summary_lines(written.summary, quote=printable)
        if report and report.multi_label:
            lines += [f"  {printable(e.label)}: missed {e.missed:,}, wrongly added {e.added:,}" for e in report.label_errors]
        elif report:
            lines += matrix_lines([printable(n) for n in report.labels], report.confusion)
        print("\n".join(lines), file=sys.stderr)
    return EXIT_OK


def cmd_devices(args) -> int:
    import torch

    from .core.devices import list_devices
    from .core.distributed import readiness

    devices, ready = list_devices(), readiness()
    if args.json:
        print(json.dumps({"devices": [d.__dict__ for d in devices], "distributed": ready}, indent=2))
        return EXIT_OK
    print(f"PyTorch {torch.__version__} ({'CUDA ' + torch.version.cuda if torch.version.cuda else 'CPU-only build'})")
    for d in devices:
        print(f"  {'✓' if d.available else '✗'} {d.kind:<4}  {d.name}" + ("" if d.available else f" — {d.reason}"))
    if ready["backend"]:
        gpus = f"{ready['gpus']} GPU{'s' if ready['gpus'] != 1 else ''} visible" if ready["gpus"] else "no GPU"
        print(f"Distributed training (torchrun): ready, {ready['backend']} backend, {gpus}"
              f"{'' if ready['nccl'] else '; NCCL unavailable, so processes talk over gloo'}.")
    else:
        print("Distributed training (torchrun): not available in this PyTorch build.")
    return EXIT_OK


def cmd_job(args) -> int:
    from .cli_scale import job_export

    return job_export(args)


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "inspect": cmd_inspect,
            "devices": cmd_devices, "job": cmd_job, **SHARE_COMMANDS}
