"""Scale-out: the same training on 2 CPU processes through torchrun (gloo), a killed rank, `--processes`.

The processes are real (torch's launcher, gloo over localhost) and the model tiny: seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from desktop_app.core.train.distributed import World, world
from desktop_app.core.base.errors import TrainingError

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
TRAIN = ["--small-data", "off", "--epochs", "10", "--lr", "0.01", "--seed", "3"]
PROBES = ["the film was great and wonderful", "the film was awful and boring", "really great number 7",
          "boring and awful number 8", "wonderful really really", "awful awful"]


def _env(tmp_path):
    return {**os.environ, "PYTHONPATH": str(ROOT), "LORA_STUDIO_PRECISION": "fp32",
            "LORA_STUDIO_CACHE_DIR": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}


def _data(tmp_path):
    from tiny_models import write_toy_csv

    return write_toy_csv(tmp_path / "d.csv", 200, ("text", "label"))


def _lora_studio(tmp_path, *args, timeout=300):
    return subprocess.run([sys.executable, "-m", "desktop_app", *map(str, args)], cwd=tmp_path, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=timeout)


def _probabilities(adapter):
    from desktop_app.core.predict.inference import Classifier

    return [p.probabilities for p in Classifier.load(adapter).predict(PROBES)]


# ---------------------------------------------------------------- the launcher's environment, checked
def test_a_plain_process_is_a_world_of_one():
    assert world({}) == World() and not World().distributed and World().main


def test_torchruns_variables_are_read_and_checked():
    here = world({"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"})
    assert here == World(1, 2, 1, 2) and here.distributed and not here.main
    for env in ({"RANK": "x", "WORLD_SIZE": "2"}, {"RANK": "2", "WORLD_SIZE": "2"}, {"RANK": "-1", "WORLD_SIZE": "2"},
                {"RANK": "0", "WORLD_SIZE": "0"}, {"WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "3"}):
        with pytest.raises(TrainingError, match="launcher"):
            world(env)


def test_several_processes_share_the_cores_and_skip_the_frozen_cache(monkeypatch):
    from desktop_app.core.model import devices
    from desktop_app.core.model import frozen_cache
    from desktop_app.core.model import threads

    monkeypatch.setattr(threads, "physical_cores", lambda cpus=None: 8)
    monkeypatch.setattr(threads, "initial_threads", lambda: 8)
    set_to = []
    monkeypatch.setattr("torch.set_num_threads", set_to.append)
    assert devices.configure_cpu_threads(4) == 2 and devices.configure_cpu_threads(16) == 1
    p = frozen_cache.plan(None, [10] * 20, 3, 1024, "cpu", processes=2)
    assert not p.active and "several processes" in p.reason


def test_the_manifest_checks_the_scale_fields(trained_adapter, tmp_path):
    import shutil

    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.artifacts.manifest import read_manifest

    manifest = read_manifest(trained_adapter.adapter_dir)
    assert manifest.training["world_size"] == 1 and manifest.training["effective_batch"] >= 1
    for bad in ({"world_size": 0}, {"world_size": "2"}, {"examples_per_rank": [1, -2]},
                {"examples_per_rank": "many"}, {"effective_batch": True}):
        folder = tmp_path / f"bad-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(trained_adapter.adapter_dir, folder)
        data = json.loads((folder / "manifest.json").read_text())
        data["training"].update(bad)
        (folder / "manifest.json").write_text(json.dumps(data))
        with pytest.raises(AdapterError):
            read_manifest(folder)


def test_devices_reports_distributed_readiness(capsys):
    from desktop_app.cli import main

    assert main(["devices"]) == 0
    assert "Distributed training (torchrun): ready, gloo backend" in capsys.readouterr().out
    assert main(["devices", "--json"]) == 0
    ready = json.loads(capsys.readouterr().out)["distributed"]
    assert ready["gloo"] is True and ready["backend"] in ("gloo", "nccl")


# ---------------------------------------------------------------- two real processes
def test_two_processes_train_one_adapter_like_one_process(tmp_path, tiny_bert):
    """`--processes 2` starts two ranks (torch's launcher, gloo): one adapter, world size 2 in its manifest,
    each rank half of the examples, and predictions like a one-process run with the same effective batch."""
    data = _data(tmp_path)
    two = _lora_studio(tmp_path, "train", data, "--model", tiny_bert, *TRAIN, "--batch-size", 16,
                       "--processes", 2, "--out", "two")
    assert two.returncode == 0, two.stderr[-3000:]
    one = _lora_studio(tmp_path, "train", data, "--model", tiny_bert, *TRAIN, "--batch-size", 32, "--out", "one")
    assert one.returncode == 0, one.stderr[-3000:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir() and p.name not in ("cache", "state")) == \
        ["one", "two"]  # one adapter from the two processes, no leftovers
    training = json.loads((tmp_path / "two" / "manifest.json").read_text())["training"]
    assert training["world_size"] == 2 and training["per_device_batch"] == 16 and training["effective_batch"] == 32
    single = json.loads((tmp_path / "one" / "manifest.json").read_text())["training"]
    assert single["world_size"] == 1 and single["effective_batch"] == 32
    # the loss is the same quantity on 1 and 2 processes (transformers once multiplied it by the count)
    assert 0.6 < training["history"][0]["loss"] / single["history"][0]["loss"] < 1.6
    a, b = training["examples_per_rank"]
    assert a == b and a + b == training["steps"] * 32  # each rank trained on half of every update
    assert "[rank 1 of 2] trained" in two.stderr and "Trained on 2 processes" in two.stdout
    for p2, p1 in zip(_probabilities(tmp_path / "two"), _probabilities(tmp_path / "one")):
        assert max(p2, key=p2.get) == max(p1, key=p1.get)
        assert max(abs(p2[k] - p1[k]) for k in p1) < 0.25


def test_two_processes_train_a_multi_label_adapter(tmp_path, tiny_bert):
    """Label sets on rank 0 and rank 1: the split fingerprints agree (tuples of labels), the float targets and
    binary cross-entropy run under DDP, early stopping's tuned micro-F1 is the same on both ranks, and rank 0
    saves a multi-label adapter with its thresholds."""
    from tiny_models import write_toy_multilabel_csv

    data = write_toy_multilabel_csv(tmp_path / "m.csv", 160, none_share=0.1)
    two = _lora_studio(tmp_path, "train", data, "--model", tiny_bert, *TRAIN, "--batch-size", 16, "--none-of-these",
                       "--processes", 2, "--out", "two")
    assert two.returncode == 0, two.stderr[-3000:]
    manifest = json.loads((tmp_path / "two" / "manifest.json").read_text())
    assert manifest["task"] == "multi_label" and len(manifest["thresholds"]) == 3
    assert manifest["training"]["world_size"] == 2 and "[rank 1 of 2] trained" in two.stderr
    assert all(h["micro_f1"] is not None for h in manifest["training"]["history"])


def test_a_killed_rank_ends_the_job_with_a_clear_message_and_nothing_written(tmp_path, tiny_bert):
    """Rank 1 is killed (SIGKILL) at its third step: torchrun ends every rank, the job fails with the
    launcher's account, and no adapter, half adapter or temporary folder is left."""
    data = _data(tmp_path)
    wrapper = tmp_path / "dying.py"
    wrapper.write_text(textwrap.dedent("""
        import os, signal, sys
        from desktop_app.core.train import callbacks
        step_end = callbacks.EventCallback.on_step_end
        def dying(self, args, state, control, **kwargs):
            if os.environ.get("RANK") == "1" and state.global_step == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return step_end(self, args, state, control, **kwargs)
        callbacks.EventCallback.on_step_end = dying
        from desktop_app.cli import main
        sys.exit(main(sys.argv[1:]))
    """))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(wrapper), "train", str(data), "--model", str(tiny_bert), *TRAIN, "--batch-size", "8",
                           "--out", "adapter"], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    assert "Signal 9 (SIGKILL)" in done.stderr and "rank      : 1" in done.stderr
    assert not (tmp_path / "adapter").exists()
    # no .part / .old folder; an empty lock file may stay if the launcher kills rank 0 outright (harmless:
    # the operating system released the lock, and the next run removes the file)
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and not p.name.endswith("-lock")]


