"""`lora-studio export ADAPTER OUT.zip` / `--folder OUT` (issue 24): the window's export from the command line,
refusing what is not ours, and `--base-model` for a recipient whose base is not found by itself."""

import json
import zipfile

import pytest
from hostile import one_line_error

from desktop_app.cli import main


def _zip_files(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_export_writes_a_zip_the_app_reopens(trained_adapter, tmp_path, capsys):
    out = tmp_path / "shared.zip"
    assert main(["export", str(trained_adapter.adapter_dir), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Exported to" in printed and "No text of your data is included" in printed
    manifest = json.loads(_zip_files(out)["manifest.json"])
    assert manifest["metrics"]["validation"]["mistakes"] == []
    assert main(["predict", str(out), "--text", "good and superb", "--json"]) == 0
    from_zip = json.loads(capsys.readouterr().out)
    assert main(["predict", str(trained_adapter.adapter_dir), "--text", "good and superb", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == from_zip
    assert main(["export", str(out), str(out)]) == 0  # an export of ours may be replaced, even by itself


def test_the_cli_and_the_window_write_the_same_files(trained_adapter, tmp_path):
    from desktop_app.ui.jobs import export_adapter_job

    assert main(["export", str(trained_adapter.adapter_dir), str(tmp_path / "cli.zip")]) == 0
    export_adapter_job(trained_adapter.adapter_dir, str(tmp_path / "window.zip"))(None, None)
    cli, window = _zip_files(tmp_path / "cli.zip"), _zip_files(tmp_path / "window.zip")
    assert sorted(cli) == sorted(window)
    for name in cli:
        if name != "manifest.json":
            assert cli[name] == window[name], name
    assert json.loads(cli["manifest.json"]) == json.loads(window["manifest.json"])


def test_export_a_folder_with_the_example_mistakes(trained_adapter, tmp_path, capsys):
    out = tmp_path / "folder"
    assert main(["export", str(trained_adapter.adapter_dir), "--folder", str(out), "--include-examples"]) == 0
    assert "are included" in capsys.readouterr().out
    assert json.loads((out / "manifest.json").read_text())["metrics"]["validation"]["mistakes"]
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "adapter_config.json", "adapter_model.safetensors",
                                                     "manifest.json"]


def test_what_is_not_ours_is_refused_and_kept(trained_adapter, tmp_path, capsys):
    mine = tmp_path / "mine.zip"
    mine.write_bytes(b"my own zip")
    assert main(["export", str(trained_adapter.adapter_dir), str(mine)]) == 2
    assert "already exists" in one_line_error(capsys) and mine.read_bytes() == b"my own zip"
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    assert main(["export", str(trained_adapter.adapter_dir), "--folder", str(project)]) == 2
    one_line_error(capsys)
    assert [p.name for p in project.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("argv, words", [
    (["export", "{adapter}"], "but not both"),
    (["export", "{adapter}", "{tmp}/a.zip", "--folder", "{tmp}/b"], "but not both"),
    (["export", "{adapter}", "{tmp}/a.tar"], "does not end in .zip"),
    (["export", "{tmp}/no-such-adapter", "{tmp}/a.zip"], "does not exist"),
])
def test_bad_export_input_is_one_line_and_exit_2(argv, words, trained_adapter, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, adapter=trained_adapter.adapter_dir) for a in argv]
    assert main(argv) == 2
    assert words in one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_recipient_points_at_the_base_with_base_model(trained_adapter, tiny_bert, tmp_path, capsys, monkeypatch):
    out = tmp_path / "shared.zip"
    assert main(["export", str(trained_adapter.adapter_dir), str(out)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "recipient"))  # a computer that never saw the base
    assert main(["predict", str(out), "--text", "good"]) == 2
    assert "--base-model" in one_line_error(capsys)
    for command in (["predict", str(out), "--text", "good"], ["evaluate", str(out), "{csv}"],
                    ["export-onnx", str(out), "--out", str(tmp_path / "onnx")]):
        if "{csv}" in command:
            csv = tmp_path / "eval.csv"
            csv.write_text("text,label\ngood and superb,pos\nboring and dull,neg\n")
            command = [str(csv) if c == "{csv}" else c for c in command]
        assert main([*command, "--base-model", str(tiny_bert)]) == 0, capsys.readouterr().err
