"""Behaviour that mutation testing (tools/mutation_run.py, docs/RELIABILITY.md "Mutation testing") found unpinned:
each test here fails on a mutant that survived the module's test subset, and on the user-visible harm it stands for."""

from __future__ import annotations

import pytest

from desktop_app.core.artifacts.manifest import is_adapter_folder

from desktop_app.core.base.sanitize import label_problem, spreadsheet_safe


# sanitize._shows_nothing: "Cc" -> "cc" survived. A control character before a formula is skipped by some
# spreadsheets, so the formula must still get its apostrophe.
@pytest.mark.parametrize("start", ["\x00", "\x01", "\x1b", "\x7f"])
def test_a_formula_after_a_control_character_is_escaped(start):
    assert spreadsheet_safe(start + "=HYPERLINK(\"http://x\")") == "'" + start + "=HYPERLINK(\"http://x\")"
    assert spreadsheet_safe(start + "-1.5") == start + "-1.5"  # a plain number stays a number


# sanitize.label_problem: each category of the refused set ("Cf", "Co", "Cn", "Zl", "Zp" -> a wrong spelling)
# survived. A label holding such a character looks like another label ("neg" and "neg" + a zero-width space)
# or like nothing, so both would show as one class with two rows of numbers.
@pytest.mark.parametrize("ch, category", [
    ("\u200b", "Cf"),  # zero-width space
    ("\u202e", "Cf"),  # right-to-left override: the name would read backwards
    ("\ue000", "Co"),  # private use
    ("\u0378", "Cn"),  # unassigned
    ("\u2028", "Zl"),  # line separator
    ("\u2029", "Zp"),  # paragraph separator
    ("\x1b", "Cc"),
])
def test_a_label_with_an_invisible_or_control_character_is_refused(ch, category):
    import unicodedata

    assert unicodedata.category(ch) == category
    problem = label_problem("neg" + ch)
    assert problem is not None and "control or invisible character" in problem
    assert label_problem("neg\u200dx") is None  # the zero-width joiner stays allowed (emoji sequences)


# sanitize.label_problem: ("Mn", "Me") -> ("Mn", "me") survived. A name of combining marks alone (here an
# enclosing circle on an accent) has no letter of its own: it looks blank beside the other labels.
def test_a_label_of_combining_marks_alone_looks_blank():
    assert "looks blank" in label_problem("\u0301\u20dd")
    assert "looks blank" in label_problem("\u20dd")
    assert label_problem("e\u0301") is None  # an accented letter is a name


# callbacks.EventCallback.on_log: "learning_rate" -> another key survived. The live progress would show no
# learning rate at all.
# callbacks.EventCallback.on_step_end: `last = None` survived. Throttled progress events must still report the
# final step, or the progress bar stops short of 100% when the last steps come fast.
def test_progress_carries_the_learning_rate_and_always_reports_the_last_step():
    from types import SimpleNamespace

    from desktop_app.core.train.callbacks import EventCallback

    events = []
    callback = EventCallback(events.append, None, batch_size=8, min_interval_s=60.0, clock=lambda: 100.0)
    state = SimpleNamespace(global_step=0, max_steps=3, epoch=0.0)
    callback.on_train_begin(None, state, None)
    callback.on_log(None, state, None, logs={"loss": 0.5, "learning_rate": 2e-4})
    for step in (1, 2, 3):
        state.global_step, state.epoch = step, step / 3
        callback.on_step_end(None, state, None)
    assert [e.step for e in events] == [1, 3]  # the first, then the last one despite the 60 s throttle
    assert events[-1].total_steps == 3 and events[-1].loss == 0.5 and events[-1].learning_rate == 2e-4


# kept_numbers.kept_note: reading micro-F1 under another key survived (kept.get("MICRO_F1"), kept.get(None)):
# a multi-label run would then say "Measured again from the kept weights ..." when nothing differs, or quote
# the kept epoch's accuracy where its micro-F1 differs.
def _validation(accuracy, macro_f1, micro_f1=None):
    from types import SimpleNamespace

    return SimpleNamespace(accuracy=accuracy, macro_f1=macro_f1, micro_f1=micro_f1)


def test_the_kept_note_reads_micro_f1_for_label_sets():
    from desktop_app.core.artifacts.kept_numbers import MEASURED_AGAIN, kept_note

    history = [{"epoch": 1.0, "accuracy": 0.5, "macro_f1": 0.61, "micro_f1": 0.72},
               {"epoch": 2.0, "accuracy": 0.4, "macro_f1": 0.55, "micro_f1": 0.66}]
    agreeing = kept_note(history, 1.0, _validation(0.5, 0.61, 0.72))
    assert MEASURED_AGAIN not in agreeing
    assert agreeing.startswith("These are epoch 1.00's numbers") and "scored micro-F1 0.660, macro-F1 0.550" in agreeing
    differing = kept_note(history, 1.0, _validation(0.5, 0.61, 0.70))
    assert differing == (f"{MEASURED_AGAIN} epoch 1.00 gives micro-F1 0.700, macro-F1 0.610, not the micro-F1 0.720, "
                         "macro-F1 0.610 shown while training: the saved model gives the first.")


