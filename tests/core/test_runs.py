"""Run history in the core: a run described from its manifest, two runs compared, a run deleted safely."""

import shutil

import pytest

from desktop_app.core.base.errors import AdapterError
from desktop_app.core.artifacts.manifest import is_adapter_folder, read_manifest
from desktop_app.core.artifacts.runs import RunInfo, compare, delete_run, saved_runs


def test_a_trained_run_records_its_dataset_and_examples(trained_adapter):
    run = RunInfo.from_manifest("r", read_manifest(trained_adapter.adapter_dir), trained_adapter.adapter_dir)
    assert run.examples == trained_adapter.train_examples > 0
    assert run.accuracy == pytest.approx(trained_adapter.validation.accuracy) and run.date
    assert run.seconds is not None and run.preset == trained_adapter.config.preset


def _run(name, **kw):
    base = dict(folder=None, dataset="reviews.csv", date="2026-01-01 10:00", seconds=65.0, examples=100,
                accuracy=0.9, macro_f1=0.88, preset="balanced", status="completed",
                settings={"epochs": 3, "lora.r": 8, "seed": 42}, epochs=3.0)
    return RunInfo(name, **{**base, **kw})


def test_compare_lists_the_metrics_and_only_the_settings_that_differ():
    metrics, differ = compare(_run("a"), _run("b", macro_f1=0.91, settings={"epochs": 5, "lora.r": 8, "seed": 42}))
    assert ("Macro-F1", "0.880", "0.910") in metrics and ("Duration", "1:05", "1:05") in metrics
    assert differ == [("epochs", "3", "5")]


def test_delete_removes_our_run_and_refuses_anything_else(trained_adapter, tmp_path):
    run = tmp_path / "run-1"
    shutil.copytree(trained_adapter.adapter_dir, run)
    delete_run(run)
    assert not run.exists()
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(AdapterError, match="not a LoRA Studio run"):
        delete_run(foreign)
    assert (foreign / "manifest.json").exists()
    mixed = tmp_path / "run-2"
    shutil.copytree(trained_adapter.adapter_dir, mixed)
    (mixed / "notes.txt").write_text("mine")
    with pytest.raises(AdapterError, match="other files"):
        delete_run(mixed)
    assert (mixed / "notes.txt").read_text() == "mine" and is_adapter_folder(mixed)  # nothing deleted


def test_a_deletion_killed_half_way_leaves_no_half_run_and_is_finished_later(trained_adapter, tmp_path):
    """SIGKILL in the middle of deleting: the run is already out of the history (renamed to a hidden name of
    ours in one step); the next listing finishes the deletion and never touches a user's look-alike folder."""
    import os
    import subprocess
    import sys

    runs = tmp_path / "runs"
    shutil.copytree(trained_adapter.adapter_dir, runs / "run-1")
    shutil.copytree(trained_adapter.adapter_dir, runs / "run-2")
    user = runs / ".mine.deleting"
    user.mkdir()
    (user / "diary.txt").write_text("private")
    code = ("import os, signal, sys\nfrom pathlib import Path\nimport desktop_app.core.artifacts.runs as runs\n"
            "def killed(folder, *a, **k):\n"
            "    first = sorted(Path(folder).iterdir())[0]\n    first.unlink()\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
            "runs.shutil.rmtree = killed\nruns.delete_run(sys.argv[1])\n")
    done = subprocess.run([sys.executable, "-c", code, str(runs / "run-1")], capture_output=True, timeout=120)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    [half] = runs.glob(".run-1.*.deleting")  # a hidden name that only LoRA Studio can make (ownership.py)
    assert half.is_dir() and not (runs / "run-1").exists()
    assert len(list(half.iterdir())) == len(list(trained_adapter.adapter_dir.iterdir())) - 1  # killed mid-way
    assert [name for name, _m, _f in saved_runs(runs)] == ["run-2"]  # the half-deleted run is not listed
    assert not half.exists() and (user / "diary.txt").read_text() == "private"
    assert os.listdir(runs) and sorted(os.listdir(runs)) == [".mine.deleting", "run-2"]


