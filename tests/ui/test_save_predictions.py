"""Save predictions… (issue 21, item 3): the window asks before replacing a CSV and never writes over a file that
is not one (a workbook, a document), offering a free .csv name instead."""

import zipfile

import pandas as pd
from PySide6.QtWidgets import QFileDialog, QMessageBox

from desktop_app.ui import dialogs
from desktop_app.ui.state import FileId, Made, Stamped


def test_save_predictions_asks_before_replacing_and_never_replaces_what_is_not_csv(window, qtbot, tmp_path,
                                                                                     monkeypatch):
    source = tmp_path / "reviews.csv"
    source.write_text("text\ngreat film\n")
    window.workspace.open_batch_input(FileId.of(source), None)
    window.workspace.finish_batch(pd.DataFrame({"text": ["great film"], "predicted_label": ["pos"]}),
                                  Stamped(None, Made(FileId.of(source), None), "text"))
    chosen, answers, offers = {}, [], []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (chosen["path"], "CSV (*.csv)"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    monkeypatch.setattr(dialogs, "offer_other_name", lambda *a: offers.append(a[2]) or True)

    budget = tmp_path / "budget.xlsx"
    with zipfile.ZipFile(budget, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook>budget</workbook>")
    before = budget.read_bytes()
    chosen["path"] = str(budget)
    window.batches.save()
    qtbot.waitUntil(lambda: (tmp_path / "budget.csv").exists() and not window.tasks.busy, timeout=10000)
    assert budget.read_bytes() == before and "not a CSV file" in offers[0]  # a free name was offered and used

    earlier = tmp_path / "earlier.csv"
    earlier.write_text("my,earlier\n")
    chosen["path"] = str(earlier)
    answers.append(QMessageBox.StandardButton.No)
    window.batches.save()
    assert not answers and not window.tasks.busy and earlier.read_text() == "my,earlier\n"  # asked; kept
    answers.append(QMessageBox.StandardButton.Yes)
    window.batches.save()
    qtbot.waitUntil(lambda: earlier.read_text().startswith("text,") and not window.tasks.busy, timeout=10000)
