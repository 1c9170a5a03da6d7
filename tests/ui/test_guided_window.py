"""Issue 11: a first-time user finishes without help (guided Next buttons, a basic Configure view, an estimate
that runs by itself, honest numbers, Start gated by the data, settings locked while training, one Open dialog
for adapters, a single data folder, Getting started)."""

import time
from types import SimpleNamespace

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QLineEdit, QSpinBox

from desktop_app.ui import jobs


from ui_data import load as _load  # noqa: E402
from ui_data import write_csv as _write_csv  # noqa: E402


def _fake_estimates(monkeypatch, seconds=0.0):
    """estimate_job replaced by one that records its config, waits `seconds` (checking cancel) and answers."""
    started, cancelled = [], []

    def estimate_job(config, texts, labels=None):
        def job(emit, cancel):
            from desktop_app.core.base.events import checkpoint

            started.append(config)
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                if cancel.cancelled:
                    cancelled.append(config)
                checkpoint(cancel)
                time.sleep(0.01)
            return {"seconds_per_epoch": 10.0, "total_seconds": 10.0 * config.epochs, "epochs": config.epochs,
                    "device": "CPU", "max_length": 64, "precision": "fp32"}
        return job
    monkeypatch.setattr(jobs, "estimate_job", estimate_job)
    return started, cancelled


def test_dataset_page_offers_the_sample_and_each_step_has_a_next_button(qtbot, window, monkeypatch):
    _fake_estimates(monkeypatch)
    started = []
    monkeypatch.setattr(window, "start_training", lambda: started.append(True))
    texts = [page.next_button.text() for page in window.step_pages]
    assert texts[:3] == ["Next: Configure ›", "Start training ›", "Next: Predict ›"]
    assert not window.step_pages[0].next_button.isEnabled()  # nothing loaded yet
    assert not window.step_pages[1].next_button.isEnabled()
    assert window.dataset.sample_button.isVisible()
    window.dataset.sample_button.click()
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=30000)
    assert window.windowTitle().endswith("sample_reviews.csv")
    assert window.step_pages[0].next_button.isEnabled()
    window.step_pages[0].next_button.click()
    assert window.steps.currentRow() == 1
    window.step_pages[1].next_button.click()  # configured: the Train page opens and training starts
    assert window.steps.currentRow() == 2 and started == [True]
    assert not window.step_pages[2].next_button.isEnabled()  # no model yet, and the note says so
    assert "once a model is trained" in window.step_pages[2].note.text()


def test_configure_shows_a_basic_view_and_every_field_explains_itself(qtbot):
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    for name in ("model_combo", "preset_combo", "device_combo", "epochs", "class_weighting", "estimate_label"):
        assert getattr(panel, name).isVisible(), name
    advanced = ("rank", "alpha", "lora_dropout", "layer_share", "patience", "seed", "precision", "frozen_cache",
                "max_length", "lr", "batch")
    assert not any(getattr(panel, name).isVisible() for name in advanced)
    panel.advanced_toggle.click()
    assert all(getattr(panel, name).isVisible() for name in advanced)
    fields = [w for t in (QComboBox, QSpinBox, QDoubleSpinBox, QCheckBox, QLineEdit) for w in panel.findChildren(t)
              if not isinstance(w.parent(), (QSpinBox, QDoubleSpinBox, QComboBox))]
    assert fields and all(w.toolTip().strip() for w in fields), [w.objectName() or w for w in fields
                                                               if not w.toolTip().strip()]


def test_shown_numbers_are_the_ones_that_will_be_used(qtbot):
    from desktop_app.core.model.config import PRESETS
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.batch.setValue(32)
    panel.set_train_size(300)  # 10 updates per epoch: 12 epochs reach the ~120-update minimum
    note = panel.epochs_note.text()
    assert "<b>12 will run</b> (automatic): the Balanced preset's 3" in note and "120 updates" in note
    assert panel.epochs.value() == 12 and panel.config().epochs is None  # the box shows what will run
    assert "stops when it no longer improves" in note  # the default preset stops early
    panel.set_config(PRESETS["quick"])  # no early stopping there: not promised
    assert "keeps the best epoch." in panel.epochs_note.text() and "stops" not in panel.epochs_note.text()
    panel.set_config(PRESETS["balanced"])
    panel.batch.setValue(32)
    panel.set_train_size(5000)
    assert "3 will run" in panel.epochs_note.text()
    assert panel.auto_length.isChecked() and not panel.max_length.isEnabled()
    panel.set_token_lengths([20] * 50 + [40] * 50, 512)
    assert panel.max_length.value() == 40  # the derived length, not the cap of 256
    assert "40 tokens will be used" in panel.length_note.text()
    assert panel.config().max_length is None  # still automatic


def test_the_estimate_runs_by_itself_and_the_latest_settings_win(qtbot, window, tmp_path, monkeypatch):
    started, cancelled = _fake_estimates(monkeypatch, seconds=1.0)
    window.estimate.timer.setInterval(50)
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    qtbot.waitUntil(lambda: len(started) == 1, timeout=10000)
    window.configure.epochs.setValue(5)  # while the first estimate runs: it is cancelled, the new one wins
    qtbot.waitUntil(lambda: "per epoch" in window.configure.estimate_label.text() and not window.estimator.busy,
                    timeout=10000)
    assert started[-1].epochs == 5 and cancelled and cancelled[0].epochs is None  # the first: automatic
    assert "5 epochs" in window.configure.estimate_label.text()


