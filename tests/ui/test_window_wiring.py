"""The Train page's signals reach the main window: 'Stop and keep the best epoch' asks the runner to keep
the best epoch, a run opened from the history loads in Predict, and another dataset cleans the page."""

from __future__ import annotations


def test_stop_and_keep_best_reaches_the_runner(window, monkeypatch):
    calls = []
    monkeypatch.setattr(window.trainer, "cancel", lambda keep_best=False: calls.append(keep_best))
    window.training.stop_keep_best_requested.emit()
    window.training.stop_requested.emit()
    assert calls == [True, False]


def test_a_run_opened_from_the_history_loads_in_predict(window, monkeypatch):
    started = []
    monkeypatch.setattr(window.launcher, "run", lambda runner, what, job, *a, **k: started.append(what))
    window.training.history.open_requested.emit("/some/run")
    assert started == ["loading the adapter"]


def test_new_data_cleans_the_train_page(window, monkeypatch):
    resets = []
    monkeypatch.setattr(window.training, "reset", lambda *a: resets.append(a))
    window.datasets.changed.emit()
    assert resets == [()]


def test_deleting_the_run_in_use_turns_export_off_and_says_so_in_predict(window, trained_adapter, tmp_path,
                                                                          monkeypatch):
    """Seen by a fresh-eyes walk: after deleting the current run, Export stayed on and failed with advice
    meant for opening an adapter, and Predict still showed the run as if nothing had happened."""
    import shutil
    from types import SimpleNamespace

    from desktop_app.core.artifacts.manifest import read_manifest
    from desktop_app.ui.panels.history_panel import HistoryPanel

    run = tmp_path / "run-1"
    shutil.copytree(trained_adapter.adapter_dir, run)
    manifest = read_manifest(run)
    window.workspace.finish_run(SimpleNamespace(adapter_dir=run), None)
    window.use_model(SimpleNamespace(manifest=manifest, labels=tuple(manifest.labels), path=run),
                           "Trained just now", run)
    assert window.training.export_button.isEnabled() and window.export_action.isEnabled()
    history = window.training.history
    history.add_manifest("run-1", manifest, run)
    history.table.selectRow(0)
    asked = []
    monkeypatch.setattr(HistoryPanel, "confirm_delete", lambda self, r: asked.append(self.in_use) or True)
    history.delete_selected()
    assert asked == [str(run)] and not run.exists()
    assert not window.training.export_button.isEnabled() and not window.export_action.isEnabled()
    assert "deleted" in window.inference.adapter_info.text()


def test_configure_names_what_blocks_training(qtbot, window, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("text,label\n" + "\n".join(f"some text {i},same" for i in range(20)))
    window.open_dataset(str(path))
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=30000)
    page = window.step_pages[1]
    assert not page.next_button.isEnabled() and "class" in page.note.text()
    assert window.training.state_label.text() != "Ready: press Start training."
