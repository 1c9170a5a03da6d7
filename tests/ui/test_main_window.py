"""The real window driven by qtbot: load data, train a tiny model, stop one run, finish another,
predict, export, reload; bad input is explained and loses nothing; closing stops training cleanly."""


from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop_app.core.base import events as ev


from ui_data import load as _load  # noqa: E402
from ui_data import write_csv as _write_csv  # noqa: E402
from ui_data import use_model  # noqa: E402


def test_title_menus_and_status(window):
    assert window.windowTitle() == "LoRA Studio"
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Help"]
    from PySide6.QtWidgets import QMenu

    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File")
    file_items = [a.text() for a in file_menu.actions() if a.text()]
    for item in ("&Open dataset…", "Open &recent", "Open &sample dataset", "&Load configuration…",
                 "Sa&ve configuration…", "Open &adapter (.zip or folder)…", "&Export adapter…", "&Quit"):
        assert item in file_items
    assert window.device_label.text().startswith("Device: CPU")
    assert window.configure.model_combo.currentText().startswith("all-MiniLM-L6-v2")


def test_full_workflow(qtbot, window, tiny_bert, tmp_path):
    data = _write_csv(tmp_path / "reviews.csv")
    _load(qtbot, window, data)
    assert window.windowTitle() == "LoRA Studio — reviews.csv"
    assert window.dataset.text_combo.currentText() == "review"
    assert window.dataset.label_combo.currentText() == "sentiment"
    assert window.dataset.model.rowCount() == 120
    assert str(data) in window.settings.recent_files()

    use_model(window, tiny_bert, epochs=40, lr=0.005, batch=4)
    window.configure.small_data.setCurrentIndex(window.configure.small_data.findData("off"))  # epochs scored
    events = []
    window.trainer.event.connect(events.append)

    # run 1: stopped mid-way
    window.training.start_button.click()
    qtbot.waitUntil(lambda: any(isinstance(e, ev.StepProgress) for e in events), timeout=60000)
    assert window.training.stop_button.isEnabled()
    window.training.stop_button.click()
    qtbot.waitUntil(lambda: not window.trainer.busy, timeout=30000)
    assert "Stopped" in window.training.state_label.text()
    assert window.result is None and window.training.start_button.isEnabled()
    assert not any(isinstance(e, ev.Finished) and e.status == "completed" for e in events)

    # run 2: finishes
    events.clear()
    window.configure.epochs.setValue(2)
    window.configure.batch.setValue(16)
    window.training.start_button.click()
    qtbot.waitUntil(lambda: window.result is not None and not window.trainer.busy, timeout=120000)
    kinds = {type(e).__name__ for e in events}
    assert {"Started", "StepProgress", "Evaluated", "Finished"} <= kinds
    assert window.training.per_class.rowCount() == 2
    assert window.training.matrix.rowCount() == 2
    assert window.training.history.rowCount() == 1
    assert window.training.export_button.isEnabled()
    assert window.result.adapter_dir.parent == tmp_path / "runs"

    # the trained model is used for predictions
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    window.inference.text.setPlainText("the film was great and fun")
    qtbot.waitUntil(lambda: window.inference.verdict.text() != "–", timeout=10000)
    assert window.inference.verdict.text().split()[0] in {"neg", "pos"}

    # batch predictions, then export and reload
    window.batches.open_file(str(data))  # as Open file… does after its dialog
    qtbot.waitUntil(lambda: window.workspace.batch_input is not None and not window.tasks.busy, timeout=30000)
    window.inference.column.setCurrentText("review")
    window.inference.run_batch.click()  # the panel's intent, as a user starts it
    qtbot.waitUntil(lambda: window.batch_result is not None and not window.batch.busy, timeout=30000)
    assert "predicted_label" in window.batch_result.columns and len(window.batch_result) == 120
    assert window.inference.save_batch.isEnabled()

    target = tmp_path / "exported.zip"
    window.exports.export_adapter(str(target))
    qtbot.waitUntil(lambda: target.exists() and not window.tasks.busy, timeout=30000)
    window.workspace.classifier = None
    window.load_adapter(str(target))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    assert "exported.zip" in window.inference.adapter_info.text()
    assert window.classifier.labels == ("neg", "pos")


def test_bad_files_are_explained_and_lose_nothing(qtbot, window, tmp_path):
    good = _write_csv(tmp_path / "good.csv")
    _load(qtbot, window, good)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(bytes(range(256)) * 10)
    with qtbot.waitSignal(window.tasks.failed, timeout=10000) as blocker:
        window.open_dataset(str(bad))
    assert "binary file" in blocker.args[0]
    assert window.windowTitle() == "LoRA Studio — good.csv"  # the loaded data is kept
    assert window.dataset.model.rowCount() == 120 and not window.dataset.busy.isVisible()
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "binary file" in boxes[-1].text()
    for box in boxes:
        box.close()


