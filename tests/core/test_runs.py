"""Run history in the core: a run described from its manifest, two runs compared, a run deleted safely."""

import shutil

import pytest

from desktop_app.core.errors import AdapterError
from desktop_app.core.manifest import is_adapter_folder, read_manifest
from desktop_app.core.runs import RunInfo, compare, delete_run, saved_runs


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
    code = ("import os, signal, sys\nfrom pathlib import Path\nimport desktop_app.core.runs as runs\n"
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
    from desktop_app.core.config import TrainConfig
    from desktop_app.core.dataset import inspect, prepare_training_data

    path = tmp_path / "tweets.csv"
    path.write_text("text,label\n" + "\n".join(f"text number {i},{'a' if i % 2 else 'b'}" for i in range(40)))
    _report, examples = inspect(path)
    assert examples.source == "tweets.csv"
    assert prepare_training_data(examples, TrainConfig()).source == "tweets.csv"
