"""run_training: fine-tune a base encoder with LoRA on the user's examples (HF Trainer + peft).

The call reports through `on_event` (plain dataclasses, see events.py) and stops within one step
when `cancel` is set. Nothing is written to `out_dir` unless the run succeeds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from ..artifacts.adapters import ADAPTER_FOLDER, save_adapter
from ..disk.atomic import clean_orphaned_temp_folders, recover_leftovers, temp_folder
from ..model.config import TrainConfig
from ..disk.destinations import check_destination, exclusive, saving_failed
from ..data.dataset import Dataset, Splits, label_counts, prepare_training_data, stratified_split
from ..model.devices import pick_device
from .distributed import SyncedCancel, alone, bind_gpu, check_same_data, from_rank0, gather, world
from ..metrics.evaluation import evaluate
from ..predict.inference import Classifier
from ..data.label_reading import settle_labels
from ..base.errors import StudioError, TrainingError
from ..base.events import Cancelled, CancelToken, Finished, LogLine, Started, checkpoint
from ..data.label_map import LabelMap
from ..artifacts.manifest import is_adapter_folder
from ..model import frozen_cache
from .objectives import finished_line, for_task, gives_every_label, objective_for, tuned_thresholds
from ..model.pooling import pooling_of
from ..model.precision import attention, machine_key, probe_batches, resolve
from .preparation import attach_lora, choose_max_length, ensure_min_steps, prepare_model, seed_everything
from ..artifacts.kept_numbers import MEASURED_AGAIN, drop_mixed_precision_wrapper, kept_note, measured_as_saved
from ..metrics.score_estimate import ScoreEstimate
from . import small_data  # small_data.run_small looked up at call time: the benchmarks swap it
from ..model.text import TextEncoder
from ..model.threads import ThreadTuner
from ..artifacts.train_result import TrainResult
from . import distributed
from ..model import base_models
from ..model import precision as precision_module  # its measure_steps is looked up at call time: tests patch it

log = logging.getLogger(__name__)


class _Examples:
    """A map-style torch dataset over pre-tokenised examples (Trainer only needs __len__/__getitem__).
    With `indexed`, each item names its example, for the frozen-layer cache."""

    def __init__(self, ids: list[list[int]], labels: list[int]) -> None:
        self.ids, self.labels, self.indexed = ids, labels, False
        self.served = 0  # items handed to this process's training (its share under torchrun)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        self.served += 1
        item = {"input_ids": self.ids[i], "labels": self.labels[i]}
        if self.indexed:
            item["index"] = i
        return item


class _CountFromStart:
    """A TrainerCallback by protocol (like threads.ThreadTuner): count the examples served from the first
    step, not the pass the length-grouping sampler makes over the dataset when it is built."""

    def __init__(self, dataset: _Examples) -> None:
        self.dataset = dataset

    def on_train_begin(self, *args, **kwargs) -> None:
        self.dataset.served = 0

    def __getattr__(self, name: str):
        if name.startswith("on_"):
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def _splits(config: TrainConfig, data: Dataset | Splits) -> Splits:
    """Prepared splits as given; a whole Dataset is split by the one function that splits (dataset.py)."""
    return data if isinstance(data, Splits) else prepare_training_data(data.examples, config)


def run_training(config: TrainConfig, data: Dataset | Splits, on_event: Callable | None = None,
                 cancel: CancelToken | None = None, out_dir: str | Path | None = None) -> TrainResult:
    """Train, evaluate, and (if out_dir) save the adapter package. Raises StudioError on user problems."""
    here = world()
    if not here.main:  # under torchrun: rank 0 reports and saves, the other ranks only log
        on_event, out_dir = None, None
    emit = _logged(on_event or (lambda event: None))
    cancel = cancel or CancelToken()
    config = config.validate()
    if isinstance(data, Dataset) and data.report is not None:  # the label reading settled on, for the manifest
        config = settle_labels(config, data.report)
    backend = _join(here, config) if here.distributed else None
    # rank 0's check, its outcome on every rank (distributed.from_rank0): no rank waits for one that failed
    checked = from_rank0(lambda: _prepare_destination(out_dir, emit) if out_dir is not None else None, here)
    destination = checked if here.main else None  # rank 0 alone writes (and locks) the adapter
    with alone(here), exclusive(destination) if destination else nullcontext():
        try:
            result = _run(config, data, emit, cancel, destination, here, backend)
        except Cancelled:
            result = TrainResult("cancelled", config=config)
            small = getattr(getattr(data, "plan", None), "small", False)
            emit(LogLine("Training was stopped. Nothing was saved: on small data the kept model trains on every "
                         "example after the cross-validation, so there is no earlier epoch to keep." if small and
                         cancel.keep_best else
                         "Training was stopped before any epoch was evaluated: there was no epoch to keep. "
                         "Nothing was saved." if cancel.keep_best else "Training was stopped. Nothing was saved."))
    emit(Finished(result.status, result if result.status != "cancelled" else None))
    return result


def _join(here, config: TrainConfig) -> str:
    """Under torchrun: join the job's process group first (gloo on a CPU, NCCL on CUDA), so that every
    decision taken before training can be shared. Returns the backend's name."""
    bind_gpu(here, config.device)  # first: the device check below then inspects this rank's own GPU
    return distributed.start(here, pick_device(config.device).kind)  # tests patch it