# evaluation.evaluation_report: per-class support -> None and weighted_f1 -> None survived; the results table
# shows both. evaluation.scores: macro-F1 of no rows -> 1.0 (or nan) survived: nothing to score is no "perfect".
def test_the_report_carries_each_class_support_and_the_weighted_f1():
    import numpy as np

    from desktop_app.core.metrics.evaluation import evaluation_report, scores

    probs = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.3, 0.7, 0.0], [0.6, 0.4, 0.0], [0.2, 0.8, 0.0]])
    report = evaluation_report(list("abcde"), [0, 0, 1, 1, 1], probs, ["neg", "pos", "mixed"])
    assert [c.support for c in report.per_class] == [2, 3, 0]
    f1_neg, f1_pos = 2 * (2 / 3) * 1 / (2 / 3 + 1), 2 * 1 * (2 / 3) / (1 + 2 / 3)
    assert report.weighted_f1 == pytest.approx((2 * f1_neg + 3 * f1_pos) / 5)
    assert report.macro_f1 == pytest.approx((f1_neg + f1_pos) / 2)  # "mixed" never occurs: not averaged in
    assert scores([], [], 3)["macro_f1"] == 0.0


# multilabel_metrics.multilabel_scores: `(tp + fp + fn) > 0` -> `>= 0` survived: a label that neither occurs
# nor is predicted in the validation rows would pull macro-F1 down with an F1 of 0.
# multilabel_metrics.multilabel_report: recall -> None and `1 - probs` -> `1 + probs` (how sure the model was
# of a missed label) survived.
def test_multilabel_numbers_count_only_labels_in_play_and_rank_mistakes_by_sureness():
    import numpy as np

    from desktop_app.core.metrics.multilabel_metrics import multilabel_report, multilabel_scores

    truth = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=bool)
    predicted = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0]], dtype=bool)
    s = multilabel_scores(truth, predicted)
    assert s["macro_f1"] == pytest.approx((1.0 + 2 / 3) / 2)  # the third label is not in play
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.9, 0.3, 0.0]])  # row 3 misses label b at 0.3
    report = multilabel_report(["x", "y", "z"], truth, probs, ["a", "b", "c"], thresholds=[0.5, 0.5, 0.5])
    assert [c.recall for c in report.per_class] == pytest.approx([1.0, 0.5, 0.0])
    assert len(report.mistakes) == 1 and report.mistakes[0].confidence == pytest.approx(0.7)
    assert report.mistakes[0].missed == ["b"]


# evaluation.batch_summary: the "nan" of an empty cell read from a file -> another word survived. A label column
# with an unlabelled row (NaN once pandas reads it) would then not be recognised, and the file not scored.
def test_a_label_column_with_empty_cells_read_as_nan_is_still_scored():
    import pandas as pd

    from desktop_app.core.metrics.evaluation import batch_summary

    frame = pd.DataFrame({"text": ["a", "b", "c", "d"], "gold": ["pos", "neg", float("nan"), "pos"],
                          "predicted_label": ["pos", "neg", "pos", "neg"], "confidence": [0.9, 0.8, 0.7, 0.6],
                          "prob_neg": [0.1, 0.8, 0.3, 0.6], "prob_pos": [0.9, 0.2, 0.7, 0.4]})
    summary = batch_summary(frame, ("neg", "pos"), "text", 1.0)
    assert summary.label_column == "gold" and summary.unlabelled == 1 and summary.report.examples == 3


# stratify.iterative_split: the tie-break `len(tied) > 1` -> `> 2` survived. When two parts want a row's labels
# equally, the one that still wants more rows must take it; by chance alone the validation part of a small
# multi-label file came out 1 row of 4 (or 3) for some seeds instead of the 2 asked for.
@pytest.mark.parametrize("labels, shares, sizes", [
    ([("a", "c"), ("b",), ("a", "b"), ("a", "b")], (0.5, 0.5, 0.0), (2, 2, 0)),
    ([("a", "b"), ("a",), ("a",), ("a", "b"), ("c",), ("a", "b"), ("b",)], (0.7, 0.3, 0.0), (5, 2, 0)),
])
def test_the_multi_label_split_keeps_the_part_sizes_for_every_seed(labels, shares, sizes):
    from desktop_app.core.data.stratify import iterative_split

    for seed in range(20):
        parts = iterative_split(labels, shares, seed)
        assert tuple(len(p) for p in parts) == sizes, seed
        assert sorted(i for p in parts for i in p) == list(range(len(labels)))


