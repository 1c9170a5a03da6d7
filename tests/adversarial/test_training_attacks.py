"""Issue 8, tracebacks where a sentence belongs: bad seeds, broken base models, hostile settings files,
and Ctrl+C at the last moment of a run."""

import json
import os
import shutil
import signal

import pytest
from hostile import one_line_error

from desktop_app.cli import main


def _train(tiny_bert, data, out, *extra):
    return main(["train", str(data), "--model", str(tiny_bert), "--epochs", "1", "--batch-size", "16",
                 "--out", str(out), *extra])


@pytest.mark.parametrize("seed", ["-1", "99999999999"])
def test_a_seed_out_of_range_is_refused_before_training(tiny_bert, toy_csv, tmp_path, capsys, seed):
    assert _train(tiny_bert, toy_csv, tmp_path / "ad", "--seed", seed) == 2
    assert "seed" in one_line_error(capsys) and not (tmp_path / "ad").exists()


@pytest.mark.parametrize("damage", ["config_mismatch", "junk_weights", "empty_weights"])
def test_a_broken_base_model_is_one_sentence(tiny_bert, toy_csv, tmp_path, capsys, damage):
    model = shutil.copytree(tiny_bert, tmp_path / "model")
    if damage == "config_mismatch":
        config = json.loads((model / "config.json").read_text())
        config.update(hidden_size=48, intermediate_size=96)
        (model / "config.json").write_text(json.dumps(config))
    else:
        (model / "model.safetensors").write_bytes(b"" if damage == "empty_weights" else os.urandom(4096))
    assert _train(model, toy_csv, tmp_path / "ad") == 2
    assert "could not be loaded" in one_line_error(capsys)


@pytest.mark.parametrize("settings", [
    '{"lora": "x"}', '{"config_version": "2"}', '{"base_model": 5}', '{"epochs": "3"}', '{"lora": {"r": 1e9}}',
    '{"lora": {"targets": [1, 2]}}', '{"seed": true}', '[1, 2]', '{"device": ["cuda"]}', 'null', '{"unknown": 1}',
])
def test_hostile_settings_files_are_one_sentence(toy_csv, tmp_path, capsys, settings):
    path = tmp_path / "settings.json"
    path.write_text(settings)
    assert main(["train", str(toy_csv), "--config", str(path), "--out", str(tmp_path / "ad")]) == 2
    one_line_error(capsys)


def test_ctrl_c_twice_during_the_final_save_leaves_the_old_adapter(tiny_bert, toy_csv, tmp_path, capsys,
                                                                   monkeypatch):
    out = tmp_path / "ad"
    assert _train(tiny_bert, toy_csv, out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import peft

    real_save = peft.PeftModel.save_pretrained

    pressed = []  # what each Ctrl+C did, in order: the test's own record, not the CLI's

    def interrupted_save(self, *a, **k):
        real_save(self, *a, **k)
        # raise_signal, not os.kill and a wait: it runs the Python handler before it returns, so each press is
        # handled exactly here, at the end of the save, however busy the machine.
        cli_handler = signal.getsignal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)  # first Ctrl+C: the CLI asks training to stop and steps aside
        pressed.append("stop asked" if signal.getsignal(signal.SIGINT) is not cli_handler else "not handled")
        try:
            signal.raise_signal(signal.SIGINT)  # second: Python's default, KeyboardInterrupt
        except KeyboardInterrupt:
            pressed.append("interrupted")
            raise
        pressed.append("not interrupted")
    monkeypatch.setattr(peft.PeftModel, "save_pretrained", interrupted_save)
    # Ctrl+C as a terminal's Python has it: a shell starts a background job with SIGINT ignored, and the CLI
    # rightly hands the second press back to "ignore" (exit 0 where 130 was expected: how this test failed so)
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert _train(tiny_bert, toy_csv, out, "--seed", "3") == 130
    finally:
        signal.signal(signal.SIGINT, outside)
    assert pressed == ["stop asked", "interrupted"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad", "reviews.csv"]


@pytest.mark.parametrize("label", ["\x1b]0;pwned\x07pos", "p" * 150, "pos\u202e", "neg\u200b"])
def test_labels_we_could_not_open_again_are_refused_before_training(tiny_bert, tmp_path, capsys, label):
    """The rule a manifest's labels are held to applies where labels enter: a data file."""
    data = tmp_path / "d.csv"
    rows = [f"the film was good {i},{label if i % 2 else 'neg'}" for i in range(60)]
    data.write_text("review,sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert _train(tiny_bert, data, tmp_path / "ad") == 2
    assert "cannot be a class name" in one_line_error(capsys)
    assert main(["inspect", str(data)]) == 2
    assert not (tmp_path / "ad").exists()