def test_bad_data_on_one_rank_stops_all_of_them(tmp_path, tiny_bert):
    """One node's copy of the data is broken: that rank says why, and the job ends without an adapter."""
    wrapper = tmp_path / "one_bad.py"
    data = _data(tmp_path)
    (tmp_path / "broken.csv").write_text("text,label\nonly one,class\n")
    wrapper.write_text(textwrap.dedent(f"""
        import os, sys
        if os.environ.get("RANK") == "1":
            sys.argv[sys.argv.index({str(data)!r})] = {str(tmp_path / "broken.csv")!r}
        from desktop_app.cli import main
        sys.exit(main(sys.argv[1:]))
    """))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(wrapper), "train", str(data), "--model", str(tiny_bert), *TRAIN, "--out", "adapter"],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "lora-studio [rank 1]: " in done.stderr
    assert not (tmp_path / "adapter").exists()


def test_ctrl_c_stops_every_rank_and_saves_nothing(tmp_path, tiny_bert):
    """Ctrl+C in a terminal reaches the launcher and both ranks: they stop on the same step (a Stop seen by one
    rank is shared with all), the launcher says so, exit code 130, and no adapter or temporary folder."""
    import signal
    import time

    data = _data(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "desktop_app", "train", str(data), "--model", str(tiny_bert),
                             "--preset", "quick", "--epochs", "100", "--processes", "2", "--out", "adapter"],
                            cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    seen, deadline = "", time.monotonic() + 120
    while "epoch 2.00" not in seen and time.monotonic() < deadline and proc.poll() is None:
        seen += proc.stderr.readline()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C does: the whole foreground process group
    out, err = proc.communicate(timeout=120)
    err = seen + err
    assert proc.returncode == 130, err[-3000:]
    assert err.count("Training stopped; nothing was saved.") == 2 and "stopped by signal SIGINT" in err
    assert not (tmp_path / "adapter").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_settings_are_refused_before_any_process_starts(tmp_path, capsys):
    from desktop_app.cli import main

    assert main(["train", str(_data(tmp_path)), "--epochs", "0", "--processes", "2"]) == 2
    err = capsys.readouterr().err
    assert "epochs" in err and "rank" not in err  # said once, by the launcher, not by each process


