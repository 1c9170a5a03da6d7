"""The command line's arguments: the parser of every command, and the TrainConfig a training's flags make."""

from __future__ import annotations

import argparse

from .. import __version__
from ..core.data.multilabel import LabelSpec
from ..core.model.config import TrainConfig, preset
from .curate import add_curate_commands
from .share import add_share_commands, base_model_option


def parser() -> argparse.ArgumentParser:
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
    add_curate_commands(sub, _label_options, _encoding_option)  # review-labels, suggest

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
    return LabelSpec(args.multi_label, args.label_separator, tuple(args.label_columns or ()), bool(args.none_of_these))


def train_config(args, base=None):
    """The TrainConfig the flags describe: a saved configuration or a preset, then the flags given."""

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
