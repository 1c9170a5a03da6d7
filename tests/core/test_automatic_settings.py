"""Issue 23, item 2: every setting LoRA Studio may adjust (epochs, learning rate, max length) follows one
convention: unset means automatic, adjusted for the data and task; a number means exactly that number. The
window and the command line take a number the same way, the manifest records which, and older files load."""

import json
from types import SimpleNamespace

import pytest

from desktop_app.core.model.config import PRESET_START, TrainConfig, preset
from desktop_app.core.base.errors import AdapterError
from desktop_app.core.base.events import LogLine
from desktop_app.core.artifacts.manifest import Manifest, _how_set
from desktop_app.core.train.objectives import MULTI_LABEL_LR_SCALE, for_task
from desktop_app.core.train.preparation import ensure_min_steps
from desktop_app.core.model.text import coverage

BALANCED_RATE = PRESET_START["balanced"].learning_rate


def _run(config: TrainConfig, n_train: int, multi_label: bool = False) -> TrainConfig:
    """What training does with a config: for_task (several labels), then the automatic settings filled in."""
    said = []
    return ensure_min_steps(for_task(config, multi_label, said.append), n_train, said.append)


def test_a_learning_rate_typed_equal_to_the_presets_is_used_exactly():
    typed = preset("balanced").with_overrides(learning_rate=BALANCED_RATE)
    assert _run(typed, 5000, multi_label=True).learning_rate == BALANCED_RATE
    automatic = _run(preset("balanced"), 5000, multi_label=True)
    assert automatic.learning_rate == BALANCED_RATE * MULTI_LABEL_LR_SCALE
    assert _run(preset("quick"), 5000).learning_rate == PRESET_START["quick"].learning_rate
    assert automatic.automatic == ("learning_rate", "epochs") and _run(typed, 5000).automatic == ("epochs",)


def test_epochs_typed_run_exactly_and_unset_ones_are_raised_on_small_data():
    said = []
    auto = ensure_min_steps(preset("balanced"), 300, said.append)  # 10 updates per epoch: 12 reach ~120
    assert auto.epochs == 12 and "instead of the “balanced” preset's 3" in said[0].message
    assert "Set a number of epochs to run exactly" in said[0].message
    exact = ensure_min_steps(preset("balanced").with_overrides(epochs=2), 300, said.append)
    assert exact.epochs == 2 and exact.min_steps == 120 and len(said) == 1  # no raise, nothing said
    assert ensure_min_steps(preset("balanced"), 5000, said.append).epochs == 3


def test_the_command_line_takes_a_number_as_the_window_does(tmp_path):
    from desktop_app.cli.args import parser as _parser, train_config

    def config(*flags):
        return train_config(_parser().parse_args(["train", "data.csv", *flags]))

    given = config("--epochs", "2", "--lr", str(BALANCED_RATE))
    assert (given.epochs, given.learning_rate, given.min_steps) == (2, BALANCED_RATE, 120)
    assert _run(given, 300, multi_label=True).epochs == 2
    assert _run(given, 300, multi_label=True).learning_rate == BALANCED_RATE
    unset = config()
    assert (unset.epochs, unset.learning_rate) == (None, None) and _run(unset, 300).epochs == 12
    old = tmp_path / "old.json"  # a file saved before version 2: the preset's own values were automatic then
    old.write_text(json.dumps({"config_version": 1, "preset": "balanced", "epochs": 3, "learning_rate": BALANCED_RATE}))
    from_file = config("--config", str(old))
    assert (from_file.epochs, from_file.learning_rate) == (None, None)
    assert _run(from_file, 300, multi_label=True).learning_rate == BALANCED_RATE * MULTI_LABEL_LR_SCALE  # as then


