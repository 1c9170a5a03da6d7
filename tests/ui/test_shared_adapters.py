"""Issue 24 in the window: an export carries no text of the user's data unless File › Include example mistakes in
exports is ticked; a shared adapter whose base model is not found asks for its folder, checks it, remembers it."""

import json
import zipfile

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMenu

from desktop_app.core.artifacts.adapters import export_adapter


def _action(window, text):
    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File")
    return next(a for a in file_menu.actions() if a.text() == text)


def _load(qtbot, window, adapter):
    window.load_adapter(str(adapter))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)


def _mistakes(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        return json.loads(zf.read("manifest.json"))["metrics"]["validation"]["mistakes"]


def test_exports_carry_the_example_mistakes_only_when_ticked(qtbot, window, trained_adapter, tmp_path, monkeypatch):
    _load(qtbot, window, trained_adapter.adapter_dir)
    ticked = _action(window, "Include example &mistakes in exports")
    assert ticked.isCheckable() and not ticked.isChecked()  # off at every start
    export = _action(window, "&Export adapter…")
    for name, tick in (("plain.zip", False), ("with-texts.zip", True)):
        ticked.setChecked(tick)
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, n=name, **k: (str(tmp_path / n), "*.zip"))
        export.trigger()
        qtbot.waitUntil(lambda n=name: (tmp_path / n).exists() and not window.tasks.busy, timeout=30000)
        said = window.statusBar().currentMessage()
        assert ("are included" in said) == tick and ("no text of your data" in said) != tick
    assert _mistakes(tmp_path / "plain.zip") == [] and _mistakes(tmp_path / "with-texts.zip")


def test_a_shared_adapter_without_its_base_asks_for_the_folder(qtbot, window, trained_adapter, tiny_bert, tmp_path,
                                                               monkeypatch):
    from desktop_app.core.predict.inference import Classifier

    shared = export_adapter(trained_adapter.adapter_dir, tmp_path / "shared.zip")
    monkeypatch.setenv("LORA_STUDIO_DATA_DIR", str(tmp_path / "recipient"))  # a computer that never saw the base
    window.load_adapter(str(shared))
    qtbot.waitUntil(lambda: window.base_request is not None and not window.tasks.busy, timeout=30000)
    box = window.base_request
    assert window.classifier is None and "needs the base model" in box.text() and tiny_bert.name in box.text()
    choose = next(b for b in box.buttons() if b.text() == "Choose base model folder…")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tiny_bert))
    choose.click()
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    texts = ["good and superb", "boring and dull"]
    expected = Classifier.load(trained_adapter.adapter_dir).predict_proba(texts)
    assert np.abs(window.classifier.predict_proba(texts) - expected).max() < 1e-5
    assert window.settings.last_folder("base_model") == str(tiny_bert)
    assert Classifier.load(shared).labels == ("neg", "pos")  # remembered: the next load needs no question
