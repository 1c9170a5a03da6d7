"""Jobs for the Runner: plain callables `job(emit, cancel)` over the core, built from values read on the GUI
thread. Nothing here touches a widget; results are plain objects handed back through the runner."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..core.artifacts.adapters import export_adapter
from ..core.artifacts.job import export_job
from ..core.artifacts.onnx_export import export_onnx
from ..core.base.errors import BaseModelMissing
from ..core.base.events import checkpoint
from ..core.base.logs import report
from ..core.data.dataset import build_report, prepare_training_data
from ..core.data.multilabel import binary_columns
from ..core.data.tables import guess_columns, read_table
from ..core.model.base_models import list_cached_models
from ..core.model import devices
from ..core.model import text, threads  # their functions looked up at call time: tests patch them
from ..core.predict.explain import explain
from ..core.predict.inference import Classifier, predict_frame
from ..core.predict.predict_file import summarise, write_frame_csv
from ..core.train.estimate import estimate_epoch_seconds
from ..core.train import learning_curve as curve  # curve.learning_curve looked up at call time: tests patch it
from ..core.train.preparation import in_use
from ..core.train.training import run_training

_IMPORTING = threading.Lock()


def heavy_libraries() -> None:
    """Import transformers and peft one thread at a time. The start-up job and an adapter opened at once (a .zip
    dropped on a fresh window) imported them together on two runner threads, and peft met a half-initialised
    transformers: "cannot import name 'AutoModel'". Every job that needs them calls this first."""
    with _IMPORTING:
        __import__("transformers")
        __import__("peft")


@dataclass
class LoadedData:
    table: object
    report: object
    examples: object
    token_lengths: list
    model_limit: int = 512  # the base model's longest input, in tokens
    yes_no_columns: list = field(default_factory=list)  # 0/1 columns that could be labels (multi-label)
    encoding: str | None = None  # the text file's encoding as the user chose it (None: guessed)


@dataclass
class BatchProgress:
    done: int
    total: int


def warm_up_job():
    """Import the heavy libraries and list devices after the window has painted."""
    def job(emit, cancel):
        found = devices.list_devices()  # looked up at call time: tests patch it
        checkpoint(cancel)
        using = threads.initial_threads()  # the threads training would start on now, as prepare_model decides them
        found = [in_use(device, using) for device in found]
        cached = list_cached_models()
        checkpoint(cancel)
        heavy_libraries()  # warm the import cache for the first run, the first adapter
        return {"devices": found, "cached": cached}
    return job


def load_data_job(path: str, text_column: str | None, label_column: str | None, config, table=None,
                  labels=None, encoding: str | None = None):
    """Read and check a table, counting tokens with the chosen base model's tokenizer and limit; `labels`
    (multilabel.LabelSpec) says how to read the labels, by default as the data shows; `encoding`, the
    text file's encoding (None: guessed)."""
    def job(emit, cancel):
        heavy_libraries()  # the tokenizer comes from transformers
        loaded = table if table is not None else read_table(path, encoding)
        counter, model_limit = text.token_counting(config.base_model)
        # no length judged here: which texts get cut depends on the length the run will use, which the settings
        # decide (Configure); the Dataset page says it from these counts as they change (config_automatic.py)
        report, examples = build_report(loaded, text_column, label_column, None, None, labels=labels)
        lengths = counter(examples.texts) if counter else []  # one count: the Dataset and Configure pages use it
        yes_no = binary_columns(loaded.frame, (report.text_column,))
        return LoadedData(loaded, report, examples, lengths, model_limit, yes_no, encoding)
    return job


def train_job(config, examples, validation_path, out_dir):
    """Split (or read the validation file) in the worker, then train: one core use case each."""
    def job(emit, cancel):
        heavy_libraries()
        data = prepare_training_data(examples, config, validation_path)
        return run_training(config, data, on_event=emit, cancel=cancel, out_dir=out_dir)
    return job


