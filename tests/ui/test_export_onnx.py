"""File › Export ONNX… in the real window: enabled once a model is loaded, runs off the GUI thread, offers
another name for a folder that is not ours, and a refused export (parity) is explained with nothing written."""

import pytest
from PySide6.QtWidgets import QFileDialog, QMenu


def _onnx_action(window):
    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File")
    return next(a for a in file_menu.actions() if a.text() == "Export &ONNX…")


def _load(qtbot, window, adapter):
    window.load_adapter(str(adapter))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)


def test_the_menu_action_exports_the_loaded_model(qtbot, window, trained_adapter, tmp_path, monkeypatch):
    action = _onnx_action(window)
    assert not action.isEnabled()  # nothing to export yet
    _load(qtbot, window, trained_adapter.adapter_dir)
    assert action.isEnabled()
    assert window.classifier.onnx is not None  # the window predicts through ONNX Runtime
    target = tmp_path / "deploy"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "Folder (*)"))
    action.trigger()
    assert window.tasks.busy  # the export runs in the worker; the window stays responsive
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60000)
    assert (target / "model.onnx").is_file() and (target / "lora_studio_onnx.json").is_file()
    assert "ONNX model exported to" in window.statusBar().currentMessage()


@pytest.mark.parametrize("accept", [True, False])
def test_a_folder_that_is_not_ours_offers_another_name(qtbot, window, trained_adapter, tmp_path, monkeypatch,
                                                      accept):
    _load(qtbot, window, trained_adapter.adapter_dir)
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    offered = []
    monkeypatch.setattr("desktop_app.ui.dialogs.offer_other_name",
                        lambda parent, title, refusal, name: offered.append((title, refusal, name)) or accept)
    assert window.exports.export_onnx(str(project)) == accept
    assert offered == [("Export ONNX", offered[0][1], "project-2")]
    assert "not a LoRA Studio ONNX export folder" in offered[0][1]
    if accept:
        qtbot.waitUntil(lambda: not window.tasks.busy, timeout=60000)
        assert (tmp_path / "project-2" / "model.onnx").is_file()
    else:
        assert not window.tasks.busy and not (tmp_path / "project-2").exists()
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


def test_a_failed_parity_check_is_explained_and_writes_nothing(qtbot, window, trained_adapter, tmp_path,
                                                              monkeypatch):
    import torch

    from desktop_app.core.artifacts import onnx_export
    real_copy = onnx_export._fp32_copy

    def drifted(model):
        copy = real_copy(model)
        with torch.no_grad():
            copy.classifier.bias += torch.tensor([0.5, -0.5])
        return copy

    monkeypatch.setattr(onnx_export, "_fp32_copy", drifted)
    _load(qtbot, window, trained_adapter.adapter_dir)
    failures = []
    window.tasks.failed.connect(lambda message, hint: failures.append(message))
    assert window.exports.export_onnx(str(tmp_path / "out"))
    qtbot.waitUntil(lambda: not window.tasks.busy and bool(failures), timeout=60000)
    assert "differ from the original's" in failures[0]
    assert "differ from the original's" in window.statusBar().currentMessage()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