# dataset.stratified_split: `min(n - 1, ...)` -> `min(n + 1, ...)` survived. With a large validation share, a
# class of 2 or 3 examples would go to validation whole, and the model would never train on it.
def test_a_large_validation_share_leaves_every_class_a_training_row():
    from desktop_app.core.data.dataset import Examples, stratified_split

    labels = ["rare"] * 2 + ["few"] * 3 + ["many"] * 20
    split = stratified_split(Examples([f"t{i}" for i in range(len(labels))], labels), validation=0.85)
    assert set(split.train.labels) == {"rare", "few", "many"}
    assert split.validation.labels.count("rare") == 1 and split.validation.labels.count("few") == 2


# dataset.prepare_training_data: the small-data path's empty validation set `Examples([], [])` ->
# `Examples([])` survived (it is a TypeError: every small-data run would fail); the subset had no small-data test.
def test_small_data_trains_on_every_row_with_an_empty_validation_set():
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Examples, prepare_training_data

    labels = ["pos", "neg"] * 10
    splits = prepare_training_data(Examples([f"t{i}" for i in range(20)], labels), TrainConfig(small_data="on"))
    assert splits.plan.small and len(splits.train) == 20
    assert len(splits.validation) == 0 and splits.validation.labels == [] and not splits.validation.multi_label


# destinations.free_name: the ".zip" test inverted and `range(2, 10_000)` -> `range(2)` survived. The name
# offered beside "that name is taken" must be the next free one, and an archive must stay a .zip.
def test_the_offered_free_name_is_the_next_one_and_keeps_zip(tmp_path):
    from desktop_app.core.disk.destinations import free_name

    (tmp_path / "adapter").mkdir()
    assert free_name(tmp_path / "adapter") == tmp_path / "adapter-2"
    (tmp_path / "adapter-2").mkdir()
    assert free_name(tmp_path / "adapter") == tmp_path / "adapter-3"
    assert free_name(tmp_path / "model.ZIP") == tmp_path / "model-2.ZIP"
    assert free_name(tmp_path / "run.v1") == tmp_path / "run.v1-2"  # a folder's dots are part of its name


# ownership.create_lock: the fallback for file systems without hard links (FAT, exFAT: USB sticks) opened the lock
# with no flags, or wrote no signature, and survived: no test took that branch. Every save there would fail.
def test_a_lock_on_a_file_system_without_hard_links_is_made_whole_and_exclusive(tmp_path, monkeypatch):
    import os

    from desktop_app.core.disk import ownership

    def no_links(src, dst, *args, **kwargs):
        raise OSError(1, "Operation not permitted")  # what FAT answers

    monkeypatch.setattr(os, "link", no_links)
    lock = tmp_path / ".adapter.lora-studio-lock"
    fd = ownership.create_lock(lock)
    assert fd is not None
    os.close(fd)
    assert lock.read_bytes() == ownership.lock_content(lock)
    assert ownership.create_lock(lock) is None  # the second one finds it taken
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock.name]  # no .part left beside it


# atomic.recover_leftovers: the sentence telling what was removed -> None survived. The next run's log says
# what it repaired; a None there tells the user nothing.
def test_removing_a_previous_adapter_left_by_a_kill_is_said(tmp_path):
    from desktop_app.core.disk.atomic import recover_leftovers
    from desktop_app.core.disk.ownership import OLD_SUFFIX, signed_sibling

    target = tmp_path / "ad"
    target.mkdir()
    (target / "manifest.json").write_text("{}")
    old = signed_sibling(target, "old", OLD_SUFFIX)
    old.mkdir()
    (old / "adapter_model.safetensors").write_bytes(b"half deleted")
    notes = recover_leftovers(target, is_adapter_folder)
    assert notes == [f"removed “{old.name}”, the previous adapter an interrupted save left beside it"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad"]


# adapters.holds_our_adapter: `... and all(only adapter files)` -> `... or all(...)` survived. An empty folder, or
# a user's folder holding only a file named like ours, would then count as an adapter LoRA Studio may replace.
def test_only_a_folder_with_our_manifest_and_nothing_else_is_our_adapter(tmp_path, trained_adapter):
    import shutil

    from desktop_app.core.artifacts.adapters import holds_our_adapter

    empty = tmp_path / "empty"
    empty.mkdir()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "adapter_config.json").write_text("{}")
    ours = shutil.copytree(trained_adapter.adapter_dir, tmp_path / "ours")
    assert holds_our_adapter(ours)
    assert not holds_our_adapter(empty) and not holds_our_adapter(theirs)
    (ours / "notes.txt").write_text("mine")
    assert not holds_our_adapter(ours)