def learning_curve_job(config, examples):
    """"Would more examples help?" for a small-data run: its rows as it trained on them (the test share held
    out the same way), scored on 25/50/75/100% of them."""
    def job(emit, cancel):
        heavy_libraries()
        return curve.learning_curve(config, prepare_training_data(examples, config).train, emit, cancel)
    return job


def estimate_job(config, texts, labels=None):
    def job(emit, cancel):
        heavy_libraries()
        return estimate_epoch_seconds(config, texts, cancel=cancel, labels=labels)
    return job


@dataclass(frozen=True)
class MissingBase:
    """What loading an adapter gives when its base model is not found: the window asks for its folder."""

    message: str


def load_adapter_job(path: str, base_model: str | None = None):
    def job(emit, cancel):
        heavy_libraries()
        try:  # ONNX Runtime: live predictions ~2x faster
            classifier = Classifier.load(path, base_model=base_model, backend="auto")
        except BaseModelMissing as exc:
            if base_model:  # the folder the user chose was not usable: said as any failure is
                raise
            return MissingBase(exc.message)
        checkpoint(cancel)  # the window closed meanwhile: drop the model at once
        return classifier
    return job


def classifier_from_result_job(result):
    def job(emit, cancel):
        heavy_libraries()
        return Classifier.from_training(result, backend="auto")
    return job


def predict_job(classifier, texts):
    def job(emit, cancel):
        return classifier.predict(texts)
    return job


def live_job(classifier, texts):
    """The first text's prediction and its fast explanation. An explanation that cannot be made (an int8
    model; a model without gradients) leaves the prediction shown: it is logged, and None goes back."""
    def job(emit, cancel):
        prediction = classifier.predict(texts)[0]
        try:
            explanation = None if getattr(classifier, "int8", False) else explain(classifier, texts[0],
                                                                                   prediction=prediction)
        except Exception as exc:  # noqa: BLE001 - the label stands without its explanation; the log says why
            report(exc)
            explanation = None
        return prediction, explanation
    return job


def explain_job(classifier, text: str, method: str, target: str | None = None):
    """`target`: the label to explain (multi-label: any of the model's labels); None: the predicted one."""
    def job(emit, cancel):
        return explain(classifier, text, target=target, method=method)
    return job


def read_table_job(path: str):
    def job(emit, cancel):
        table = read_table(path)
        return table, guess_columns(table.frame)[0]
    return job


def batch_predict_job(classifier, frame, column):
    """The table with predictions; its summary (rows, time, agreement with a label column if the file has
    one: predict_file.summarise) travels in `frame.attrs[SUMMARY]` for the Predict page."""
    def job(emit, cancel):
        import time


        started = time.monotonic()
        out = predict_frame(classifier, frame, column, lambda d, t: emit(BatchProgress(d, t)), cancel)
        if out is not None:
            out.attrs[SUMMARY] = summarise(classifier, out, column, time.monotonic() - started)
        return out
    return job


SUMMARY = "lora_studio_summary"


def export_adapter_job(adapter_dir, destination: str, include_examples: bool = False):
    def job(emit, cancel):
        return export_adapter(adapter_dir, destination, include_examples=include_examples)
    return job


def job_folder_job(data_path, config, destination: str, validation_path, encoding: str | None = None):
    """Train elsewhere: the job folder (core/job.py) for the data and settings of the window."""
    def job(emit, cancel):
        return export_job(data_path, config, destination, validation_path, encoding)
    return job


def export_onnx_job(classifier, destination: str):
    def job(emit, cancel):
        return export_onnx(classifier, destination)  # checked against PyTorch before anything is written
    return job


def save_csv_job(frame, destination: str):
    def job(emit, cancel):
        # atomic, spreadsheet-safe cells, the umask's permissions; replaces only a CSV the user agreed to replace
        write_frame_csv(frame, destination, overwrite=True)
        return destination
    return job