def test_a_closed_window_starts_no_job_when_its_timers_fire(qtbot, window, tmp_path, monkeypatch):
    """The estimate's debounce (and any queued single-shot) firing after close starts no thread: a thread still
    running when the closed window is deleted makes Qt abort the whole process (seen in a full test run)."""
    started, _ = _fake_estimates(monkeypatch, seconds=1.0)
    window.estimate.timer.setInterval(300)
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    assert window.estimate.timer.isActive() and not started
    window.close()
    qtbot.wait(600)  # the debounce fires on the closed window
    assert not started and not any(r.busy for r in window.runners)


def test_the_estimate_is_not_clipped_at_the_default_size(qtbot, window):
    window.resize(1200, 780)
    window.steps.setCurrentRow(1)
    window.configure.set_estimate("Time: about <b>1 min 05 s</b> per epoch, <b>6 min 30 s</b> in all for up to "
                                  "6 epochs on Intel Xeon Platinum 8480C CPU (bf16, max length 128).")
    qtbot.wait(50)
    label = window.configure.estimate_label
    assert label.wordWrap() and label.height() >= label.heightForWidth(label.width())
    right = label.mapTo(window, label.rect().topRight()).x()
    assert right <= window.width()


def test_start_is_disabled_and_names_the_blocking_problem(qtbot, window, tmp_path):
    assert not window.training.start_button.isEnabled()
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "\n".join(f"t{i},same" for i in range(20)))
    _load(qtbot, window, path)
    assert not window.training.start_button.isEnabled()
    assert "Only one class" in window.start_gate.label.text()
    assert not window.step_pages[0].next_button.isEnabled() and "Only one class" in window.step_pages[0].note.text()
    _load(qtbot, window, _write_csv(tmp_path / "good.csv"))
    assert window.training.start_button.isEnabled() and not window.start_gate.label.text()


def test_settings_are_locked_while_training_runs(qtbot, window, tmp_path, monkeypatch):
    _fake_estimates(monkeypatch)

    def train_job(config, examples, validation_path, out_dir):
        def job(emit, cancel):
            while not cancel.cancelled:
                time.sleep(0.01)
            return SimpleNamespace(status="cancelled")
        return job
    monkeypatch.setattr(jobs, "train_job", train_job)
    _load(qtbot, window, _write_csv(tmp_path / "d.csv"))
    window.training.start_button.click()
    qtbot.waitUntil(lambda: window.trainer.busy, timeout=5000)
    assert not window.configure.epochs.isEnabled() and not window.configure.model_combo.isEnabled()
    assert window.configure.lock_note.isVisibleTo(window.configure)
    window.training.stop_button.click()
    qtbot.waitUntil(lambda: not window.trainer.busy, timeout=5000)
    assert window.configure.epochs.isEnabled() and not window.configure.lock_note.isVisibleTo(window.configure)
    assert window.training.start_button.isEnabled()


def test_one_open_dialog_takes_a_zip_or_an_adapter_folder(qtbot, window, trained_adapter, monkeypatch):
    loaded = []
    monkeypatch.setattr(window, "load_adapter", loaded.append)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    manifest = str(trained_adapter.adapter_dir / "manifest.json")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (manifest, "LoRA Studio adapter"))
    window.load_adapter_dialog()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("/x/my-classifier.zip", ""))
    window.load_adapter_dialog()
    assert loaded == [str(trained_adapter.adapter_dir), "/x/my-classifier.zip"]


def test_dropping_an_adapter_folder_opens_it_in_predict(qtbot, window, trained_adapter):
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(trained_adapter.adapter_dir))])
    drop = QDropEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=60000)
    assert window.steps.currentRow() == 3


def test_the_runs_folder_is_not_doubled(qtbot, qapp, settings, tmp_path, monkeypatch):
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.places import default_runs_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    names = qapp.organizationName(), qapp.applicationName()
    qapp.setOrganizationName("LoRA Studio")
    qapp.setApplicationName("LoRA Studio")
    try:
        win = MainWindow(settings=settings)
        qtbot.addWidget(win)
        assert win.runs_dir == tmp_path / "share" / "LoRA Studio" / "runs"
        win.close()
    finally:
        qapp.setOrganizationName(names[0])
        qapp.setApplicationName(names[1])
    old = tmp_path / "old" / "LoRA Studio" / "LoRA Studio" / "runs" / "run-1"
    old.mkdir(parents=True)
    assert default_runs_dir(tmp_path / "old") == tmp_path / "old" / "LoRA Studio" / "runs"
    assert (tmp_path / "old" / "LoRA Studio" / "runs" / "run-1").is_dir()  # earlier runs moved, not lost


def test_help_has_getting_started_next_to_about_and_the_log_folder(qtbot, window):
    from PySide6.QtWidgets import QMenu, QTextBrowser

    help_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&Help")
    items = [a.text() for a in help_menu.actions() if a.text()]
    assert items == ["&Getting started", "Open &log folder", "&About LoRA Studio"]
    help_menu.actions()[0].trigger()
    assert window.help_dialog.isVisible()
    text = window.help_dialog.findChild(QTextBrowser).toPlainText()
    assert "Dataset" in text and "Macro-F1" in text and "LoRA (low-rank adaptation)" in text
    from desktop_app.core.model.config import PRESETS  # the page names the presets and buttons the window has

    assert all(name.capitalize() in text for name in PRESETS) and "Start training" in text and "Fast" not in text
    window.help_dialog.close()