@pytest.mark.parametrize("windows", [False, True])
def test_processes_uses_torchs_launcher_with_this_program(monkeypatch, windows):
    """Both branches forced: the frozen app hands itself to the launcher (no Python needed), a pip install
    runs `-m desktop_app`; on Windows the rendezvous is told not to use libuv (absent from those builds)."""
    import torch.distributed.run as torchrun

    from desktop_app.cli import main, scale as cli_scale

    seen = []
    monkeypatch.setattr(torchrun, "run", lambda args: seen.append((args, os.environ.get("USE_LIBUV"))))
    monkeypatch.setattr(cli_scale, "WINDOWS", windows)
    monkeypatch.delenv("USE_LIBUV", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert cli_scale.launch(3, ["--verbose", "train", "d.csv", "--processes", "3", "--epochs", "1"], main) == 0
    args, libuv = seen[0]
    assert args.nproc_per_node == "3" and args.standalone and args.no_python
    assert args.training_script == sys.executable
    assert args.training_script_args == ["--verbose", "train", "d.csv", "--epochs", "1"]
    assert libuv == ("0" if windows else None)
    monkeypatch.delattr(sys, "frozen")
    cli_scale.launch(2, ["train", "d.csv", "--processes=2"], main)
    args, _ = seen[1]
    assert args.module and args.training_script == "desktop_app" and args.training_script_args == ["train", "d.csv"]


def test_ranks_that_read_different_data_stop_together_with_one_sentence(tmp_path, tiny_bert):
    """Each rank reads the file itself: when one machine's copy differs, every rank says so and stops,
    instead of training two different models in lockstep."""
    data = _data(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text(data.read_text().replace("great", "grand"))
    wrapper = tmp_path / "other_copy.py"
    wrapper.write_text(textwrap.dedent(f"""
        import os, sys
        if os.environ.get("RANK") == "1":
            sys.argv[sys.argv.index({str(data)!r})] = {str(other)!r}
        from desktop_app.cli import main
        sys.exit(main(sys.argv[1:]))
    """))
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           str(wrapper), "train", str(data), "--model", str(tiny_bert), *TRAIN, "--out", "adapter"],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert done.stderr.count("Process 1 read other training data than process 0.") == 2, done.stderr[-3000:]
    assert not (tmp_path / "adapter").exists()


def test_an_abbreviated_processes_flag_is_refused_not_passed_on(tmp_path, capsys):
    """`--proc 2` would reach the processes (the flag is removed by its full name) and each would refuse."""
    from desktop_app.cli import main

    with pytest.raises(SystemExit):
        main(["train", str(_data(tmp_path)), "--proc", "2"])
    assert "unrecognized arguments: --proc" in capsys.readouterr().err


def test_a_destination_refused_on_rank_0_stops_every_rank_with_the_same_sentence(tmp_path, tiny_bert):
    """Rank 0 alone checks --out; before, the other ranks then waited in the next collective (for the
    backend's timeout on other machines). Now every rank gets rank 0's sentence and stops at once."""
    mine = tmp_path / "my-project"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           "-m", "desktop_app", "train", str(_data(tmp_path)), "--model", str(tiny_bert), *TRAIN,
                           "--out", str(mine)], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode != 0
    assert done.stderr.count("already exists and is not a LoRA Studio adapter folder") == 2, done.stderr[-3000:]
    assert "lora-studio [rank 1]: " in done.stderr and (mine / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("together", [True, False])
def test_ranks_leave_the_group_together_only_after_a_run_that_ended_alike(monkeypatch, together):
    """After a run that ended on every rank, each waits at a barrier before leaving the group (a rank that left
    while rank 0 was saving was aborted at exit by gloo now and then); after a failure nobody waits for ranks
    that may be gone, and a barrier broken by a rank that left is no error."""
    import torch.distributed as dist

    from desktop_app.core.train.distributed import finish

    calls = []

    def barrier():
        calls.append("barrier")
        raise RuntimeError("Connection closed by peer")  # rank 0 failed while saving and left

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "barrier", barrier)
    monkeypatch.setattr(dist, "destroy_process_group", lambda: calls.append("destroy"))
    finish(together=together)
    assert calls == (["barrier", "destroy"] if together else ["destroy"])


