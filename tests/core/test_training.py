"""run_training on tiny in-process models: events, cancel, early stopping, class weights, OOM back-off."""

import time

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from desktop_app.core.base import events as ev
from desktop_app.core.train.callbacks import BestModelKeeper, Cancelled, EventCallback
from desktop_app.core.model.config import LoraSettings, TrainConfig
from desktop_app.core.data.dataset import Dataset
from desktop_app.core.base.errors import TrainingError
from desktop_app.core.data.label_map import LabelMap
from desktop_app.core.train.objectives import class_weights
from desktop_app.core.train.training import run_training


def _dataset(examples):
    return Dataset(examples, LabelMap.from_labels(examples.labels), None)


def _cfg(base, **kw):
    return TrainConfig(small_data="off", base_model=str(base), **{"epochs": 2, "learning_rate": 5e-3, "batch_size": 16, "min_steps": 0,
                                                **kw})


def test_events_arrive_in_order_with_progress_and_evaluations(tiny_bert, toy, tmp_path):
    seen = []
    result = run_training(_cfg(tiny_bert, early_stopping_patience=0), _dataset(toy), seen.append,
                          out_dir=tmp_path / "ad")
    kinds = [type(e).__name__ for e in seen]
    assert kinds.index("Started") < kinds.index("StepProgress") < kinds.index("Evaluated") < kinds.index("Finished")
    assert kinds[-1] == "Finished" and kinds.count("Finished") == 1
    started = next(e for e in seen if isinstance(e, ev.Started))
    steps = [e for e in seen if isinstance(e, ev.StepProgress)]
    assert started.total_steps == steps[-1].total_steps == result.steps
    assert steps[-1].step == steps[-1].total_steps and steps[-1].eta_s == pytest.approx(0, abs=1e-6)
    assert all(a.step <= b.step for a, b in zip(steps, steps[1:]))
    assert any(e.loss is not None for e in steps) and any(e.learning_rate for e in steps)
    evals = [e for e in seen if isinstance(e, ev.Evaluated)]
    assert len(evals) == 2 and evals[0].is_best
    assert seen[-1].status == "completed" and seen[-1].result is result
    assert sum(c.support for c in result.validation.per_class) == result.validation.examples == 18
    assert (tmp_path / "ad" / "manifest.json").is_file()


def test_cancel_returns_promptly_and_writes_nothing(tiny_bert, toy, tmp_path):
    token = ev.CancelToken()
    seen, requested_at = [], []

    def on_event(e):
        seen.append(e)
        if isinstance(e, ev.StepProgress) and e.step >= 2 and not requested_at:
            requested_at.append(e.step)
            token.cancel()

    start = time.monotonic()
    result = run_training(_cfg(tiny_bert, epochs=50), _dataset(toy), on_event, token, out_dir=tmp_path / "ad")
    assert result.status == "cancelled"
    assert time.monotonic() - start < 30
    assert seen[-1] == ev.Finished("cancelled", None)
    last_step = max(e.step for e in seen if isinstance(e, ev.StepProgress))
    assert last_step == requested_at[0]  # the step in progress was the last one
    assert not (tmp_path / "ad").exists() and not list(tmp_path.iterdir())


def test_cancel_before_start(tiny_bert, toy, tmp_path):
    token = ev.CancelToken()
    token.cancel()
    assert run_training(_cfg(tiny_bert), _dataset(toy), cancel=token, out_dir=tmp_path / "x").status == "cancelled"
    assert not (tmp_path / "x").exists()


def test_roberta_trains_with_its_own_targets(tiny_roberta, toy):
    result = run_training(_cfg(tiny_roberta, epochs=1), _dataset(toy))
    names = [n for n, _ in result.model.named_modules()]
    assert any(n.endswith("attention.self.query.lora_A") or ".query.lora_A" in n for n in names)
    assert any("intermediate.dense.lora_A" in n for n in names)
    assert any("classifier" in n and "modules_to_save" in n for n in names)
    assert result.status == "completed"


def test_explicit_targets_and_bad_targets(tiny_bert, toy):
    ok = run_training(_cfg(tiny_bert, epochs=1, lora=LoraSettings(r=2, targets=("query",))), _dataset(toy))
    assert not any("value.lora_A" in n for n, _ in ok.model.named_modules())
    with pytest.raises(TrainingError, match="do not exist"):
        run_training(_cfg(tiny_bert, lora=LoraSettings(targets=("nonexistent_layer",))), _dataset(toy))


