"""“Train elsewhere”: a self-contained job folder to carry to a GPU workstation or a cluster node.

The folder holds the data as it will be used (only the chosen text and label columns, the rows that passed
the checks), the settings (config.json), a README with the exact commands for one GPU, N GPUs and several
nodes, and job.json, which names every file with its sha256 so that a copied, damaged or edited job is
refused before an hour of GPU time is spent on it. `lora-studio train --job FOLDER` runs it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from ..base.hashing import sha256_file
from ..disk.atomic import atomic_directory, remove_unfinished
from ..model.config import TrainConfig
from ..disk.destinations import check_destination, exclusive
from ..disk.ownership import Owned
from ..base.errors import DataError
from ..data.label_reading import settle_labels
from ..base.sanitize import printable
from ..base.validate import Fields, read_json

JOB_FORMAT = "lora-studio-job"
JOB_VERSION = 1
JOB_FILE, DATA_FILE, VALIDATION_FILE, CONFIG_FILE, README_FILE = (
    "job.json", "data.csv", "validation.csv", "config.json", "README.md")
JOB_FILES = frozenset({JOB_FILE, DATA_FILE, VALIDATION_FILE, CONFIG_FILE, README_FILE})
TEXT, LABEL = "text", "label"


@dataclass(frozen=True)
class Job:
    folder: Path
    config: TrainConfig
    data: Path
    validation: Path | None
    dataset: str   # the file the job was made from (the run history's name for it)
    rows: int


def export_job(data_path: str | Path, config: TrainConfig, out_dir: str | Path,
               validation_path: str | Path | None = None, encoding: str | None = None) -> Job:
    """Write the job folder for training `data_path` with `config` elsewhere. Replaces only an earlier job.
    `encoding`: the user's choice for the text files (the job's copy is UTF-8)."""
    out = check_destination(out_dir, JOB_FOLDER)
    with exclusive(out):  # one export at a time here, so every `.part` beside it is a killed export's
        return _export_job(data_path, config, out, validation_path, encoding)


def _export_job(data_path, config: TrainConfig, out: Path, validation_path, encoding) -> Job:
    # here, not at the top: dataset loads pandas (start-up speed)
    from ..data.dataset import load_for_config

    remove_unfinished(out)  # a killed export's half folder holds a copy of the user's data
    dataset = load_for_config(data_path, config, encoding)
    examples = dataset.examples
    config = settle_labels(config, dataset.report)
    validation = None
    if validation_path is not None:
        validation = load_for_config(validation_path, config, encoding).examples
    model = Path(config.base_model).expanduser()
    if config.base_model != "embedded" and model.is_dir():  # a local folder: the README names where it was
        config = config.with_overrides(base_model=str(model.resolve()))
    join = str
    if examples.multi_label:  # one label column, joined by a separator no label name holds
        names = set(examples.label_names())
        separator = next((sep for sep in (";", "|", ",", "/") if not any(sep in n for n in names)), None)
        if separator is None:
            raise DataError("The label names use every separator (; | , /), so they cannot be written to one column.",
                            "Rename the labels.")
        config = replace(config, label_columns=(), label_separator=separator)
        join = separator.join
    config = config.with_overrides(text_column=TEXT, label_column=LABEL).validate()
    with atomic_directory(out, replace=True) as tmp:
        _write_rows(tmp / DATA_FILE, examples.texts, map(join, examples.labels))
        if validation is not None:
            _write_rows(tmp / VALIDATION_FILE, validation.texts, map(join, validation.labels))
        config.save(tmp / CONFIG_FILE)
        (tmp / README_FILE).write_text(readme(out.name, config, validation is not None), encoding="utf-8")
        files = {p.name: _sha256(p) for p in sorted(tmp.iterdir())}
        meta = {"format": JOB_FORMAT, "version": JOB_VERSION, "dataset": examples.source or Path(data_path).name,
                "rows": len(examples), "labels": sorted(set(examples.label_names())),
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "files": files}
        (tmp / JOB_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return read_job(out)


def read_job(folder: str | Path) -> Job:
    """A job folder, checked: job.json by type and range, every file it names present and unchanged."""
    folder = Path(folder)
    meta = read_json(folder / JOB_FILE,
                     lambda: DataError(f"“{printable(folder)}” is not a LoRA Studio job folder (it has no {JOB_FILE}).",
                                       "Make one with “lora-studio job export” or Train elsewhere… in the window."),
                     lambda exc: DataError(f"The job file in “{printable(folder)}” is damaged.", "Export the job again."))
    if not isinstance(meta, dict):
        raise DataError(f"The job file in “{printable(folder)}” is damaged.", "Export the job again.")

    def error(message: str) -> DataError:
        return DataError(f"The job in “{printable(folder)}” is not usable: {message}.", "Export the job again.")

    f = Fields(meta, "job.json", error)
    f.text("format", 40, choices=(JOB_FORMAT,))
    if f.integer("version", 1, 10**6) > JOB_VERSION:
        raise DataError("This job was made by a newer LoRA Studio.", "Update LoRA Studio to run it.")
    files = f.mapping("files")
    if not all(isinstance(k, str) and k in JOB_FILES and k != JOB_FILE and isinstance(v, str) and len(v) == 64
               for k, v in files.items()) or DATA_FILE not in files or CONFIG_FILE not in files:
        raise error("its list of files is not one LoRA Studio writes")
    for name, digest in files.items():
        path = folder / name
        if path.is_symlink() or not path.is_file():
            raise error(f"{name} is missing")
        if _sha256(path) != digest:
            raise error(f"{name} was changed or damaged since the job was exported")
    config = TrainConfig.load(folder / CONFIG_FILE)
    if (config.text_column, config.label_column) != (TEXT, LABEL):
        raise error("its settings name other columns than its data file has")
    return Job(folder, config, folder / DATA_FILE, folder / VALIDATION_FILE if VALIDATION_FILE in files else None,
               f.text("dataset", 300, default=DATA_FILE), f.integer("rows", 1, 10**9))


# The commands, once, for next_steps and the README of the job
ONE = "lora-studio train --job . --out adapter"
MANY = "torchrun --standalone --nproc-per-node {n} -m desktop_app train --job . --out adapter"
PACKAGED_ONE = "LoRAStudio train --job . --out adapter"
PACKAGED_MANY = "LoRAStudio train --job . --processes {n} --out adapter"


def next_steps(job: Job, packaged: bool = False) -> str:
    """What to do with a job just written, for the CLI and the window alike. `packaged`: this is the app
    without Python, whose users have neither `lora-studio` nor torchrun but the app itself."""
    one, many = (PACKAGED_ONE, PACKAGED_MANY.format(n="N")) if packaged else (ONE, MANY.format(n="N"))
    return (f"Wrote the job to {printable(job.folder)}: {job.rows:,} rows of “{printable(job.dataset)}”, the settings "
            f"and the commands ({README_FILE}). Copy the folder to the other machine and run, inside it:\n"
            f"    {one}\nor, with N GPUs:\n    {many}\n"
            f"{README_FILE} has the commands for several machines. The adapter opens in the Predict step.")


def holds_our_job(folder: Path) -> bool:
    """A job folder LoRA Studio may replace: a valid job.json of ours and nothing but job files (never the
    adapter trained inside it)."""
    return folder.is_dir() and is_job_folder(folder) and all(
        e.name in JOB_FILES and e.is_file() and not e.is_symlink() for e in folder.iterdir())


def is_job_folder(folder: Path) -> bool:
    try:
        read_job(folder)
    except Exception:  # noqa: BLE001 - anything that is not a valid job is not ours to replace
        return False
    return True


JOB_FOLDER = Owned("job", "job folder", holds_our_job, empty_folder=True)


def readme(name: str, config: TrainConfig, has_validation: bool) -> str:
    """The exact commands, for the person at the other machine."""
    files = DATA_FILE + (f" and {VALIDATION_FILE}" if has_validation else "")
    model = config.base_model
    where = ("the built-in model, which every LoRA Studio installation has" if model == "embedded" else
             f"a local folder, {model}: copy it to the other machine and add `--model FOLDER` to the command"
             if Path(model).is_absolute() else f"{model} from the Hugging Face cache (or hub, if allowed)")
    return f"""# LoRA Studio job: {name}

