import json

import pytest

from desktop_app.core.model.config import CONFIG_VERSION, PRESETS, LoraSettings, TrainConfig, preset
from desktop_app.core.base.errors import ConfigError
from desktop_app.core.data.label_map import LabelMap
from desktop_app.core.base.errors import DataError


def test_json_round_trip(tmp_path):
    cfg = TrainConfig(epochs=3, lora=LoraSettings(r=4, targets=("query", "value")), class_weighting=True)
    cfg.save(tmp_path / "c.json")
    assert TrainConfig.load(tmp_path / "c.json") == cfg
    assert json.loads((tmp_path / "c.json").read_text())["config_version"] == CONFIG_VERSION


@pytest.mark.parametrize("change", [dict(epochs=0), dict(learning_rate=1.0), dict(batch_size=0),
                                    dict(max_length=4), dict(device="tpu"), dict(validation_fraction=0.95),
                                    dict(lora=LoraSettings(r=0)), dict(lora=LoraSettings(targets="everything"))])
def test_validation_explains(change):
    with pytest.raises(ConfigError, match="out of range"):
        TrainConfig(**change).validate()


def test_unknown_keys_and_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="Unknown settings.*bogus"):
        TrainConfig.from_dict({"bogus": 1})
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="not a valid configuration"):
        TrainConfig.load(tmp_path / "bad.json")
    with pytest.raises(ConfigError, match="does not exist"):
        TrainConfig.load(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="newer"):
        TrainConfig.from_dict({"config_version": 99})


def test_presets_are_valid_and_overrides_apply():
    for name, cfg in PRESETS.items():
        assert cfg.validate().preset == name
    cfg = preset("Quick").with_overrides(epochs=5, lora_r=4, batch_size=None)
    assert cfg.epochs == 5 and cfg.lora.r == 4 and cfg.batch_size == PRESETS["quick"].batch_size
    with pytest.raises(ConfigError, match="no preset"):
        preset("turbo")


def test_label_map():
    lm = LabelMap.from_labels(["b", "a", "10", "2", "a"])
    assert lm.names == ("2", "10", "a", "b")
    assert lm.ids(["a", "2"]) == [2, 0] and lm.name_of(3) == "b"
    assert lm.id2label[1] == "10" and lm.label2id["b"] == 3
    with pytest.raises(DataError, match="not one of"):
        lm.ids(["zzz"])
    with pytest.raises(DataError):
        LabelMap(("x", "x"))
