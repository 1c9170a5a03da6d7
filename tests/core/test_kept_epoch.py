"""The kept model's numbers are the saved weights' numbers, on runs whose best epoch is NOT the last.

Every other training test ends on its best epoch, so a keep-best that restored nothing passed them all. Here
the training labels are flipped from the third epoch on (a late epoch of wrong labels): the epochs after the
second score worse, and the kept epoch is an earlier one. Each run then checks that the adapter on disk gives
the predictions of the model in memory and reproduces, at the precision the window shows, the numbers the live
log reported for the kept epoch: after Stop-and-keep-best and after early stopping, single- and multi-label,
and with training in bf16 (each epoch's evaluation must be measured as the saved fp32 model runs).
"""

import math
import random

import numpy as np
import pytest
from tiny_models import WORDS

from desktop_app.core.base import events as ev
from desktop_app.core.train import training
from desktop_app.core.model.config import TrainConfig
from desktop_app.core.data.dataset import Examples, Splits
from desktop_app.core.metrics.evaluation import evaluate
from desktop_app.core.predict.inference import Classifier
from desktop_app.core.artifacts.manifest import read_manifest
from desktop_app.core.train.training import run_training

LEARNT = 0.05  # the training labels are flipped once an epoch scores this much above the first one


def graded(n: int, seed: int, multi: bool) -> Examples:
    """Texts whose label follows a weighted sum of their words plus noise: learnt gradually, never perfectly,
    so each epoch scores differently and a model in the middle of training has near-even predictions."""
    rng = random.Random(seed)
    weights = random.Random(3)  # the same word weights for every split
    weight = {w: weights.uniform(-1, 1) for w in WORDS}
    texts, labels = [], []
    for _ in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 12))]
        score = sum(weight[w] for w in words) + rng.gauss(0, 0.7)
        texts.append(" ".join(words))
        if multi:
            labels.append(tuple(name for name, on in (("high", score > 0.5), ("long", len(words) > 8),
                                                      ("low", score < -0.5)) if on))
        else:
            labels.append("neg" if score < -0.7 else "pos" if score > 0.7 else "mid")
    return Examples(texts, labels, multi_label=multi)


def _spoil_labels_once_learnt(monkeypatch):
    """Flip the training set's labels once an epoch has scored LEARNT above the first (the validation labels
    stay true). Returns the on_event hook that turns it on, and the state ("on": the epoch it turned on at)."""
    made, state = [], {"on": None, "first": None}
    init, getitem = training._Examples.__init__, training._Examples.__getitem__

    def remember(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)  # the training set is made first, then the validation set

    def spoiled(self, i):
        item = getitem(self, i)
        if state["on"] is not None and self is made[0]:
            y = item["labels"]
            item["labels"] = [1.0 - v for v in y] if isinstance(y, list) else (y + 1) % 3
        return item

    monkeypatch.setattr(training._Examples, "__init__", remember)
    monkeypatch.setattr(training._Examples, "__getitem__", spoiled)

    def hook(event) -> None:
        if not isinstance(event, ev.Evaluated) or state["on"] is not None:
            return
        score = event.macro_f1 if event.micro_f1 is None else event.micro_f1
        state["first"] = score if state["first"] is None else state["first"]
        if score > state["first"] + LEARNT:
            state["on"] = event.epoch
    return hook, state


def shown(accuracy, macro_f1, micro_f1=None) -> tuple:
    """The numbers as the window, the log and the CLI print them."""
    return f"{accuracy:.1%}", f"{macro_f1:.3f}", None if micro_f1 is None else f"{micro_f1:.3f}"


def _loss(classifier, examples: Examples) -> float:
    """The validation loss of the reloaded fp32 model, computed as the Trainer computes it."""
    probs = np.clip(classifier.predict_proba(examples.texts).astype(np.float64), 1e-12, 1 - 1e-12)
    index = {name: i for i, name in enumerate(classifier.labels)}
    if examples.multi_label:
        truth = np.array([[name in row for name in classifier.labels] for row in examples.labels], dtype=float)
        return float(-(truth * np.log(probs) + (1 - truth) * np.log(1 - probs)).mean())
    return float(-np.mean([math.log(probs[i, index[y]]) for i, y in enumerate(examples.labels)]))


CASES = {  # how the run ends, the task, the number format it trains in
    "stop-and-keep-best, single-label, bf16": ("keep_best", False, "bf16"),
    "early stopping, single-label, fp32": ("early", False, "fp32"),
    "stop-and-keep-best, multi-label, fp32": ("keep_best", True, "fp32"),
    "early stopping, multi-label, bf16": ("early", True, "bf16"),
}


@pytest.fixture(scope="module", params=list(CASES))
def kept_run(request, tiny_bert, tmp_path_factory):
    how, multi, precision = CASES[request.param]
    monkeypatch = pytest.MonkeyPatch()
    spoil, spoiled = _spoil_labels_once_learnt(monkeypatch)
    splits = Splits(graded(240, 1, multi), graded(60, 2, multi), source="graded.csv")
    token, seen = ev.CancelToken(), []

    def on_event(event):
        seen.append(event)
        spoil(event)
        stop = how == "keep_best" and spoiled["on"] is not None
        if isinstance(event, ev.Evaluated) and stop and event.epoch >= spoiled["on"] + 2:
            token.cancel(keep_best=True)

    config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=30, learning_rate=1e-2, batch_size=16,
                         min_steps=0, precision=precision, early_stopping_patience=4 if how == "early" else 0)
    out = tmp_path_factory.mktemp("kept") / "adapter"
    try:
        result = run_training(config, splits, on_event, token, out_dir=out)
    finally:
        monkeypatch.undo()
    return how, result, [e for e in seen if isinstance(e, ev.Evaluated)], splits, out