def _logged(emit: Callable) -> Callable:
    """Every message the user sees also goes to the log file (core/logs.py), for bug reports."""
    def both(event) -> None:
        if isinstance(event, LogLine):
            log.log(logging.WARNING if event.level == "warning" else logging.INFO, "%s", event.message)
        emit(event)
    return both


def _prepare_destination(out_dir, emit) -> Path:
    """Before any training: repair what a killed run left, then refuse a destination we may not
    replace or cannot write (destinations.py), so no hour of training is lost to a typo."""
    target = check_destination(out_dir, ADAPTER_FOLDER)  # first: protected or foreign paths are never touched
    for note in recover_leftovers(target, is_adapter_folder):
        emit(LogLine(f"Earlier interrupted run: {note}.", "warning"))
    clean_orphaned_temp_folders()
    return check_destination(target, ADAPTER_FOLDER)


def _run(config: TrainConfig, data, emit, cancel: CancelToken, out_dir: Path | None, here,
         backend: str | None) -> TrainResult:
    checkpoint(cancel)
    splits = _splits(config, data)
    label_map = LabelMap.from_labels(splits.train.label_names())
    unknown = sorted(set(splits.validation.label_names()) - set(label_map.names))
    if unknown:
        raise TrainingError(f"The validation examples have labels the training examples lack: "
                            f"{', '.join(unknown[:5])}.", "Every class needs training examples.")
    if len(label_map) < 2:
        raise TrainingError("Training needs at least two classes.")
    objective = objective_for(splits.train, label_map)
    if objective.multi_label:
        config = for_task(replace(config, multi_label=True), True, emit)
    small = splits.plan is not None and splits.plan.small
    if small and here.distributed:  # several processes are for big data: the usual split, said in the log
        emit(LogLine("Small data under torchrun: a validation split is held out instead of cross-validation."))
        splits, small = replace(stratified_split(splits.train, config.validation_fraction, 0.0, config.seed),
                                test=splits.test, source=splits.source), False
    if not small and len(splits.validation) == 0:
        raise TrainingError("The validation split is empty.", "Add more examples per class.")
    prepared = prepare_model(config, label_map.names, emit, cancel, here.local_size, small=small)
    if small:
        if out_dir is not None:  # the adapter's size is known once LoRA is attached: check the disk, before training
            import copy

            sized = attach_lora(config, prepared.base, copy.deepcopy(prepared.model))
            check_destination(out_dir, ADAPTER_FOLDER, need_bytes=_adapter_bytes(sized))
            del sized
        result = small_data.run_small(config, splits, label_map, objective, prepared, emit, cancel)
        _finish(result, emit, out_dir, prepared.base)
        return result
    device, base, tokenizer, model, limit = (prepared.device, prepared.base, prepared.tokenizer, prepared.model,
                                             prepared.token_limit)
    if here.distributed:
        if device.kind == "cpu":  # the processes on one machine share its cores (devices.configure_cpu_threads)
            import torch

            n = torch.get_num_threads()
            device = replace(device, name=f"CPU, {n} thread{'s' if n != 1 else ''} per process")
        emit(LogLine(f"Distributed: {here.size} processes ({backend}); this is {here}."))
        check_same_data(splits, here)
    probe = TextEncoder(tokenizer, limit)
    raw_train, raw_val = probe.tokenize(splits.train.texts), probe.tokenize(splits.validation.texts)
    train_counts = probe.lengths(raw_train)
    max_length = choose_max_length(config, train_counts, limit)
    encoder = TextEncoder(tokenizer, max_length)
    counts = train_counts + probe.lengths(raw_val)
    too_long = sum(1 for c in counts if c > max_length)
    emit(LogLine(f"Max length {max_length} tokens; {too_long} of {len(counts)} texts are longer "
                 "(kept: start and end)." if too_long else f"Max length {max_length} tokens; no text is cut."))
    train_ds = _Examples(encoder.finish(raw_train), objective.targets(splits.train))
    val_ds = _Examples(encoder.finish(raw_val), objective.targets(splits.validation))
    checkpoint(cancel)

    config = ensure_min_steps(config, math.ceil(len(train_ds) / here.size), emit)  # the updates per process
    model = attach_lora(config, base, model)
    if out_dir is not None:  # the adapter's size is known now: check the disk can hold it, before training
        check_destination(out_dir, ADAPTER_FOLDER, need_bytes=_adapter_bytes(model))
    # measured once, by rank 0: every process must train in the same number format
    precision = from_rank0(lambda: _choose_precision(config, device, model, encoder, train_ds, emit, cancel), here)
    batch_size = config.batch_size
    while True:  # on CUDA out-of-memory: halve the batch, keep the effective batch via accumulation
        try:
            return _train(config=config, emit=emit, cancel=cancel, out_dir=out_dir, splits=splits,
                          label_map=label_map, objective=objective, device=device, base=base, model=model, encoder=encoder,
                          train_ds=train_ds, val_ds=val_ds, batch_size=batch_size, precision=precision,
                          here=here)
        except (Cancelled, StudioError):
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            if not _is_oom(exc):
                raise
            if here.distributed:  # halving on one rank only would leave the others waiting for it
                raise TrainingError(f"A training process ({here}) ran out of device memory.",
                                    "Lower --batch-size (it is per process) or --max-length.") from exc
            if batch_size <= 1:
                raise TrainingError("The device ran out of memory even with a batch of one example.",
                                    "Lower the maximum length, or train on the CPU.") from exc
            batch_size //= 2
            _free_device_memory()
            seed_everything(config.seed)
            emit(LogLine(f"Out of memory: retrying with batch size {batch_size} "
                         f"(gradient accumulation keeps the effective batch at {config.batch_size}).", "warning"))
            model = attach_lora(config, base, base_models.load_classifier(base, label_map.names, config.model_dropout,
                                                              objective.multi_label, pooling_of(model)))