def test_older_configs_load_and_keep_training_as_they_did():
    def v1(**values):
        return TrainConfig.from_dict({"config_version": 1, **values})

    assert v1(preset="balanced", learning_rate=BALANCED_RATE, epochs=3).learning_rate is None  # scaled then
    assert v1(preset="balanced", learning_rate=BALANCED_RATE, epochs=3).epochs is None         # raised then
    assert v1(preset="quick", learning_rate=1e-3, epochs=2).learning_rate is None
    assert v1(preset="quick", learning_rate=BALANCED_RATE).learning_rate == BALANCED_RATE       # the user's own
    assert v1(preset="balanced", epochs=3, min_steps=0).epochs == 3  # --epochs 3 was taken as given then too
    assert v1(preset="balanced", epochs=7).epochs == 7
    # version 2 says automatic by leaving it unset: a number, even the preset's own, is exact
    now = TrainConfig.from_dict({"config_version": 2, "learning_rate": BALANCED_RATE, "epochs": 3})
    assert (now.learning_rate, now.epochs) == (BALANCED_RATE, 3)
    assert TrainConfig.from_dict(preset("quick").to_dict()) == preset("quick")


def test_the_saved_settings_stay_readable_by_an_older_version_and_say_which_were_chosen():
    from desktop_app.core.artifacts.manifest import _settings_as_run

    ran = _run(preset("balanced").with_overrides(max_length=128), 300)
    saved = _settings_as_run(ran)
    assert saved["config_version"] == 1 and "automatic" not in saved  # no key an older version refuses
    assert (saved["epochs"], saved["learning_rate"]) == (12, BALANCED_RATE)
    result = SimpleNamespace(config=ran, estimate=None)
    assert _how_set(result) == {"settings": {"epochs": "automatic", "learning_rate": "automatic",
                                             "max_length": "exact"}}
    exact = _run(TrainConfig(epochs=2, learning_rate=BALANCED_RATE), 300)
    assert _how_set(SimpleNamespace(config=exact, estimate=None))["settings"] == {
        "epochs": "exact", "learning_rate": "exact", "max_length": "automatic"}
    small = SimpleNamespace(config=exact, estimate=SimpleNamespace(cross_validated=True))
    assert _how_set(small)["settings"]["epochs"] == "small-data"


def test_an_older_manifest_with_the_presets_rate_still_opens(trained_adapter):
    manifest = json.loads((trained_adapter.adapter_dir / "manifest.json").read_text())
    assert manifest["training"]["settings"] == {"epochs": "small-data", "learning_rate": "small-data",
                                                "max_length": "automatic"}  # the toy adapter: the small-data path
    assert manifest["config"]["config_version"] == 1
    older = dict(manifest, training={k: v for k, v in manifest["training"].items() if k != "settings"})
    older["config"] = dict(manifest["config"], preset="balanced", learning_rate=BALANCED_RATE, epochs=3)
    assert Manifest.from_dict(older).config["learning_rate"] == BALANCED_RATE
    with pytest.raises(AdapterError, match="settings"):
        Manifest.from_dict(dict(manifest, training={**manifest["training"], "settings": {"epochs": "guessed"}}))


def test_coverage_counts_the_texts_a_length_reads_whole():
    lengths = [100] * 61 + [400] * 39
    assert coverage(lengths, 256) == "61%" and coverage(lengths, 400) == "all" and coverage(lengths, 99) == "none"
    assert coverage([10] * 999 + [500], 256) == "over 99%"  # never rounded up to "100%" while one is cut
    assert coverage([10] + [500] * 999, 256) == "under 1%"


def test_the_cpu_is_named_with_the_threads_training_uses(tiny_bert, monkeypatch):
    from desktop_app.core.model import devices
    from desktop_app.core.train.preparation import prepare_model

    monkeypatch.setattr(devices, "configure_cpu_threads", lambda processes_here=1: 1)  # another program holds one
    said = []
    prepared = prepare_model(TrainConfig(base_model=str(tiny_bert), device="cpu"), ("a", "b"), said.append)
    assert prepared.device.name == "CPU, 1 thread" and LogLine("Device: CPU, 1 thread") in said
