"""The command line's sharing commands: export (the adapter as shared), export-onnx, info; and the --base-model
option by which a recipient points LoRA Studio at a base model that is not found by itself."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.artifacts.adapters import ADAPTER_FOLDER, ADAPTER_ZIP, describe_adapter, export_adapter
from ..core.base.errors import DataError
from ..core.base.sanitize import printable
from ..core.disk.destinations import check_destination
from .output import print_scores_and_record

EXIT_OK = 0  # as cli.py's


def add_share_commands(sub) -> None:
    ex = sub.add_parser("export", help="share an adapter: one .zip (or --folder) with a model card and no local "
                                       "paths; no text of your data unless --include-examples")
    ex.add_argument("adapter", help="an adapter folder or .zip")
    ex.add_argument("out", nargs="?", metavar="OUT.zip", help="the .zip to write (new, or an earlier export)")
    ex.add_argument("--folder", metavar="OUT", help="write a folder instead of a .zip")
    ex.add_argument("--include-examples", action="store_true",
                    help="include the example mistakes (up to 50 validation texts of your data, with their labels)")

    x = sub.add_parser("export-onnx", help="export an adapter, merged into its base model, as an ONNX folder")
    x.add_argument("adapter")
    x.add_argument("--out", required=True, metavar="FOLDER",
                   help="a new folder, an empty one, or an earlier ONNX export to replace")
    base_model_option(x)

    f = sub.add_parser("info", help="show an adapter's manifest")
    f.add_argument("adapter")
    f.add_argument("--json", action="store_true")


def base_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-model", metavar="FOLDER",
                        help="the adapter's base model, when LoRA Studio does not find it by itself (a shared "
                             "adapter trained on a local folder); it must have the same weights")


def cmd_export(args) -> int:
    if (args.out is None) == (args.folder is None):
        raise DataError("Give the .zip to write, or --folder FOLDER, but not both.",
                        "For example: lora-studio export my-adapter my-classifier.zip")
    if args.out is not None and Path(args.out).suffix.lower() != ".zip":
        raise DataError(f"“{printable(args.out)}” does not end in .zip.", "Name a .zip, or use --folder for a folder.")
    dest = Path(args.out or args.folder)
    check_destination(dest, ADAPTER_ZIP if args.out else ADAPTER_FOLDER)  # before anything is read: a bad OUT fails at once
    written = export_adapter(args.adapter, dest, include_examples=args.include_examples, as_zip=args.out is not None)

    manifest = describe_adapter(written)
    size = sum(p.stat().st_size for p in written.iterdir()) if written.is_dir() else written.stat().st_size
    print(f"Exported to {printable(written)} ({size / 1024:,.0f} KB), with a model card (README.md). "
          f"The base model is named “{printable(manifest.base_model.ref)}”; no folder of this computer is named.")
    print("The example mistakes (texts of your data) are included." if args.include_examples else
          "No text of your data is included (--include-examples adds the example mistakes).")
    return EXIT_OK


def cmd_export_onnx(args) -> int:
    # here, not at the top: these load numpy (start-up speed)
    from ..core.artifacts.onnx_export import ONNX_EXPORT, export_onnx
    from ..core.predict.inference import Classifier

    check_destination(args.out, ONNX_EXPORT)  # before the model loads: a bad --out fails at once
    exported = export_onnx(Classifier.load(args.adapter, base_model=args.base_model), args.out)
    print(f"Exported to {printable(exported.folder)} ({exported.megabytes:.0f} MB model.onnx); ONNX Runtime gives "
          f"the same probabilities (largest difference {exported.gap:.1e}).")
    return EXIT_OK


def cmd_info(args) -> int:
    manifest = describe_adapter(args.adapter)
    if args.json:  # json.dumps escapes control characters: safe for any terminal
        print(json.dumps(manifest.to_dict(), indent=2))
        return EXIT_OK
    base = manifest.base_model
    print(f"Adapter:    {printable(args.adapter)}")
    print(f"Created:    {printable(manifest.created or '?')}  by LoRA Studio "
          f"{printable(manifest.versions.get('lora_studio', '?'))}")
    print(f"Base model: {printable(base.name)} ({printable(base.model_type)}), sha256 {base.fingerprint[:12]}…")
    kind = "Labels:     " if manifest.task == "multi_label" else "Classes:    "
    print(kind + ", ".join(printable(x) for x in manifest.labels) + (" (several per text)" if manifest.thresholds else ""))
    print(f"Max length: {manifest.max_length} tokens (longer texts: start and end kept)")
    print_scores_and_record(manifest)  # the scores, the epoch they are from, the note, how settings were set
    return EXIT_OK


COMMANDS = {"export": cmd_export, "export-onnx": cmd_export_onnx, "info": cmd_info}