def test_the_best_epoch_is_not_the_last(kept_run):
    """The premise: a keep-best that kept the last weights would show other numbers."""
    how, result, evals, _, _ = kept_run
    assert result.status == ("stopped" if how == "keep_best" else "stopped_early")
    kept = next(e for e in evals if e.epoch == result.kept_epoch)
    assert result.kept_epoch < evals[-1].epoch
    assert shown(kept.accuracy, kept.macro_f1, kept.micro_f1) != shown(evals[-1].accuracy, evals[-1].macro_f1,
                                                                      evals[-1].micro_f1)
    metric = (lambda e: e.micro_f1) if result.validation.multi_label else (lambda e: e.macro_f1)
    assert metric(kept) == max(metric(e) for e in evals)  # the kept epoch is the best one evaluated
    assert kept.is_best and not evals[-1].is_best


def test_every_record_gives_the_kept_epochs_live_numbers(kept_run):
    _, result, evals, _, out = kept_run
    kept = next(e for e in evals if e.epoch == result.kept_epoch)
    live = shown(kept.accuracy, kept.macro_f1, kept.micro_f1)
    v = result.validation
    assert shown(v.accuracy, v.macro_f1, v.micro_f1) == live  # results, CLI and the "Finished" line
    manifest = read_manifest(out)
    saved = manifest.validation
    assert shown(saved.accuracy, saved.macro_f1, saved.report.get("micro_f1")) == live  # history and compare
    assert manifest.training["kept_epoch"] == pytest.approx(kept.epoch)
    entry = next(h for h in manifest.training["history"] if h["epoch"] == kept.epoch)
    assert shown(entry["accuracy"], entry["macro_f1"], entry.get("micro_f1")) == live


def test_the_saved_weights_predict_as_the_kept_model_and_reproduce_its_numbers(kept_run):
    _, result, evals, splits, out = kept_run
    kept = next(e for e in evals if e.epoch == result.kept_epoch)
    loaded = Classifier.load(out)
    in_memory = Classifier.from_training(result)
    texts = splits.validation.texts
    np.testing.assert_allclose(loaded.predict_proba(texts), in_memory.predict_proba(texts), atol=1e-5)
    assert [p.label for p in loaded.predict(texts)] == [p.label for p in in_memory.predict(texts)]
    assert loaded.thresholds == result.thresholds  # multi-label: the thresholds the numbers were measured with
    again = evaluate(loaded, splits.validation)
    assert shown(again.accuracy, again.macro_f1, again.micro_f1) == shown(kept.accuracy, kept.macro_f1, kept.micro_f1)
    # finer than the shown digits: the kept epoch's live loss is the saved fp32 model's loss. fp32 gives it to
    # ~5e-8 (batching); the tiny model evaluated in bf16 is ~2e-5 off
    assert _loss(loaded, splits.validation) == pytest.approx(kept.loss, rel=2e-6)


def test_the_result_says_in_one_sentence_why_the_last_epoch_scored_otherwise(kept_run):
    _, result, evals, _, out = kept_run
    assert read_manifest(out).training["note"] == result.note  # the saved run says it too
    last = evals[-1]
    assert result.note.startswith(f"These are epoch {result.kept_epoch:.2f}'s numbers")
    acc, macro, micro = shown(last.accuracy, last.macro_f1, last.micro_f1)
    assert f"({last.epoch:.2f})" in result.note and macro in result.note and (micro or acc) in result.note
    assert result.note.count(". ") == 0 and result.note.endswith(".")


def test_a_kept_epoch_that_measures_otherwise_again_is_said_and_the_record_wins():
    from types import SimpleNamespace

    from desktop_app.core.artifacts.kept_numbers import MEASURED_AGAIN, kept_note

    history = [{"epoch": 1.0, "accuracy": 0.6, "macro_f1": 0.55}, {"epoch": 2.0, "accuracy": 0.722, "macro_f1": 0.71},
               {"epoch": 3.0, "accuracy": 0.65, "macro_f1": 0.6}]
    record = SimpleNamespace(accuracy=0.7, macro_f1=0.7, micro_f1=None)
    note = kept_note(history, 2.0, record)
    assert note.startswith(MEASURED_AGAIN) and "accuracy 70.0%, macro-F1 0.700" in note and "72.2%" in note
    agreeing = SimpleNamespace(accuracy=0.7222, macro_f1=0.7104, micro_f1=None)  # the same at the shown digits
    assert kept_note(history, 2.0, agreeing).startswith("These are epoch 2.00's numbers")
    assert kept_note(history[:2], 2.0, agreeing) == ""  # the last epoch is the kept one: nothing to explain
    assert kept_note([], None, record) == ""             # the small-data path: no epochs, its estimate says how


def test_restore_puts_back_the_best_evaluations_weights_not_the_last():
    import torch
    from transformers import TrainerControl, TrainerState

    from desktop_app.core.train.callbacks import BestModelKeeper

    model = torch.nn.Linear(3, 2)
    model.bias.requires_grad_(False)  # only trainable weights are kept (LoRA and the head)
    keeper, state = BestModelKeeper(lambda e: None, patience=0), TrainerState()
    best = model.weight.detach().clone()
    for epoch, f1 in ((1.0, 0.8), (2.0, 0.6)):
        state.epoch = epoch
        keeper.on_evaluate(None, state, TrainerControl(), metrics={"eval_macro_f1": f1}, model=model)
        with torch.no_grad():
            model.weight.add_(1.0)  # the next epoch's training moves the weights
    keeper.restore(model)
    assert torch.equal(model.weight, best) and keeper.best_metrics["epoch"] == 1.0