@pytest.mark.parametrize("weighting", [True, False])
def test_class_weighting_reaches_the_loss(tiny_bert, monkeypatch, weighting):
    """With weighting on, training's loss is computed with the balanced weights; off, without any."""
    import torch.nn.functional as F

    from tiny_models import toy_examples

    assert class_weights([0, 0, 0, 1], 2) == pytest.approx([4 / 6, 2.0])
    ex = toy_examples(120)
    keep = [i for i, label in enumerate(ex.labels) if label == "neg" or i % 6 == 1]  # 60 neg, 20 pos
    unbalanced = type(ex)([ex.texts[i] for i in keep], [ex.labels[i] for i in keep])
    seen, real = [], F.cross_entropy
    monkeypatch.setattr(F, "cross_entropy", lambda *a, **k: seen.append(k.get("weight")) or real(*a, **k))
    result = run_training(_cfg(tiny_bert, epochs=1, class_weighting=weighting), _dataset(unbalanced))
    assert result.status == "completed"
    weights = [w for w in seen if w is not None]
    if weighting:
        assert result.labels == ("neg", "pos")  # 51 neg and 17 pos in the training split: weights 2/3 and 2
        assert weights and weights[0].tolist() == pytest.approx([0.6667, 2.0], abs=0.02)
    else:
        assert not weights


def test_seeded_runs_are_reproducible(tiny_bert, toy):
    import torch

    a = run_training(_cfg(tiny_bert, epochs=1), _dataset(toy))
    torch.manual_seed(12345)  # a different global state, as in a new process: the config's seed must win
    torch.rand(7)
    b = run_training(_cfg(tiny_bert, epochs=1), _dataset(toy))
    assert a.history == b.history


def test_oom_backs_off_batch_size(tiny_bert, toy, monkeypatch):
    """The device runs out of memory inside the Trainer (its public train() raises, as CUDA would):
    the run retries with half the batch and gradient accumulation keeps the effective batch."""
    import torch
    from transformers import Trainer

    real, calls = Trainer.train, []

    def flaky(self, *args, **kwargs):
        calls.append((self.args.per_device_train_batch_size, self.args.gradient_accumulation_steps))
        if len(calls) == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train", flaky)
    seen = []
    result = run_training(_cfg(tiny_bert, epochs=1), _dataset(toy), seen.append)
    assert calls == [(16, 1), (8, 2)] and result.batch_size == 16
    assert any(isinstance(e, ev.LogLine) and e.level == "warning" and "batch size 8" in e.message for e in seen)


def _state(step, max_steps, epoch=0.5):
    state = TrainerState()
    state.global_step, state.max_steps, state.epoch = step, max_steps, epoch
    return state


def test_event_callback_throttles_and_cancels():
    clock = iter([0.0, 0.01, 0.02, 0.5, 0.51]).__next__
    out, token = [], ev.CancelToken()
    cb = EventCallback(out.append, token, batch_size=8, min_interval_s=0.1, clock=clock)
    args, control = TrainingArguments(output_dir="/tmp/unused", report_to="none"), TrainerControl()
    cb.on_train_begin(args, _state(0, 10), control)            # t=0
    cb.on_log(args, _state(1, 10), control, logs={"loss": 0.7, "learning_rate": 1e-3})
    cb.on_step_end(args, _state(1, 10), control)               # t=0.01: first, emitted
    cb.on_step_end(args, _state(2, 10), control)               # t=0.02: throttled
    cb.on_step_end(args, _state(5, 10), control)               # t=0.5: emitted
    assert [e.step for e in out] == [1, 5]
    assert out[1].loss == 0.7 and out[1].eta_s == pytest.approx(0.5) and out[1].samples_per_s == pytest.approx(80)
    token.cancel()
    with pytest.raises(Cancelled):
        cb.on_prediction_step(args, _state(5, 10), control)


def test_best_model_keeper_stops_after_patience():
    out = []
    keeper = BestModelKeeper(out.append, patience=2)
    args, control = TrainingArguments(output_dir="/tmp/unused", report_to="none"), TrainerControl()
    for i, f1 in enumerate([0.5, 0.7, 0.6, 0.65]):
        keeper.on_evaluate(args, _state(i + 1, 10, epoch=i + 1), control, metrics={"eval_macro_f1": f1})
    assert [e.is_best for e in out] == [True, True, False, False]
    assert control.should_training_stop and keeper.best_metrics["macro_f1"] == 0.7


def test_layer_share_adapts_only_the_top_layers(tiny_bert, toy):
    result = run_training(_cfg(tiny_bert, epochs=1, lora=LoraSettings(layer_share=0.5)), _dataset(toy))
    lora_layers = {n.split("layer.")[1].split(".")[0] for n, _ in result.model.named_modules()
                   if "lora_A" in n and "layer." in n}
    assert lora_layers == {"1"}  # the tiny model has layers 0 and 1