def _choose_precision(config, device, model, encoder, train_ds, emit, cancel):
    """fp32, bf16 or fp16 for this run: by capability on a GPU, measured on the user's batches on a CPU
    (once per machine and batch shape; core/precision.py)."""
    import torch

    def measure() -> dict[str, float]:
        emit(LogLine("Measuring whether bf16 or fp32 trains faster on this computer (once)."))
        batches = probe_batches(encoder, train_ds.ids, config.batch_size,
                                labels_per_text=len(train_ds.labels[0]) if config.multi_label else 0)
        return precision_module.measure_steps(model, batches, between=lambda: checkpoint(cancel))

    key = machine_key(model, config.batch_size, encoder.max_length, torch.get_num_threads())
    precision = resolve(config.precision, device, measure, key)
    emit(LogLine(f"Precision: {precision.reason}."))
    return precision


def _adapter_bytes(model) -> int:
    """What the saved adapter will take: its trainable tensors in fp32, twice (the swap keeps the old one
    until the new one is in place), plus room for the manifest."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return 2 * 4 * trainable + 4 * 1024**2


def _is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower()


def _free_device_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _train(*, config, emit, cancel, out_dir, splits, label_map, objective, device, base, model, encoder, train_ds, val_ds,
           batch_size, precision, here) -> TrainResult:
    import torch
    from transformers import PrinterCallback, Trainer, TrainingArguments

    # here, not at the top: callbacks loads torch and transformers at import (start-up speed)
    from .callbacks import BestModelKeeper, CacheCheck, EventCallback

    accumulation = max(1, config.batch_size // batch_size)
    effective = batch_size * accumulation * here.size
    steps_per_epoch = math.ceil(len(train_ds) / effective)
    if here.distributed:
        emit(LogLine(f"Effective batch {effective} = {here.size} processes × {batch_size} per process"
                     + (f" × {accumulation} accumulated" if accumulation > 1 else "")
                     + f"; learning rate {config.learning_rate:g} for that batch."))
        cancel = SyncedCancel(cancel, here)  # a Stop on any rank stops every rank on the same step
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    work = temp_folder("trainer")
    args = TrainingArguments(
        output_dir=work.name, per_device_train_batch_size=batch_size, gradient_accumulation_steps=accumulation,
        per_device_eval_batch_size=max(batch_size * 2, 32), num_train_epochs=config.epochs,
        learning_rate=config.learning_rate, weight_decay=config.weight_decay, warmup_steps=config.warmup,
        lr_scheduler_type="linear", eval_strategy="epoch", save_strategy="no", logging_strategy="steps",
        logging_steps=max(1, min(50, total_steps // 50)), report_to="none", disable_tqdm=True,
        dataloader_num_workers=0, seed=config.seed, data_seed=config.seed, use_cpu=device.kind == "cpu",
        ddp_find_unused_parameters=False,  # under torchrun: every trainable weight (LoRA, head) is used
        # under torchrun, True (5.24's default) multiplies the already averaged loss by the process count
        # (the PEFT model's forward(**kwargs) makes the Trainer think the model scales it): N x the gradients
        average_tokens_across_devices=False,
        bf16=precision.name == "bf16", fp16=precision.name == "fp16",
        remove_unused_columns=False, train_sampling_strategy="group_by_length", log_level="error",
        label_names=["labels"])

    plan = frozen_cache.plan(model, [len(x) for x in train_ds.ids], config.epochs, config.frozen_cache_mb,
                             device.kind, here.size)
    emit(LogLine(frozen_cache.describe(plan, config.frozen_cache_mb)))
    cache = frozen_cache.FrozenPrefixCache(model, plan.frozen) if plan.active else None
    train_ds.indexed = cache is not None

    def collate(features):
        batch = encoder.collate([f["input_ids"] for f in features])
        batch["labels"] = objective.label_tensor([f["labels"] for f in features])
        if "index" in features[0]:
            batch[frozen_cache.INDEX_KEY] = torch.tensor([f["index"] for f in features], dtype=torch.long)
        return batch

    loss_func = objective.weighted_loss(train_ds.labels) if config.class_weighting else None
    events = EventCallback(emit, cancel, batch_size * accumulation)
    keeper = BestModelKeeper(emit, config.early_stopping_patience, objective.best_metric)
    tuner = [] if here.distributed else [ThreadTuner(emit)]  # the processes split the cores evenly instead
    callbacks = [events, keeper, *tuner, _CountFromStart(train_ds)] + ([CacheCheck(cache, emit)] if cache else [])
    base_model = model.get_base_model() if hasattr(model, "get_base_model") else model
    own_attention = getattr(base_model.config, "_attn_implementation", None)  # before training switches it
    trainer = measured_as_saved(Trainer, own_attention)(
        model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, data_collator=collate,
        compute_metrics=objective.metrics, callbacks=callbacks, compute_loss_func=loss_func)
    trainer.remove_callback(PrinterCallback)  # our events replace its print() of every log dict
    emit(Started(total_steps, config.epochs, len(train_ds), len(val_ds), label_map.names, device.name,
                 encoder.max_length, batch_size * accumulation, objective.multi_label))
    started = time.monotonic()
    stopped_at = None
    try:
        with attention(model, precision.attention):
            if cache is not None:
                cache.attach()
            trainer.train()
    except Cancelled:
        if not (cancel.keep_best and keeper.best_state is not None):
            raise  # plain Stop (or nothing evaluated yet): nothing is kept
        stopped_at = float(trainer.state.epoch or 0)
        emit(LogLine(f"Stopped at epoch {stopped_at:.2f}; keeping the best evaluated epoch "
                     f"({keeper.best_metrics['epoch']:.2f})."))
    finally:
        if cache is not None:
            cache.detach()
            train_ds.indexed = False
        work.cleanup()
    seconds = time.monotonic() - started
    served = gather(train_ds.served, here)  # every rank's share of the examples (a collective: all ranks)
    if not here.main:  # rank 0 evaluates and saves; the others are done
        return TrainResult("completed", steps=trainer.state.global_step, epochs=float(trainer.state.epoch or 0),
                           train_seconds=seconds, examples_per_rank=served, config=config)
    drop_mixed_precision_wrapper(model)
    keeper.restore(model)
    model.eval()
    trained = Classifier(model, encoder, label_map.names, None)  # the same evaluation as `lora-studio evaluate`
    if objective.multi_label:
        trained.multi_label, trained.thresholds = True, tuned_thresholds(trained, splits.validation)
    validation = evaluate(trained, splits.validation)
    test = evaluate(trained, splits.test) if splits.test else None
    steps = trainer.state.global_step
    if stopped_at is not None:
        status = "stopped"
    else:
        status = "stopped_early" if keeper.stopped_early and steps < total_steps else "completed"
    epochs = float(trainer.state.epoch or 0)
    result = TrainResult(status=status, labels=label_map.names, validation=validation, test=test,
                         history=keeper.history, steps=steps, epochs=epochs, train_seconds=seconds,
                         samples_per_s=epochs * len(train_ds) / seconds if seconds else 0.0,
                         max_length=encoder.max_length, batch_size=batch_size * accumulation,
                         device=device.name + (f" ({precision.name})" if precision.name != "fp32" else ""),
                         kept_epoch=keeper.best_metrics["epoch"] if keeper.best_metrics else None,
                         stopped_at_epoch=stopped_at, dataset=splits.source, thresholds=trained.thresholds, train_examples=len(train_ds),
                         config=config, model=model, encoder=encoder, world_size=here.size,
                         per_device_batch=batch_size, effective_batch=effective,
                         examples_per_rank=served if here.distributed else [], pooling=pooling_of(model),
                         estimate=ScoreEstimate(examples=validation.examples))
    result.note = kept_note(keeper.history, result.kept_epoch, validation)
    result.label_counts = label_counts(splits.train)
    _finish(result, emit, out_dir, base)
    return result


def _finish(result: TrainResult, emit, out_dir: Path | None, base) -> None:
    """Say how the kept model scores, then save it (when asked) with the record of how that was measured."""
    validation = result.validation
    emit(LogLine(finished_line(validation, result.estimate)))
    if result.note:  # a disagreement with the live numbers is a warning; a later, worse epoch is not
        emit(LogLine(result.note, "warning" if result.note.startswith(MEASURED_AGAIN) else "info"))
    if validation.multi_label and gives_every_label(validation):
        emit(LogLine("The model gives nearly every label to nearly every text: it has not learnt to tell the labels "
                     "apart. More examples per label, or more epochs, should help.", "warning"))
    if out_dir is not None:
        try:
            result.adapter_dir = save_adapter(out_dir, result.model, base, result)
        except OSError as exc:
            raise saving_failed(out_dir, exc) from exc
        emit(LogLine(f"Adapter saved to {result.adapter_dir}"))