def test_from_rank0_in_one_process_is_a_plain_call():
    from desktop_app.core.train.distributed import from_rank0
    from desktop_app.core.base.errors import OutputError

    assert from_rank0(lambda: 41 + 1, World()) == 42
    with pytest.raises(OutputError, match="no"):
        from_rank0(lambda: (_ for _ in ()).throw(OutputError("no", "hint")), World())


# ---------------------------------------------------------------- the GPU branches, forced (no GPU here)
@pytest.mark.parametrize("kind", ["cuda", "cpu"])
def test_joining_binds_each_rank_to_its_own_gpu_only_on_cuda(monkeypatch, kind):
    import accelerate
    import torch

    from desktop_app.core.train import distributed

    bound, made, met = [], [], []

    class FakeState:
        def __init__(self, cpu):
            made.append(cpu)
            self.backend = "gloo" if cpu else "nccl"

    monkeypatch.setattr(torch.cuda, "set_device", bound.append)
    monkeypatch.setattr(accelerate, "PartialState", FakeState)
    monkeypatch.setattr(distributed, "_meet", lambda here, backend: met.append(backend))  # the process group
    backend = distributed.start(World(rank=3, size=4, local_rank=1, local_size=2), kind)
    assert bound == ([1] if kind == "cuda" else []) and made == [kind == "cpu"]
    assert met == [backend]
    assert backend == ("nccl" if kind == "cuda" else "gloo")


@pytest.mark.parametrize("preference", ["auto", "cuda", "cpu"])
def test_each_rank_binds_its_gpu_before_the_device_is_inspected(monkeypatch, preference):
    """On CUDA every rank must look at its own GPU (capability, bf16): rank 1 inspecting GPU 0 would open a
    context there. Faked here (no GPU): the order of the calls is what is checked."""
    import torch

    from desktop_app.core.train import distributed
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.train.training import _join

    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: calls.append(("set_device", i)))
    monkeypatch.setattr(torch.cuda, "current_device", lambda: calls.append(("current_device",)) or 1)
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda i: calls.append(("inspect", i)) or type("P", (), {"name": "GPU", "total_memory": 8e9})())
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    monkeypatch.setattr(distributed, "start", lambda here, kind: calls.append(("start", kind)) or "nccl")
    _join(World(rank=3, size=4, local_rank=1, local_size=2), TrainConfig(device=preference))
    if preference == "cpu":  # asked for the CPU: no GPU is bound (that would open a context on it)
        assert ("set_device", 1) not in calls
    else:
        assert calls.index(("set_device", 1)) < calls.index(("inspect", 1))
    assert calls[-1] == ("start", "cpu" if preference == "cpu" else "cuda")


def test_a_stop_is_shared_over_nccl_on_the_gpu(monkeypatch):
    """NCCL reduces GPU tensors only: the flag goes to the GPU first (faked here: no GPU)."""
    import torch
    import torch.distributed as dist

    from desktop_app.core.train.distributed import any_rank

    moved = []
    monkeypatch.setattr(dist, "get_backend", lambda: "nccl")
    monkeypatch.setattr(torch.Tensor, "cuda", lambda self: moved.append(True) or self)
    monkeypatch.setattr(dist, "all_reduce", lambda tensor, op: tensor.fill_(1))  # another rank pressed Stop
    assert any_rank(False, World(0, 2, 0, 2)) is True and moved == [True]


def test_readiness_with_gpus_says_nccl(monkeypatch, capsys):
    import torch

    from desktop_app.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    monkeypatch.setattr(torch.distributed, "is_nccl_available", lambda: True)
    monkeypatch.setattr("desktop_app.core.model.devices.list_devices", lambda: [])
    assert main(["devices"]) == 0
    assert "ready, nccl backend, 4 GPUs visible." in capsys.readouterr().out
