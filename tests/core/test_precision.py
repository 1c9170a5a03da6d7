"""Precision is chosen by measurement (injected here), by capability on CUDA, and remembered safely."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.model import precision
from desktop_app.core.model.devices import DeviceInfo

CPU = DeviceInfo("cpu", "CPU, 2 threads", bf16=True)  # has bf16 instructions: must not decide by itself


@pytest.fixture(autouse=True)
def measured(monkeypatch, tmp_path):
    """A private cache folder and no forced precision: these tests exercise "auto"."""
    monkeypatch.setenv("LORA_STUDIO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(precision.ENV_FORCE, raising=False)


class Timer:
    """An injected measurement that counts its calls."""

    def __init__(self, fp32: float, bf16: float) -> None:
        self.timings, self.calls = {"fp32": fp32, "bf16": bf16}, 0

    def __call__(self) -> dict:
        self.calls += 1
        return dict(self.timings)


@pytest.mark.parametrize("fp32, bf16, expected", [
    (0.40, 0.20, "bf16"),   # twice as fast (eager attention on an AVX512-BF16 CPU)
    (0.40, 0.37, "fp32"),   # 8% faster: within noise, fp32 is exact
    (0.46, 1.77, "fp32"),   # a CPU without bf16 instructions (measured: 4x slower)
    (0.40, 0.0, "fp32"),    # nonsense timings never pick bf16
    (float("nan"), 0.2, "fp32"),
])
def test_the_faster_precision_wins_by_a_clear_margin(fp32, bf16, expected):
    assert precision.decide({"fp32": fp32, "bf16": bf16}) == expected


def test_auto_on_a_cpu_measures_once_then_remembers():
    timer = Timer(0.4, 0.2)
    first = precision.resolve("auto", CPU, timer, "key-a")
    second = precision.resolve("auto", CPU, timer, "key-a")
    assert (first.name, second.name, timer.calls) == ("bf16", "bf16", 1)
    assert "measured just now" in first.reason and "measured earlier" in second.reason
    assert first.attention == "eager"  # bf16 on a CPU trains with eager attention (SDPA's bf16 backward is slow)
    assert precision.resolve("auto", CPU, Timer(0.4, 0.8), "key-b").name == "fp32"  # another shape measures


def test_cpu_flags_alone_never_choose_bf16():
    slow = Timer(0.3, 0.9)  # bf16 instructions reported, but bf16 measured slower
    assert precision.resolve("auto", CPU, slow, "k").name == "fp32"


@pytest.mark.parametrize("setting, expected", [("fp32", "fp32"), ("bf16", "bf16"), ("fp16", "fp32")])
def test_an_explicit_cpu_setting_is_not_measured(setting, expected):
    timer = Timer(0.4, 0.2)
    assert precision.resolve(setting, CPU, timer, "k").name == expected
    assert timer.calls == 0


@pytest.mark.parametrize("bf16, expected", [(True, "bf16"), (False, "fp16")])
def test_cuda_goes_by_capability_without_measuring(bf16, expected):
    timer = Timer(0.1, 0.9)
    gpu = DeviceInfo("cuda", "NVIDIA test GPU, 8 GB", bf16=bf16, fp16=True)
    chosen = precision.resolve("auto", gpu, timer, "k")
    assert (chosen.name, chosen.attention, timer.calls) == (expected, None, 0)


def test_apple_gpu_trains_in_fp32():
    assert precision.resolve("auto", DeviceInfo("mps", "Apple GPU"), Timer(0.4, 0.1), "k").name == "fp32"


def test_the_environment_can_pin_auto(monkeypatch):
    monkeypatch.setenv(precision.ENV_FORCE, "bf16")
    timer = Timer(0.4, 0.8)
    assert precision.resolve("auto", CPU, timer, "k").name == "bf16" and timer.calls == 0


@pytest.mark.parametrize("content", [
    "not json", "[1, 2]", '{"k": "fast"}', '{"k": {"fp32": -1, "bf16": 0.1}}', '{"k": {"fp32": true, "bf16": 0.1}}',
    '{"k": {"fp32": 0.4}}', '{"k": {"fp32": 1e9, "bf16": 0.1}}',
])
def test_a_damaged_cache_file_is_ignored_and_measured_again(content):
    folder = precision.cache_folder()
    folder.mkdir(parents=True)
    (folder / precision.CACHE_FILE).write_text(content, encoding="utf-8")
    timer = Timer(0.4, 0.2)
    assert precision.resolve("auto", CPU, timer, "k").name == "bf16" and timer.calls == 1
    saved = json.loads((folder / precision.CACHE_FILE).read_text(encoding="utf-8"))
    assert saved["k"]["fp32"] == 0.4 and saved["k"]["bf16"] == 0.2


def test_an_unwritable_cache_costs_a_measurement_not_the_run(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("LORA_STUDIO_CACHE_DIR", str(blocker / "cache"))  # a folder inside a file: cannot exist
    timer = Timer(0.4, 0.2)
    assert precision.resolve("auto", CPU, timer, "k").name == "bf16"
    assert precision.resolve("auto", CPU, timer, "k").name == "bf16" and timer.calls == 2


def _tiny_lora(tiny_bert):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.train.preparation import attach_lora, prepare_model

    config = TrainConfig(small_data="off", base_model=str(tiny_bert))
    prepared = prepare_model(config, ("a", "b"))
    return attach_lora(config, prepared.base, prepared.model), prepared


def test_measuring_changes_neither_weights_nor_random_state(tiny_bert, toy):
    import torch

    from desktop_app.core.model.text import TextEncoder

    model, prepared = _tiny_lora(tiny_bert)
    encoder = TextEncoder(prepared.tokenizer, 32)
    batches = precision.probe_batches(encoder, encoder.finish(encoder.tokenize(toy.texts)), 8)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(3)
    expected_draw = torch.rand(1)
    torch.manual_seed(3)
    timings = precision.measure_steps(model, batches)
    assert torch.rand(1) == expected_draw
    assert set(timings) == {"fp32", "bf16"} and all(0 < t < 60 for t in timings.values())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())
    assert model.get_base_model().config._attn_implementation == "sdpa"  # eager only while measuring bf16


def test_machine_key_follows_batch_shape_and_model(tiny_bert):
    model, _ = _tiny_lora(tiny_bert)
    key = precision.machine_key(model, 32, 64, 2)
    assert key == precision.machine_key(model, 32, 60, 2)          # same 32-token bucket
    assert key != precision.machine_key(model, 32, 128, 2)
    assert key != precision.machine_key(model, 16, 64, 2)
    assert key != precision.machine_key(model, 32, 64, 1)


def test_training_in_bf16_uses_eager_attention_and_gives_it_back(tiny_bert, toy):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    seen = []
    config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=1, batch_size=16, min_steps=0, precision="bf16",
                         device="cpu")
    result = run_training(config, Dataset(toy, LabelMap.from_labels(toy.labels), None),
                          on_event=lambda e: seen.append(getattr(e, "message", "")))
    assert result.device.endswith("(bf16)")
    assert "Precision: bf16 (chosen in the settings)." in seen
    assert result.model.get_base_model().config._attn_implementation == "sdpa"


def test_auto_training_records_the_measured_choice(tiny_bert, toy, monkeypatch):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.training import run_training

    monkeypatch.setattr(precision, "measure_steps", lambda *a, **k: {"fp32": 0.5, "bf16": 0.1})
    seen = []
    config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=1, batch_size=16, min_steps=0, device="cpu")
    result = run_training(config, Dataset(toy, LabelMap.from_labels(toy.labels), None),
                          on_event=lambda e: seen.append(getattr(e, "message", "")))
    assert result.device.endswith("(bf16)")
    assert any(m.startswith("Precision: bf16 (measured just now: bf16 runs at 5.00x") for m in seen)


def test_the_estimate_and_training_share_one_measurement(tiny_bert, toy, monkeypatch):
    """The estimate builds its model with two placeholder classes; a three-class training run must still
    find the estimate's measurement instead of measuring again."""
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import Dataset
    from desktop_app.core.train.estimate import estimate_epoch_seconds
    from desktop_app.core.data.label_map import LabelMap
    from tiny_models import toy_examples

    calls = []

    def fake(model, batches, names=("fp32", "bf16"), **kwargs):
        calls.append(names)
        return {name: 0.1 if name == "bf16" else 0.5 for name in names}

    monkeypatch.setattr(precision, "measure_steps", fake)
    three = toy_examples(labels=("neg", "mid", "pos"))
    config = TrainConfig(small_data="off", base_model=str(tiny_bert), epochs=1, batch_size=16, min_steps=0, device="cpu")
    assert estimate_epoch_seconds(config, three.texts)["precision"] == "bf16"
    seen = []
    from desktop_app.core.train.training import run_training

    run_training(config, Dataset(three, LabelMap.from_labels(three.labels), None),
                 on_event=lambda e: seen.append(getattr(e, "message", "")))
    assert calls == [("fp32", "bf16")]  # measured once, by the estimate
    assert any("measured earlier on this computer" in m for m in seen)