# adapters.export_adapter (to a folder: `source / name` -> `source * name`) and adapters.import_adapter_zip
# (`verify_folder(folder)` -> `verify_folder(None)`) survived: the subset exported and imported only through the
# CLI in a child process. Both would fail on every use.
def test_export_to_a_folder_and_import_of_a_zip_give_the_same_adapter(tmp_path, trained_adapter):
    from desktop_app.core.artifacts.adapters import describe_adapter, export_adapter, export_adapter_zip, import_adapter_zip

    source = trained_adapter.adapter_dir
    copy = export_adapter(source, tmp_path / "copy")
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in source.iterdir())
    weights = "adapter_model.safetensors"  # the same weights; the other files as shared (issue 24: test_sharing.py)
    assert (copy / weights).read_bytes() == (source / weights).read_bytes()
    assert describe_adapter(copy).labels == describe_adapter(source).labels
    zipped = export_adapter_zip(source, tmp_path / "shared")
    back = import_adapter_zip(zipped, tmp_path / "back")
    assert describe_adapter(back).labels == describe_adapter(source).labels


# peft_config.AdapterConfig.from_dict: the default of a missing "init_lora_weights" (True) -> None survived. An
# adapter_config.json without the key (it is optional in PEFT) would be refused as not LoRA's initialisation.
def test_an_adapter_config_without_init_lora_weights_is_read():
    from desktop_app.core.artifacts.peft_config import AdapterConfig

    data = {"peft_type": "LORA", "task_type": "SEQ_CLS", "r": 8, "lora_alpha": 16, "target_modules": ["query", "value"]}
    config = AdapterConfig.from_dict(data)
    assert (config.r, config.alpha, config.target_modules) == (8, 16, ("query", "value"))
    with pytest.raises(Exception, match="init_lora_weights"):
        AdapterConfig.from_dict({**data, "init_lora_weights": "gaussian"})


# validate.Fields, which reads every field of a shared adapter's manifest and config: `numbers` reading nothing,
# accepting any number (`and` -> `or`) or converting None; `text` skipping every optional field
# (`and optional` -> `or optional`); `records` accepting a list of non-texts (`and` -> `or`: a TypeError, not a
# sentence); `number` ignoring its default. All survived: no test fed them a multi-label manifest or a hostile
# optional field.
def test_manifest_fields_are_checked_whatever_their_kind():
    import math

    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.base.validate import Fields

    def fields(data):
        return Fields(data, "manifest.json", AdapterError)

    assert fields({"t": [0.25, 1]}).numbers("t", 0, 1, 2) == (0.25, 1.0)
    for bad in ([0.25, 1.5], [math.nan, 0.5], ["0.5", 0.5], [True, 0.5], [0.5]):
        with pytest.raises(AdapterError, match="should be a list of 2 numbers"):
            fields({"t": bad}).numbers("t", 0, 1, 2)
    assert fields({}).numbers("t", 0, 1, 2, optional=True) is None
    assert fields({"s": "done"}).text("s", 5, optional=True) == "done"
    for bad in ("x" * 6, 5, ["done"]):
        with pytest.raises(AdapterError):
            fields({"s": bad}).text("s", 5, optional=True)
    assert fields({}).number("d", 0, 1, default=0.0) == 0.0
    with pytest.raises(AdapterError, match="should be a list of records"):
        fields({"m": [{"missed": [5]}]}).records("m", {"missed": list})


# peft_config.AdapterConfig.from_dict: "modules_to_save" read under another key (the head the adapter saves was
# ignored) and its refusal raised with a missing argument (a TypeError, not a sentence) survived.
def test_an_adapter_configs_saved_modules_are_read_and_checked():
    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.artifacts.peft_config import AdapterConfig

    data = {"peft_type": "LORA", "task_type": "SEQ_CLS", "r": 8, "lora_alpha": 16, "target_modules": ["query"],
            "modules_to_save": ["classifier"]}
    assert AdapterConfig.from_dict(data).modules_to_save == ("classifier",)
    with pytest.raises(AdapterError, match="modules_to_save"):
        AdapterConfig.from_dict({**data, "modules_to_save": ["../classifier"]})


# manifest.Manifest.from_dict: `per_device_batch` made required (`optional=True` -> `optional=None`) survived:
# manifests written before that field existed must still load.
def test_a_manifest_without_the_per_device_batch_still_loads(trained_adapter):
    import json

    from desktop_app.core.artifacts.manifest import Manifest

    data = json.loads((trained_adapter.adapter_dir / "manifest.json").read_text())
    assert "per_device_batch" in data["training"]
    del data["training"]["per_device_batch"]
    assert list(Manifest.from_dict(data).labels) == data["labels"]
