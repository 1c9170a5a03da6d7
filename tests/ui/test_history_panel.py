"""Run history: the columns a user needs, two runs side by side, open in Predict, delete after asking."""

import shutil

from PySide6.QtCore import QItemSelectionModel

from desktop_app.core.artifacts.manifest import read_manifest
from desktop_app.core.artifacts.runs import RunInfo
from desktop_app.ui.panels.history_panel import COLUMNS, HistoryPanel


def _run(name, folder=None, **kw):
    base = dict(dataset="reviews.csv", date="2026-01-01 10:00", seconds=65.0, examples=1200, accuracy=0.9,
                macro_f1=0.88, preset="balanced", status="completed",
                settings={"epochs": 3, "lora.r": 8, "learning_rate": 0.0005}, epochs=3.0)
    return RunInfo(name, folder, **{**base, **kw})


def _select(panel, *rows):
    panel.table.clearSelection()
    for row in rows:
        panel.table.selectionModel().select(panel.table.model().index(row, 0),
                                            QItemSelectionModel.SelectionFlag.Select
                                            | QItemSelectionModel.SelectionFlag.Rows)


def test_history_shows_dataset_date_duration_examples_metrics_and_preset(qtbot):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.add_run(_run("run-1"))
    row = [panel.table.item(0, c).text() for c in range(len(COLUMNS))]
    assert row == ["run-1", "reviews.csv", "2026-01-01 10:00", "1:05", "1,200", "90.0%", "0.880", "balanced",
                   "finished"]


def test_compare_two_runs_side_by_side(qtbot):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.add_run(_run("run-1"))
    panel.add_run(_run("run-2", macro_f1=0.93, settings={"epochs": 6, "lora.r": 8, "learning_rate": 0.0005}))
    _select(panel, 0)
    assert not panel.compare_button.isEnabled()
    _select(panel, 0, 1)
    assert panel.compare_button.isEnabled()
    panel.compare_button.click()
    cells = {panel.compare_table.item(r, 0).text(): (panel.compare_table.item(r, 1).text(),
                                                     panel.compare_table.item(r, 2).text())
             for r in range(panel.compare_table.rowCount())}
    assert cells["Macro-F1"] == ("0.880", "0.930") and cells["Epochs"] == ("3", "6")  # the Configure page's words
    assert "LoRA rank (r)" not in cells and "1 setting differs;" in panel.compare_note.text()


def test_open_in_predict_and_delete_with_confirmation(qtbot, tmp_path, trained_adapter, monkeypatch):
    folder = tmp_path / "runs" / "run-1"
    shutil.copytree(trained_adapter.adapter_dir, folder)
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.add_manifest("run-1", read_manifest(folder), folder)
    _select(panel, 0)
    with qtbot.waitSignal(panel.open_requested, timeout=1000) as opened:
        panel.open_button.click()
    assert opened.args == [str(folder)]
    monkeypatch.setattr(panel, "confirm_delete", lambda run: False)
    panel.delete_button.click()
    assert folder.exists() and panel.table.rowCount() == 1
    monkeypatch.setattr(panel, "confirm_delete", lambda run: True)
    with qtbot.waitSignal(panel.deleted, timeout=1000):
        panel.delete_button.click()
    assert not folder.exists() and panel.table.rowCount() == 0


def test_the_outcome_is_a_column_and_compare_headers_start_blank(qtbot):
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.add_run(_run("run-1", status="stopped"))
    assert COLUMNS[-1] == "Outcome" and panel.item(0, len(COLUMNS) - 1).text() == "stopped by you (best epoch kept)"
    headers = [panel.compare_table.horizontalHeaderItem(i).text() for i in range(3)]
    assert headers == ["", "", ""]


def test_a_run_kept_at_an_earlier_epoch_says_so_and_its_note_is_shown(qtbot):
    note = "These are epoch 2.00's numbers, the best epoch and the one saved; the last epoch evaluated (2.50) scored 58%."
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.add_run(_run("run-1", status="stopped", epochs=2.5, kept_epoch=2.0, note=note))
    panel.add_run(_run("run-2", date="2026-01-02 10:00", epochs=4.0, kept_epoch=4.0))
    outcome = panel.item(1, len(COLUMNS) - 1)  # newest first
    assert outcome.text() == "stopped by you (best epoch kept); scores of epoch 2, the one kept"
    assert note in outcome.toolTip() and note in panel.item(1, COLUMNS.index("Accuracy")).toolTip()
    assert panel.item(0, len(COLUMNS) - 1).text() == "finished"  # its last epoch is the one kept: nothing to say
    _select(panel, 0, 1)
    panel.compare_button.click()
    cells = {panel.compare_table.item(r, 0).text(): panel.compare_table.item(r, 1) for r in
             range(panel.compare_table.rowCount())}
    assert cells["Epochs trained"].text() == "2.5 (kept 2)" and cells["Note"].toolTip() == note