def test_small_datasets_get_enough_updates(tiny_bert, toy):
    from desktop_app.core.train.preparation import ensure_min_steps

    notes = []  # epochs unset: automatic, the preset's 3 raised on small data; a number set is kept exactly
    cfg = ensure_min_steps(TrainConfig(batch_size=32, min_steps=120), 142, notes.append)
    assert cfg.epochs == 20 and "up to 20 epochs" in notes[0].message  # 5 steps/epoch, capped at 20
    assert ensure_min_steps(TrainConfig(batch_size=32), 3890, notes.append).epochs == 3
    assert ensure_min_steps(TrainConfig(min_steps=0), 10, notes.append).epochs == 3
    assert ensure_min_steps(TrainConfig(epochs=3, batch_size=32), 142, notes.append).epochs == 3 and len(notes) == 1
    result = run_training(_cfg(tiny_bert, epochs=None, min_steps=22, early_stopping_patience=0), _dataset(toy))
    assert result.epochs == 4 and result.config.epochs == 4  # 7 steps per epoch


def test_estimate_times_real_steps(tiny_bert, toy):
    from desktop_app.core.train.estimate import estimate_epoch_seconds

    config = TrainConfig(small_data="off", base_model=str(tiny_bert), batch_size=16, min_steps=70, device="cpu")
    est = estimate_epoch_seconds(config, toy.texts)
    assert 0 < est["seconds_per_epoch"] < 60
    assert est["epochs"] == 9  # 120 texts / 16 = 8 steps per epoch; 70 steps need 9 epochs
    assert est["total_seconds"] == pytest.approx(est["seconds_per_epoch"] * est["epochs"])
    assert est["device"].startswith("CPU") and est["max_length"] >= 16


def test_estimate_stops_when_cancelled(tiny_bert, toy):
    from desktop_app.core.train.estimate import estimate_epoch_seconds
    from desktop_app.core.base.events import CancelToken

    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        estimate_epoch_seconds(_cfg(tiny_bert), toy.texts, cancel=token)


def test_a_validation_class_without_training_examples_is_refused(tiny_bert, toy):
    from desktop_app.core.data.dataset import Examples, Splits

    splits = Splits(toy, Examples(["the film was odd"] * 3, ["neg", "pos", "meh"]))
    with pytest.raises(TrainingError, match="labels the training examples lack: meh"):
        run_training(_cfg(tiny_bert), splits)


def test_stop_and_keep_best_saves_the_best_epoch_labelled_as_stopped(tiny_bert, toy, tmp_path):
    from desktop_app.core.artifacts.manifest import read_manifest

    token = ev.CancelToken()
    seen = []

    def on_event(e):
        seen.append(e)
        if isinstance(e, ev.Evaluated) and e.epoch >= 2 and not token.cancelled:
            token.cancel(keep_best=True)

    result = run_training(_cfg(tiny_bert, epochs=50, early_stopping_patience=0), _dataset(toy), on_event, token,
                          out_dir=tmp_path / "ad")
    assert result.status == "stopped" and seen[-1] == ev.Finished("stopped", result)
    best = max((e for e in seen if isinstance(e, ev.Evaluated)), key=lambda e: e.macro_f1)
    assert result.kept_epoch == pytest.approx(min(e.epoch for e in seen if isinstance(e, ev.Evaluated)
                                                  and e.macro_f1 == best.macro_f1))
    assert 2 <= result.stopped_at_epoch < 50 and result.validation.macro_f1 == pytest.approx(best.macro_f1, abs=1e-6)
    training = read_manifest(tmp_path / "ad").training
    assert training["status"] == "stopped" and training["stopped_at_epoch"] == pytest.approx(result.stopped_at_epoch)
    assert training["kept_epoch"] == pytest.approx(result.kept_epoch)


def test_keep_best_before_any_evaluation_keeps_nothing(tiny_bert, toy, tmp_path):
    token = ev.CancelToken()
    seen = []

    def on_event(e):
        seen.append(e)
        if isinstance(e, ev.StepProgress) and e.step >= 1:
            token.cancel(keep_best=True)

    result = run_training(_cfg(tiny_bert, epochs=50), _dataset(toy), on_event, token, out_dir=tmp_path / "ad")
    assert result.status == "cancelled" and not (tmp_path / "ad").exists()
    assert any(isinstance(e, ev.LogLine) and "no epoch to keep" in e.message for e in seen)