def test_the_dataset_name_travels_from_the_file_to_the_splits(tmp_path):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import inspect, prepare_training_data

    path = tmp_path / "tweets.csv"
    path.write_text("text,label\n" + "\n".join(f"text number {i},{'a' if i % 2 else 'b'}" for i in range(40)))
    _report, examples = inspect(path)
    assert examples.source == "tweets.csv"
    assert prepare_training_data(examples, TrainConfig()).source == "tweets.csv"


def test_compare_names_the_kept_epoch_the_note_and_how_each_setting_was_set():
    """Compare showed "Epochs 2.5 | 4.0" beside accuracies that were epoch 2's and epoch 4's, never saying so."""
    note = "These are epoch 2.00's numbers, the best epoch and the one saved; the last epoch evaluated (2.50) scored 58%."
    a = _run("a", epochs=2.5, kept_epoch=2.0, stopped_at_epoch=2.5, status="stopped", note=note,
             settings={"epochs": 3.0, "learning_rate": 0.0005, "seed": 42}, how={"epochs": "exact",
                                                                                 "learning_rate": "automatic"})
    b = _run("b", epochs=4.0, kept_epoch=4.0, settings={"epochs": 7.0, "learning_rate": 0.0005, "seed": 42},
             how={"epochs": "automatic", "learning_rate": "automatic"})
    metrics, differ = compare(a, b)
    assert ("Epochs trained", "2.5 (kept 2)", "4.0") in metrics  # b's scores are its last epoch's
    assert ("Note", note, "–") in metrics
    assert differ == [("epochs", "3 (exact)", "7 (automatic)")]
    same_number = _run("c", settings={"epochs": 3.0, "seed": 42}, how={"epochs": "automatic"})
    exact = _run("d", settings={"epochs": 3.0, "seed": 42}, how={"epochs": "exact"})
    assert compare(same_number, exact)[1] == [("epochs", "3 (automatic)", "3 (exact)")]


def _with(manifest, config_changes: dict, settings: dict):
    from desktop_app.core.artifacts.manifest import Manifest

    data = manifest.to_dict()
    data["config"] = {**data["config"], **config_changes, "config_version": 1}  # as a run writes it
    data["training"] = {**data["training"], "settings": settings}
    return Manifest.from_dict(data)


def test_a_runs_settings_read_back_keep_exact_exact_and_automatic_automatic(trained_adapter):
    """The saved config says version 1 with every number filled in; read back, an exact value equal to the
    preset's became automatic. The training record's `settings` decides: exact stays exact, automatic is again."""
    from desktop_app.core.model.config import PRESET_START, TrainConfig
    from desktop_app.core.artifacts.manifest import run_config

    manifest = read_manifest(trained_adapter.adapter_dir)
    preset = manifest.config["preset"]
    start = PRESET_START[preset]
    exact = _with(manifest, {"epochs": float(start.epochs), "learning_rate": start.learning_rate, "max_length": 64,
                             "min_steps": 120},  # as the window saves it
                  {"epochs": "exact", "learning_rate": "exact", "max_length": "exact"})
    assert TrainConfig.from_dict(exact.config).epochs is None  # what reading the file alone gives
    config = run_config(exact)
    assert config.epochs == start.epochs and config.learning_rate == start.learning_rate and config.max_length == 64
    automatic = _with(manifest, {"epochs": 7.0, "learning_rate": start.learning_rate * 2, "max_length": None},
                      {"epochs": "automatic", "learning_rate": "automatic", "max_length": "automatic"})
    config = run_config(automatic)
    assert config.epochs is None and config.learning_rate is None and config.max_length is None
    small = _with(manifest, {"epochs": 30.0}, {"epochs": "small-data", "learning_rate": "small-data"})
    assert run_config(small).epochs is None  # the small-data path chooses its own again
    run = RunInfo.from_manifest("r", exact)  # the history and compare read the run this way
    assert run.config.epochs == start.epochs and run.how["epochs"] == "exact"