def test_single_class_blocks_training_with_a_readable_message(qtbot, window, tmp_path, monkeypatch):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "\n".join(f"t{i},same" for i in range(20)))
    _load(qtbot, window, path)
    texts = [window.dataset.messages.item(i).text() for i in range(window.dataset.messages.count())]
    assert any("Only one class" in t for t in texts)
    assert not window.training.start_button.isEnabled()  # and the problem is named beside it, no pop-up
    assert "Only one class" in window.start_gate.label.text()
    window.start_training()
    assert not window.trainer.busy and "Only one class" in window.statusBar().currentMessage()


def test_closing_during_training_asks_then_stops(qtbot, window, tiny_bert, tmp_path, monkeypatch):
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    window.configure.add_model("tiny", str(tiny_bert), select=True)
    window.configure.epochs.setValue(100)
    window.configure.batch.setValue(2)
    events = []
    window.trainer.event.connect(events.append)
    window.training.start_button.click()
    qtbot.waitUntil(lambda: any(isinstance(e, ev.StepProgress) for e in events), timeout=60000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    window.close()
    assert asked and window.trainer.busy  # "No": keeps training
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.close()
    assert not window.trainer.busy
    assert window.settings.geometry() is not None


def test_settings_remember_the_configuration(qtbot, settings, tmp_path):
    from desktop_app.ui.main_window import MainWindow

    first = MainWindow(settings=settings, runs_dir=tmp_path)
    qtbot.addWidget(first)
    first.configure.epochs.setValue(7)
    first.close()
    second = MainWindow(settings=settings, runs_dir=tmp_path)
    qtbot.addWidget(second)
    assert second.configure.epochs.value() == 7
    second.close()


def test_window_paints_before_heavy_imports(tmp_path):
    """Constructing and showing the window imports no ML library; the warm-up thread does, afterwards."""
    import os
    import subprocess
    import sys

    code = ("import sys, time\nfrom pathlib import Path\nfrom PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\nstart = time.perf_counter()\n"
            "from desktop_app.ui.main_window import MainWindow\n"
            f"w = MainWindow(runs_dir=Path({str(tmp_path)!r}))\nw.show()\nw.repaint()\n"
            "print('shown', round(time.perf_counter() - start, 2))\n"
            "print('heavy:' + ','.join(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))\n"
            "while not w.warmed_up:\n    app.processEvents()\n    time.sleep(0.01)\n"
            "print('later:' + ','.join(m for m in ('torch', 'transformers') if m in sys.modules))\n"
            "for r in (w.trainer, w.tasks, w.batch, w.live, w.warm): r.shutdown()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert lines[1] == "heavy:"  # how long the first paint takes is measured in bench/bench_window.py
    assert lines[2] == "later:torch,transformers"


def test_damaged_adapter_is_explained(qtbot, window, tmp_path):
    folder = tmp_path / "broken-adapter"
    folder.mkdir()
    (folder / "manifest.json").write_text("{not json")
    with qtbot.waitSignal(window.tasks.failed, timeout=10000) as blocker:
        window.load_adapter(str(folder))
    assert "damaged" in blocker.args[0] and window.classifier is None
    boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "damaged" in boxes[-1].text()
    for box in boxes:
        box.close()


def test_earlier_runs_fill_the_history(qtbot, settings, tmp_path, trained_adapter):
    import shutil

    from desktop_app.ui.main_window import MainWindow

    runs = tmp_path / "runs"
    shutil.copytree(trained_adapter.adapter_dir, runs / "run-20260101-120000")
    (runs / "run-broken").mkdir()
    (runs / "run-broken" / "manifest.json").write_text("{")
    win = MainWindow(settings=settings, runs_dir=runs)
    qtbot.addWidget(win)
    assert win.training.history.rowCount() == 1
    assert win.training.history.item(0, 0).text() == "run-20260101-120000"
    win.close()


def test_panel_intents(qtbot):
    from PySide6.QtCore import QMimeData, QPoint, QUrl, Qt
    from PySide6.QtGui import QDropEvent

    from desktop_app.ui.panels.dataset_panel import DatasetPanel
    from desktop_app.ui.panels.training_panel import TrainingPanel

    training = TrainingPanel()
    qtbot.addWidget(training)
    with qtbot.waitSignal(training.start_requested, timeout=1000):
        training.start_button.click()
    dataset = DatasetPanel()
    qtbot.addWidget(dataset)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/data/reviews.csv")])
    drop = QDropEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(dataset.file_chosen, timeout=1000) as blocker:
        dataset.drop.dropEvent(drop)
    assert blocker.args == ["/data/reviews.csv"]


def test_download_choice_without_an_id_is_explained(qtbot, window, tmp_path, monkeypatch):
    from desktop_app.ui.panels.config_panel import HUB

    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    combo = window.configure.model_combo
    combo.setCurrentIndex(combo.findData(HUB))
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a: shown.append(a[2]))
    window.training.start_button.click()
    assert shown and "Hugging Face id" in shown[0]
    assert not window.trainer.busy and window.steps.currentRow() == 1


@pytest.mark.parametrize("accept", [True, False])
def test_export_over_a_folder_that_is_not_an_adapter_offers_another_name(qtbot, window, tmp_path, trained_adapter,
                                                                         monkeypatch, accept):
    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    offered = []
    monkeypatch.setattr("desktop_app.ui.dialogs.offer_other_name",
                        lambda parent, title, refusal, name: offered.append((refusal, name)) or accept)
    window.workspace.use_model(SimpleNamespace(path=trained_adapter.adapter_dir, manifest=None), "a run")
    window.exports.export_adapter(str(project))
    assert offered and "not a LoRA Studio adapter folder" in offered[0][0] and offered[0][1] == "project-2"
    if accept:
        qtbot.waitUntil(lambda: (tmp_path / "project-2" / "manifest.json").exists() and not window.tasks.busy,
                        timeout=30000)
    else:
        assert not window.tasks.busy and not (tmp_path / "project-2").exists()
    assert sorted(p.name for p in project.iterdir()) == ["notes.txt"]


def test_allow_downloading_trains_on_the_downloaded_model(qtbot, window, tiny_bert, tmp_path, monkeypatch):
    """The window's download path end to end, the hub replaced by a fake that hands over a local model."""
    import huggingface_hub

    from desktop_app.ui.panels.config_panel import HUB

    asked = []
    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda repo_id, **kw: asked.append(repo_id) or
                        str(tiny_bert))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    combo = window.configure.model_combo
    combo.setCurrentIndex(combo.findData(HUB))
    window.configure.hub_id.setText("someone/tiny-bert")
    window.configure.allow_download.setChecked(True)
    window.configure.epochs.setValue(1)
    window.training.start_button.click()
    qtbot.waitUntil(lambda: window.result is not None and not window.trainer.busy, timeout=120000)
    assert asked == ["someone/tiny-bert"]
    assert window.result.config.base_model == "someone/tiny-bert"


