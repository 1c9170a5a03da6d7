"""Train elsewhere: a job folder holds the data as used, the settings and the commands, and refuses tampering."""

import json

import pytest

from desktop_app.core.model.config import TrainConfig
from desktop_app.core.base.errors import DataError, OutputError
from desktop_app.core.artifacts.job import DATA_FILE, JOB_FILE, export_job, read_job
from desktop_app.core.disk.ownership import PART_SUFFIX, signed_sibling


def _source(tmp_path):
    path = tmp_path / "tweets.csv"
    rows = [f"{i},tweet number {i} {'great' if i % 2 else 'awful'},{'pos' if i % 2 else 'neg'},x" for i in range(40)]
    path.write_text("id,body,mood,extra\n" + "\n".join(rows) + "\n")
    return path


def test_a_job_holds_the_chosen_columns_the_settings_and_the_commands(tmp_path):
    config = TrainConfig(epochs=4, batch_size=8, text_column="body", label_column="mood")
    job = export_job(_source(tmp_path), config, tmp_path / "job")
    lines = (tmp_path / "job" / DATA_FILE).read_text().splitlines()
    assert lines[0] == "text,label" and lines[1] == "tweet number 0 awful,neg" and len(lines) == 41
    assert job.config.epochs == 4 and job.config.batch_size == 8 and job.config.text_column == "text"
    assert job.dataset == "tweets.csv" and job.rows == 40 and job.validation is None
    readme = (tmp_path / "job" / "README.md").read_text()
    assert "lora-studio train --job . --out adapter" in readme
    assert "torchrun --standalone --nproc-per-node 4 -m desktop_app train --job ." in readme
    assert "--nnodes 2" in readme and "--rdzv-endpoint" in readme and "--batch-size 2" in readme


@pytest.mark.parametrize("tamper", ["data", "config", "job-format", "job-files", "job-version", "missing"])
def test_a_changed_or_hostile_job_is_refused(tmp_path, tamper):
    export_job(_source(tmp_path), TrainConfig(text_column="body", label_column="mood"), tmp_path / "job")
    folder = tmp_path / "job"
    meta = json.loads((folder / JOB_FILE).read_text())
    if tamper == "data":
        with open(folder / DATA_FILE, "a") as fh:
            fh.write("=cmd|' /C calc'!A0,pos\n")
    elif tamper == "config":
        (folder / "config.json").write_text(json.dumps({"epochs": 999}))
    elif tamper == "job-format":
        meta["format"] = "something-else"
    elif tamper == "job-files":
        meta["files"]["../../etc/passwd"] = "0" * 64
    elif tamper == "job-version":
        meta["version"] = 99
    elif tamper == "missing":
        (folder / DATA_FILE).unlink()
    if tamper.startswith("job-"):
        (folder / JOB_FILE).write_text(json.dumps(meta))
    with pytest.raises(DataError):
        read_job(folder)


def test_a_job_replaces_only_an_earlier_job(tmp_path):
    source, config = _source(tmp_path), TrainConfig(text_column="body", label_column="mood")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match="not a LoRA Studio job folder"):
        export_job(source, config, mine)
    assert (mine / "notes.txt").read_text() == "keep"
    export_job(source, config, tmp_path / "job")
    export_job(source, config.with_overrides(epochs=5), tmp_path / "job")  # an earlier job: replaced
    assert read_job(tmp_path / "job").config.epochs == 5
    (tmp_path / "job" / "adapter").mkdir()  # the job has been run here: its adapter is not ours to delete
    with pytest.raises(OutputError):
        export_job(source, config, tmp_path / "job")


def test_the_cli_exports_a_job_and_trains_it(tmp_path, tiny_bert, capsys):
    from desktop_app.cli import main

    assert main(["job", "export", str(_source(tmp_path)), "--text-column", "body", "--label-column", "mood",
                 "--model", str(tiny_bert), "--epochs", "1", "--out", str(tmp_path / "job")]) == 0
    assert "lora-studio train --job . --out adapter" in capsys.readouterr().out
    assert main(["train", "--job", str(tmp_path / "job"), "--out", str(tmp_path / "adapter")]) == 0
    manifest = json.loads((tmp_path / "adapter" / "manifest.json").read_text())
    assert manifest["training"]["dataset"] == "tweets.csv" and manifest["training"]["world_size"] == 1
    assert main(["train", "--job", str(tmp_path / "job"), str(_source(tmp_path))]) == 2  # data given twice
    assert "brings its own data" in capsys.readouterr().err


def test_the_next_steps_name_the_packaged_app_where_there_is_no_python(tmp_path):
    from desktop_app.core.artifacts.job import next_steps

    job = export_job(_source(tmp_path), TrainConfig(text_column="body", label_column="mood"), tmp_path / "job")
    assert "torchrun --standalone" in next_steps(job) and "LoRAStudio" not in next_steps(job)
    packaged = next_steps(job, packaged=True)
    assert "LoRAStudio train --job . --processes N --out adapter" in packaged and "torchrun" not in packaged


def test_processes_with_a_job_checks_the_flags_before_starting_anything(tmp_path, capsys):
    from desktop_app.cli import main

    export_job(_source(tmp_path), TrainConfig(text_column="body", label_column="mood"), tmp_path / "job")
    assert main(["train", "--job", str(tmp_path / "job"), "--batch-size", "0", "--processes", "2"]) == 2
    err = capsys.readouterr().err
    assert "batch" in err and "rank" not in err  # said once, by the launcher


def test_a_killed_export_leaves_no_copy_of_the_data_behind(tmp_path):
    """A half-written job folder (what atomic_directory builds, killed mid-way) holds the user's data: the
    next export removes it. A user's folder with a look-alike name is left alone."""
    source = _source(tmp_path)
    half = signed_sibling(tmp_path / "job", "part", PART_SUFFIX)  # what atomic_directory names its folder
    half.mkdir()
    (half / DATA_FILE).write_text("text,label\nsecret,pos\n")
    theirs = tmp_path / ".job.efgh5678.part"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    export_job(source, TrainConfig(text_column="body", label_column="mood"), tmp_path / "job")
    assert not half.exists() and (theirs / "notes.txt").read_text() == "mine"


def test_an_export_killed_for_real_loses_nothing_and_the_next_one_cleans_up(tmp_path):
    """SIGKILL while the job folder is half written (the data copied, the rest not): no job appears, an
    earlier job is untouched, and the next export removes the half folder with its copy of the data."""
    import signal
    import subprocess
    import sys

    source = _source(tmp_path)
    config = TrainConfig(text_column="body", label_column="mood")
    earlier = export_job(source, config, tmp_path / "job")
    before = (tmp_path / "job" / JOB_FILE).read_text()
    script = f"""
import time
from pathlib import Path
import desktop_app.core.artifacts.job as job
from desktop_app.core.model.config import TrainConfig

written = job._write_rows
def slow(path, texts, labels):
    written(path, texts, labels)
    print("data written", flush=True)
    time.sleep(60)
job._write_rows = slow
job.export_job({str(source)!r}, TrainConfig(text_column="body", label_column="mood"), {str(tmp_path / "job")!r})
"""
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "data written"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    halves = list(tmp_path.glob(".job.*.part"))
    assert len(halves) == 1 and (halves[0] / DATA_FILE).is_file()  # the killed export's copy of the data
    assert (tmp_path / "job" / JOB_FILE).read_text() == before and read_job(tmp_path / "job").rows == earlier.rows
    export_job(source, config, tmp_path / "job")
    assert not list(tmp_path.glob(".job.*.part")) and read_job(tmp_path / "job").rows == earlier.rows
