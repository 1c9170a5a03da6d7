"""Hostile input, round three (issue 21, part C): no network without permission, no hang, no misleading
sentence, no catch-all error, no leftovers from the launcher or ONNX Runtime.

Every test failed on the code before this round (tests that would hang there run their command under a
time limit, in a thread or a subprocess)."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from hostile import edit_json, one_line_error

from desktop_app.cli import main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
HUB_NAME = "lora-studio-tests/not-a-real-model"


def _env(tmp_path, **extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LORA_STUDIO_PRECISION": "fp32",
           "LORA_STUDIO_CACHE_DIR": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state"), **extra}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        if name not in extra:
            env.pop(name, None)
    return env


def _within(seconds, command):
    """main(command) in a thread: its exit code, or a failure naming the hang (a thread cannot be killed; the
    code before this round blocked or hashed for ever there)."""
    box = []
    worker = threading.Thread(target=lambda: box.append(main(command)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert box, f"{command[0]} still running after {seconds} s"
    return box[0]


# ---------------------------------------------------------------- 2. no network without permission
class _Listener(http.server.ThreadingHTTPServer):
    """A stand-in for the hub at HF_ENDPOINT: it records every request it receives and answers 404."""

    def __init__(self):
        self.requests = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                listener.requests.append(f"{self.command} {self.path}")
                self.send_response(404)
                self.end_headers()

            do_GET = do_HEAD = do_POST = _any

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def listener():
    server = _Listener()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_network(monkeypatch, listener):
    """Offline mode off (as on a user's machine), HF_ENDPOINT at the listener, and every outgoing connection of
    this process refused and recorded."""
    import huggingface_hub.constants as hub

    attempts = []

    def refuse(target):
        attempts.append(repr(target))
        raise OSError("this test allows no network connection")

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: refuse(address))
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", listener.url)
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "ENDPOINT", listener.url)
    monkeypatch.setattr(hub, "HUGGINGFACE_CO_URL_TEMPLATE", listener.url + "/{repo_id}/resolve/{revision}/{filename}")
    return attempts


@pytest.fixture
def shared_adapter(adapter_copy):
    """An adapter as shared from a machine that trained on a hub model: adapter_config.json names a hub repo."""
    edit_json(adapter_copy / "adapter_config.json", base_model_name_or_path=HUB_NAME)
    return adapter_copy


def test_no_command_reaches_the_network(no_network, listener, shared_adapter, tiny_bert, toy_csv, tmp_path, capsys):
    """train, job export, a job run (train --job), evaluate, predict, info, inspect, export-onnx, export, and an
    exported zip opened by info, predict, evaluate and export-onnx, each with a hub name in sight: nothing connects
    anywhere (peft's save_embedding_layers="auto" asked the hub about the base)."""
    from desktop_app.core.artifacts.adapters import export_adapter_zip

    shared_zip = export_adapter_zip(shared_adapter, tmp_path / "shared.zip")
    commands = [
        ["train", toy_csv, "--model", tiny_bert, "--epochs", "1", "--small-data", "off", "--out", tmp_path / "new"],
        ["job", "export", toy_csv, "--model", tiny_bert, "--out", tmp_path / "job"],
        ["train", "--job", tmp_path / "job", "--epochs", "1", "--small-data", "off", "--out", tmp_path / "from-job"],
        ["evaluate", shared_adapter, toy_csv],
        ["predict", shared_adapter, "--text", "hi"],
        ["predict", shared_adapter, toy_csv, "--out", tmp_path / "predictions.csv"],
        ["info", shared_adapter],
        ["inspect", toy_csv],
        ["export-onnx", shared_adapter, "--out", tmp_path / "onnx"],
        ["info", shared_zip],
        ["predict", shared_zip, "--text", "hi"],
        ["evaluate", shared_zip, toy_csv],
        ["export-onnx", shared_zip, "--out", tmp_path / "onnx-from-zip"],
        ["export", shared_adapter, tmp_path / "exported.zip"],  # issue 24: names the base by hub id or folder name
        ["predict", tmp_path / "exported.zip", "--text", "hi"],
        ["export-onnx", tmp_path / "exported.zip", "--out", tmp_path / "onnx-from-export"],
    ]
    for command in commands:
        assert main([str(part) for part in command]) == 0, (command, capsys.readouterr().err[-2000:])
    # without --allow-download a hub name not on this computer is a sentence, never a request
    assert main(["train", str(toy_csv), "--model", HUB_NAME, "--out", str(tmp_path / "refused")]) == 2
    assert "not on this computer" in one_line_error(capsys)
    assert (tmp_path / "from-job" / "manifest.json").is_file() and (tmp_path / "onnx-from-zip").is_dir()
    assert no_network == [] and listener.requests == []


def test_predict_in_its_own_process_sends_nothing_to_hf_endpoint(listener, shared_adapter, tmp_path):
    """The command as a user runs it, offline mode off, HF_ENDPOINT at a listener: no request arrives."""
    env = _env(tmp_path, HF_ENDPOINT=listener.url)
    env.pop("HF_HUB_OFFLINE", None)
    done = subprocess.run([sys.executable, "-m", "desktop_app", "predict", str(shared_adapter), "--text", "hi"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert listener.requests == []


# ---------------------------------------------------------------- 6. no hang: links, pipes, rendezvous
def test_an_adapter_file_that_is_a_link_is_refused_unread(adapter_copy, capsys):
    """A weights "file" that links to /proc/self/pagemap (which never ends) or a FIFO: info and predict refuse
    it in a sentence at once; any link is refused, as a zip refuses one."""
    weights = adapter_copy / "adapter_model.safetensors"
    weights.unlink()
    weights.symlink_to("/proc/self/pagemap")
    for command in (["info", str(adapter_copy)], ["predict", str(adapter_copy), "--text", "hi"]):
        assert _within(60, command) == 2
        assert "adapter_model.safetensors is a link" in one_line_error(capsys)
    weights.unlink()
    os.mkfifo(weights)
    assert _within(60, ["info", str(adapter_copy)]) == 2
    assert "adapter_model.safetensors is not a regular file" in one_line_error(capsys)


@pytest.mark.parametrize("kind", ["fifo", "pagemap"])
def test_a_base_model_whose_weights_are_not_a_plain_file_is_refused(adapter_copy, tiny_bert, tmp_path, kind, capsys,
                                                                    monkeypatch):
    """A base model's weights file that is a FIFO (the first read blocks for ever) or a link to a /proc file
    whose size says 0 and whose content never ends: predict passes it over for the base it remembers with the
    right weights (issue 24: found by fingerprint), and where there is none answers in a sentence."""
    base = shutil.copytree(tiny_bert, tmp_path / "base")
    (base / "model.safetensors").unlink()
    if kind == "fifo":
        os.mkfifo(base / "model.safetensors")
    else:
        (base / "model.safetensors").symlink_to("/proc/self/pagemap")
    manifest = json.loads((adapter_copy / "manifest.json").read_text(encoding="utf-8"))
    edit_json(adapter_copy / "manifest.json", base_model={**manifest["base_model"], "ref": str(base)})
    assert _within(60, ["predict", str(adapter_copy), "--text", "hi"]) == 0  # tiny_bert, remembered from training
    capsys.readouterr()
    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "nothing-remembered"))
    assert _within(60, ["predict", str(adapter_copy), "--text", "hi"]) == 2
    line = one_line_error(capsys)
    assert ("is not a regular file" if kind == "fifo" else "has different weights") in line


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_missing_process_or_a_second_rank_0_ends_in_a_sentence(tmp_path, tiny_bert):
    """WORLD_SIZE=2 started twice as RANK=0 (no rank 1 anywhere): one finds the meeting port taken, the other waits
    the rendezvous timeout (made short here) for a process that never comes; both say so and exit 2."""
    from tiny_models import write_toy_csv

    data = write_toy_csv(tmp_path / "d.csv", 80)
    env = _env(tmp_path, WORLD_SIZE="2", RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()),
               LORA_STUDIO_RENDEZVOUS_TIMEOUT="8")
    command = [sys.executable, "-m", "desktop_app", "train", str(data), "--model", str(tiny_bert), "--epochs", "1"]
    runs = [subprocess.Popen([*command, "--out", f"out{i}"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    try:
        results = [run.communicate(timeout=150) for run in runs]
    finally:
        for run in runs:
            run.kill()
    assert [run.returncode for run in runs] == [2, 2], [err[-1500:] for _, err in results]
    errors = "\n".join(err for _, err in results)
    assert "Traceback" not in errors
    assert "waited 8 s at 127.0.0.1" in errors and "for the other process of the run (WORLD_SIZE=2)" in errors
    assert "the port is taken" in errors or errors.count("waited 8 s") == 2  # the second may also just wait


def test_a_second_rank_0_finds_the_port_taken_at_once(monkeypatch):
    """Process 0 hosts the meeting point; a second process told RANK=0 cannot, and says why at once."""
    from datetime import timedelta

    import torch.distributed as dist

    from desktop_app.core.train.distributed import World, start
    from desktop_app.core.base.errors import TrainingError

    port = _free_port()
    first = dist.TCPStore("127.0.0.1", port, 2, True, timedelta(seconds=30), wait_for_workers=False)
    for name, value in {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0", "LOCAL_WORLD_SIZE": "2",
                        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}.items():
        monkeypatch.setenv(name, value)
    begun = time.monotonic()
    with pytest.raises(TrainingError, match="the port is taken"):
        start(World(0, 2, 0, 2), "cpu")
    assert time.monotonic() - begun < 30 and not dist.is_initialized()
    del first


def test_world_size_without_master_addr_is_a_sentence(monkeypatch, tiny_bert, toy_csv, tmp_path, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    for name in ("MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["train", str(toy_csv), "--model", str(tiny_bert), "--epochs", "1", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "MASTER_ADDR and MASTER_PORT are not set" in err and "Traceback" not in err
    assert not (tmp_path / "a").exists()


def test_the_rendezvous_wait_is_a_setting_checked_in_words(monkeypatch):
    from desktop_app.core.train.distributed import RENDEZVOUS_SECONDS, rendezvous_seconds
    from desktop_app.core.base.errors import TrainingError

    assert rendezvous_seconds({}) == RENDEZVOUS_SECONDS == 60
    assert rendezvous_seconds({"LORA_STUDIO_RENDEZVOUS_TIMEOUT": "2.5"}) == 2.5
    for bad in ("soon", "0", "-3", "nan", "1e9"):
        with pytest.raises(TrainingError, match="LORA_STUDIO_RENDEZVOUS_TIMEOUT"):
            rendezvous_seconds({"LORA_STUDIO_RENDEZVOUS_TIMEOUT": bad})


def test_a_stale_world_of_one_just_trains(monkeypatch, tiny_bert, toy_csv, tmp_path, capsys):
    """WORLD_SIZE=1 left in the shell by an earlier job (with its RANK and LOCAL_WORLD_SIZE): one process trains."""
    from desktop_app.core.train.distributed import World, world

    stale = {"WORLD_SIZE": "1", "RANK": "3", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4"}
    assert world(stale) == World()
    for name, value in stale.items():
        monkeypatch.setenv(name, value)
    assert main(["train", str(toy_csv), "--model", str(tiny_bert), "--epochs", "1", "--small-data", "off",
                 "--out", str(tmp_path / "a")]) == 0, capsys.readouterr().err[-2000:]
    assert (tmp_path / "a" / "manifest.json").is_file()


def test_a_stale_world_of_one_does_not_stop_processes(monkeypatch):
    """--processes under a stale WORLD_SIZE=1 starts its processes (it said "given inside a distributed run")."""
    import torch.distributed.run as torchrun

    from desktop_app.cli import main, scale as cli_scale
    from desktop_app.core.base.errors import TrainingError

    started = []
    monkeypatch.setattr(torchrun, "run", started.append)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert cli_scale.launch(2, ["train", "d.csv", "--processes", "2"], main) == 0 and len(started) == 1
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(TrainingError, match="inside a distributed run"):
        cli_scale.launch(2, ["train", "d.csv", "--processes", "2"], main)


# ---------------------------------------------------------------- 10. sentences that say what happened
def test_a_full_disk_is_not_called_a_damaged_zip(trained_adapter, tmp_path, monkeypatch, capsys):
    import errno

    from desktop_app.core.artifacts import adapter_zip
    from desktop_app.core.artifacts.adapters import export_adapter_zip

    path = export_adapter_zip(trained_adapter.adapter_dir, tmp_path / "bomb.zip")

    class FullDisk:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, block):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(adapter_zip, "open", FullDisk, raising=False)  # the files the zip is unpacked into
    assert main(["info", str(path)]) == 2
    line = one_line_error(capsys)
    assert "The disk is full" in line and "bomb.zip" in line and "damaged" not in line


def test_a_truthfully_declared_large_manifest_is_not_called_a_liar(trained_adapter, tmp_path, capsys):
    """A zip whose manifest.json honestly declares 5 MB: refused for its size, not as "larger than it declares"."""
    import zipfile

    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", " " * (5 * 1024**2))
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            zf.write(trained_adapter.adapter_dir / name, name)
    assert main(["info", str(path)]) == 2
    line = one_line_error(capsys)
    assert "holds a manifest.json of 5.0 MB, more than the 4 MB" in line and "declares" not in line


def test_fp16_on_a_cpu_says_fp32_runs_instead():
    from types import SimpleNamespace

    from desktop_app.core.model.precision import resolve

    chosen = resolve("fp16", SimpleNamespace(kind="cpu"), measure=lambda: pytest.fail("nothing to measure"), key="k")
    assert chosen.name == "fp32" and not chosen.autocast
    assert "fp16 is not available on a CPU" in chosen.reason and "chosen in the settings" not in chosen.reason


def test_train_with_fp16_on_a_cpu_logs_that_fp32_runs(tiny_bert, toy_csv, tmp_path, capsys):
    """The real `train` command, not only resolve(): its log says fp32 runs instead, never "chosen in the
    settings" (the run trained fp32 and claimed the user's fp16 choice)."""
    assert main(["train", str(toy_csv), "--model", str(tiny_bert), "--device", "cpu", "--precision", "fp16",
                 "--epochs", "1", "--small-data", "off", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.startswith("Precision:")]
    assert lines == ["Precision: fp32 (fp16 is not available on a CPU, so fp32 runs instead)."], out.err[-2000:]


def test_processes_stopped_by_a_signal_are_reported_stopped_not_failed(tmp_path, tiny_bert):
    """SIGINT reaches the training processes but not the launcher (a signal sent to them, or a terminal that
    spares the launcher): each stops cleanly with 130, and the launcher says the run was stopped, not that they
    failed. Its own temp folder is gone afterwards: no torchelastic_* folder is left in the temp folder."""
    import psutil

    from tiny_models import write_toy_csv

    data = write_toy_csv(tmp_path / "d.csv", 200, ("text", "label"))
    temp = tmp_path / "temp"
    temp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "train", str(data), "--model", str(tiny_bert),
                             "--preset", "quick", "--epochs", "100", "--processes", "2", "--out", "adapter"],
                            cwd=tmp_path, env=_env(tmp_path, TMPDIR=str(temp)), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        seen, deadline = "", time.monotonic() + 150
        while "epoch 2.00" not in seen and time.monotonic() < deadline and proc.poll() is None:
            seen += proc.stderr.readline()
        for child in psutil.Process(proc.pid).children():
            child.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    err = seen + err
    assert proc.returncode == 130, err[-3000:]
    assert "lora-studio: stopped; the training processes were ended and nothing was saved." in err
    assert "of 2 failed" not in err and not (tmp_path / "adapter").exists()
    assert [p.name for p in temp.iterdir() if p.name.startswith("torchelastic_") or "launcher" in p.name] == []


def test_processes_that_finish_leave_nothing_in_the_temp_folder(tmp_path, tiny_bert, toy_csv):
    """A `--processes 2` run that ends normally: torch's launcher left a torchelastic_* folder in the temp folder
    on every run; now nothing is left there, neither that nor a temp folder of ours."""
    from desktop_app.core.disk.atomic import TEMP_PREFIX

    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run([sys.executable, "-m", "desktop_app", "train", str(toy_csv), "--model", str(tiny_bert),
                           "--epochs", "1", "--small-data", "off", "--processes", "2", "--out", "adapter"],
                          cwd=tmp_path, env=_env(tmp_path, TMPDIR=str(temp)), capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Trained on 2 processes" in done.stdout and (tmp_path / "adapter" / "manifest.json").is_file()
    left = sorted(p.name for p in temp.iterdir())
    assert [name for name in left if name.startswith(("torchelastic_", TEMP_PREFIX))] == [], left


# ---------------------------------------------------------------- 11. sentences instead of "Something unexpected"
def _deep_json(depth=100_000):
    return "[" * depth + "]" * depth


def test_deeply_nested_settings_or_job_file_is_a_sentence(toy_csv, tmp_path, capsys):
    config = tmp_path / "settings.json"
    config.write_text(_deep_json(), encoding="utf-8")
    assert main(["train", str(toy_csv), "--config", str(config), "--out", str(tmp_path / "a")]) == 2
    assert "is not a valid configuration file" in one_line_error(capsys)
    assert main(["job", "export", str(toy_csv), "--out", str(tmp_path / "job")]) == 0
    capsys.readouterr()
    (tmp_path / "job" / "job.json").write_text(_deep_json(), encoding="utf-8")
    assert main(["train", "--job", str(tmp_path / "job")]) == 2
    assert "The job file in" in one_line_error(capsys)


# ---------------------------------------------------------------- 12. leftovers
def test_onnx_runtime_leaves_no_session_file(trained_adapter, tmp_path):
    """ONNX Runtime's telemetry wrote a .ses file into the temp folder whenever the library loaded."""
    temp, work = tmp_path / "temp", tmp_path / "work"
    temp.mkdir()
    work.mkdir()
    done = subprocess.run([sys.executable, "-m", "desktop_app", "export-onnx", str(trained_adapter.adapter_dir),
                           "--out", str(tmp_path / "onnx")], cwd=work, env=_env(tmp_path, TMPDIR=str(temp)),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not [p for p in (*temp.rglob("*.ses"), *work.iterdir())]