Made by LoRA Studio's *Train elsewhere*. It holds the data as it will be used ({files}: a `text` and a
`label` column), the settings ({CONFIG_FILE}) and {JOB_FILE}, which lists every file with its checksum: a
changed file is refused. The base model is {where}.

Install LoRA Studio on that machine (with the PyTorch build for its GPU), copy this folder there and run one
of these inside it. Each writes the adapter to `adapter/`, which the window's Predict step opens
(File > Open adapter...); its manifest records the device, the processes and the batch sizes.

One GPU (or one CPU):

    {ONE}

N GPUs on one machine (here 4; PyTorch DDP: NCCL on GPUs, gloo on CPUs):

    {MANY.format(n=4)}

Several machines (here 2 with 4 GPUs each): run on every machine, each with its own --node-rank (0, 1) and
the address of machine 0:

    torchrun --nnodes 2 --nproc-per-node 4 --node-rank 0 --rdzv-backend c10d \\
        --rdzv-endpoint MACHINE0:29500 -m desktop_app train --job . --out adapter

The packaged app (no Python) starts the processes itself: `{PACKAGED_MANY.format(n=4)}`.

The batch size ({config.batch_size}) is per process: N processes make one update from N x {config.batch_size}
examples, at the same learning rate ({_rate(config)}). To keep the effective batch of a one-process
run, divide it: with 4 processes, add `--batch-size {max(1, config.batch_size // 4)}`.
"""


def _rate(config: TrainConfig) -> str:
    return f"{config.learning_rate:g}" if config.learning_rate is not None else "automatic: the preset's"


def _write_rows(path: Path, texts: list[str], labels: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([TEXT, LABEL])
        writer.writerows(zip(texts, labels))


def _sha256(path: Path) -> str:
    return sha256_file(path)
