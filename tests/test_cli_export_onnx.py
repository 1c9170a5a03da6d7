"""`lora-studio export-onnx ADAPTER --out FOLDER`: a checked ONNX folder, and one-line refusals (exit 2)."""

import json

import pytest

from desktop_app.cli import main


def test_export_onnx_writes_a_checked_folder(trained_adapter, tmp_path, capsys):
    out = tmp_path / "onnx"
    assert main(["export-onnx", str(trained_adapter.adapter_dir), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Exported to" in printed and "same probabilities" in printed
    info = json.loads((out / "lora_studio_onnx.json").read_text())
    assert info["labels"] == ["neg", "pos"] and (out / "model.onnx").stat().st_size > 1000
    assert main(["export-onnx", str(trained_adapter.adapter_dir), "--out", str(out)]) == 0  # its own: replaced


def test_export_onnx_from_a_zip(trained_adapter, tmp_path):
    from desktop_app.core.artifacts.adapters import export_adapter_zip

    shared = export_adapter_zip(trained_adapter.adapter_dir, tmp_path / "shared.zip")
    assert main(["export-onnx", str(shared), "--out", str(tmp_path / "onnx")]) == 0
    assert (tmp_path / "onnx" / "model.onnx").is_file()


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("lora-studio: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_a_destination_that_is_not_ours_is_refused_before_the_model_loads(trained_adapter, tmp_path, capsys,
                                                                           monkeypatch):
    from desktop_app.core.predict import inference

    monkeypatch.setattr(inference.Classifier, "load", lambda *a, **k: pytest.fail("the model was loaded"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    assert main(["export-onnx", str(trained_adapter.adapter_dir), "--out", str(project)]) == 2
    assert "not a LoRA Studio ONNX export folder" in _one_line(capsys)
    assert [p.name for p in project.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "model.onnx"
    a_file.write_text("mine")
    assert main(["export-onnx", str(trained_adapter.adapter_dir), "--out", str(a_file)]) == 2
    assert "already exists" in _one_line(capsys) and a_file.read_text() == "mine"


@pytest.mark.parametrize("argv", [
    ["export-onnx", "/no/such/adapter", "--out", "{tmp}/onnx"],
    ["export-onnx", "{adapter}", "--out", " "],
])
def test_bad_input_is_one_line_and_exit_2(argv, trained_adapter, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, adapter=trained_adapter.adapter_dir) for a in argv]
    assert main(argv) == 2
    _one_line(capsys)
    assert not (tmp_path / "onnx").exists()


def test_out_is_required(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export-onnx", "adapter"])
    assert exc.value.code == 2 and "--out" in capsys.readouterr().err