def test_live_prediction_latest_wins(qtbot, window):
    """A slow prediction for an older text never lands last: one waiting text, results for stale text dropped."""
    import threading

    from desktop_app.core.predict.inference import Prediction

    release, asked = threading.Event(), []

    class SlowClassifier:
        labels = ("a", "b")

        def predict(self, texts):
            asked.append(texts[0])
            if len(asked) == 1:
                release.wait(10)  # the first prediction is slow: the user keeps typing meanwhile
            return [Prediction(f"label of {texts[0]}", 0.9, {"a": 0.9, "b": 0.1})]

    window.workspace.classifier = SlowClassifier()
    box = window.inference.text
    for text in ("first", "second", "third"):
        box.blockSignals(True)
        box.setPlainText(text)
        box.blockSignals(False)
        window.predict_text([text])
    release.set()
    qtbot.waitUntil(lambda: asked == ["first", "third"] and not window.live.busy, timeout=10000)
    assert window.live_prediction.pending is None
    assert "label of third" in window.inference.verdict.text()


def test_closing_waits_for_a_job_that_does_not_stop_in_time(qtbot, window, monkeypatch):
    window.show()
    monkeypatch.setattr(window.tasks, "shutdown", lambda *a: False)  # a job that outlives the wait
    window.tasks.name = "reading data"
    window.close()
    assert window.isVisible() and "Waiting for reading data" in window.statusBar().currentMessage()
    monkeypatch.setattr(window.tasks, "shutdown", lambda *a: True)
    window.tasks.busy_changed.emit(False)  # the job ends: the window closes by itself
    assert not window.isVisible()


def test_a_validation_file_with_a_class_training_lacks_is_explained(qtbot, window, tiny_bert, tmp_path):
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    val = tmp_path / "val.csv"
    val.write_text("review,sentiment\ngood film,pos\nodd film,meh\n")
    window.dataset.set_validation_file(str(val))
    window.configure.add_model("tiny", str(tiny_bert), select=True)
    with qtbot.waitSignal(window.trainer.failed, timeout=60000) as blocker:
        window.training.start_button.click()
    assert "labels the training file lacks: meh" in blocker.args[0]
    assert window.result is None


def test_token_counts_use_the_chosen_base_models_tokenizer_and_limit(qtbot, window, tiny_bert, tmp_path):
    from desktop_app.core.model.base_models import embedded_model_dir
    from desktop_app.core.model.text import fast_token_counter

    data = tmp_path / "d.csv"  # words the tiny vocabulary lacks: one [UNK] there, many pieces in MiniLM's
    data.write_text("review,sentiment\n" + "".join(f"antidisestablishmentarianism flabbergasted {i},"
                                                    f"{'pos' if i % 2 else 'neg'}\n" for i in range(60)))
    window.configure.add_model("tiny", str(tiny_bert), select=True)
    _load(qtbot, window, data)
    assert window.data.model_limit == 128  # the tiny model's, not the built-in 512
    texts = window.data.examples.texts
    assert window.data.token_lengths == fast_token_counter(tiny_bert)(texts)
    assert window.data.token_lengths != fast_token_counter(embedded_model_dir())(texts)
