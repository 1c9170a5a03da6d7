"""The headless command line: the same core as the desktop app, for scripts and power users. The core modules that
load pandas or numpy are imported inside the commands that need them, so that `lora-studio --help` stays quick
(start-up speed, not import circles: the cli package imports the core and nothing imports the cli back)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from ..core.base.errors import DataError, StudioError
from ..core.base.events import CancelToken
from ..core.base.logs import log, report, setup_logging
from ..core.base.sanitize import printable, spreadsheet_safe
from ..core.data.label_reading import settle_labels
from ..core.data.multilabel import override_thresholds, spec_for_model
from ..core.model.config import TrainConfig
from ..core.model import devices
from ..core.model import text  # text.token_counting looked up at call time: tests patch it
from ..core.train.distributed import finish, readiness, world
from ..formatting import batch_summary_lines, matrix_lines
from .. import paths  # paths.sample_dataset looked up at call time: tests patch it
from .args import label_spec, parser, train_config
from .output import (ProgressPrinter, predict_text, print_estimate, print_file_explanation_trust, print_inspect,
                     print_report)
from .scale import job_export, launch, training_job
from .curate import COMMANDS as CURATE_COMMANDS
from .share import COMMANDS as SHARE_COMMANDS

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]

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
    # here, not at the top: these load pandas and numpy (start-up speed)
    from ..core.data.dataset import inspect

    defaults = TrainConfig()
    counter, limit = text.token_counting(defaults.base_model)
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
    # here, not at the top: these load pandas and numpy (start-up speed)
    from ..core.data.dataset import load_for_config, prepare_training_data
    from ..core.train.training import run_training

    if args.processes is not None:  # this process only launches the N that train, once the settings are sound

        training_job(args) if args.job else train_config(args)  # the flags' settings, checked once here
        return launch(args.processes, args.argv, main)
    if args.job:
        job = training_job(args)
        data_path, validation, config = job.data, job.validation, train_config(args, job.config)
    else:
        if not args.data and not args.sample:
            raise DataError("No data file given.", "Name a file to train on, or use --sample for the bundled reviews.")
        data_path = paths.sample_dataset() if args.sample and not args.data else Path(args.data)
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
    # here, not at the top: these load pandas and numpy (start-up speed)
    from ..core.data.dataset import load_dataset
    from ..core.metrics.evaluation import evaluate
    from ..core.predict.inference import Classifier


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
    # here, not at the top: these load pandas and numpy (start-up speed)
    from ..core.predict.inference import Classifier
    from ..core.predict.predict_file import check_predictions_destination, predict_file, predict_to

    if (args.text is None) == (args.data is None):
        raise DataError("Give either --text or a data file to predict.")
    if args.out:
        check_predictions_destination(args.out, args.data, args.overwrite)  # before the model loads: a bad --out fails at once
    args.explain = args.explain or args.careful  # --careful says how to explain: it asks for explanations
    if args.explain and args.int8:  # said before the model loads: int8 layers have no gradients
        raise DataError("--explain needs the full-precision model.", "Leave out --int8 to explain.")
    clf = Classifier.load(args.adapter, base_model=args.base_model, int8=args.int8)
    if args.threshold:
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

    found, ready = devices.list_devices(), readiness()  # looked up at call time: tests patch it
    if args.json:
        print(json.dumps({"devices": [d.__dict__ for d in found], "distributed": ready}, indent=2))
        return EXIT_OK
    print(f"PyTorch {torch.__version__} ({'CUDA ' + torch.version.cuda if torch.version.cuda else 'CPU-only build'})")
    for d in found:
        print(f"  {'✓' if d.available else '✗'} {d.kind:<4}  {d.name}" + ("" if d.available else f" — {d.reason}"))
    if ready["backend"]:
        gpus = f"{ready['gpus']} GPU{'s' if ready['gpus'] != 1 else ''} visible" if ready["gpus"] else "no GPU"
        print(f"Distributed training (torchrun): ready, {ready['backend']} backend, {gpus}"
              f"{'' if ready['nccl'] else '; NCCL unavailable, so processes talk over gloo'}.")
    else:
        print("Distributed training (torchrun): not available in this PyTorch build.")
    return EXIT_OK


def cmd_job(args) -> int:
    return job_export(args)


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "inspect": cmd_inspect,
            "devices": cmd_devices, "job": cmd_job, **SHARE_COMMANDS, **CURATE_COMMANDS}
