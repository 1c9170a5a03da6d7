"""The Dataset page's Encoding list (issue 21, item 8): a weak guess is said in the checks, the encodings that
could be right are offered first, and choosing one reads the file again in it; a wrong choice is a sentence
and the file read before stays."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication, QMessageBox

GB_TEXT = "text,label\n这部电影非常好看,好\n剧情很无聊,差\n"  # too short to be sure: cp949 or gb18030


def _load(qtbot, window, path, until):
    qtbot.waitUntil(lambda: window.data is not None and until() and not window.tasks.busy, timeout=30000)


def _choose(combo, name: str) -> None:
    index = combo.findData(name)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_a_weak_guess_is_said_and_another_encoding_can_be_chosen(qtbot, window, tmp_path):
    path = tmp_path / "zh.csv"
    path.write_bytes(GB_TEXT.encode("gb18030"))
    window.open_dataset(str(path))
    _load(qtbot, window, path, lambda: window.data_path == str(path))
    d, combo = window.dataset, window.dataset.encoding_combo
    assert window.data.table.encoding == "cp949" and combo.isEnabled()
    assert combo.currentText() == "Automatic (cp949)" and combo.currentData() == ""
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered[1] == "gb18030" and "could be right" in combo.itemText(1)  # the likely ones first
    checks = [d.messages.item(i).text() for i in range(d.messages.count())]
    assert any("is a guess" in c and "这部电影非常好看" in c for c in checks)
    shot = os.environ.get("ENCODING_SCREENSHOT")  # to look at the page: ENCODING_SCREENSHOT=/tmp/page.png
    if shot:
        d.grab().save(shot)

    _choose(combo, "gb18030")
    _load(qtbot, window, path, lambda: window.data.encoding == "gb18030")
    assert set(window.data.report.class_counts) == {"好", "差"}
    assert window.data.table.frame["text"].tolist() == ["这部电影非常好看", "剧情很无聊"]
    assert combo.currentData() == "gb18030" and "gb18030" in d.facts.text()
    checks = [d.messages.item(i).text() for i in range(d.messages.count())]
    assert not any("is a guess" in c for c in checks)

    _choose(combo, "utf-8")  # the bytes are not UTF-8: a sentence, and the file as read before stays
    qtbot.waitUntil(lambda: not window.tasks.busy and combo.currentData() == "gb18030", timeout=30000)
    assert window.data.encoding == "gb18030" and set(window.data.report.class_counts) == {"好", "差"}
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert "Line 2 cannot be read as utf-8" in box.text()
    box.close()

    _choose(combo, "")  # Automatic again
    _load(qtbot, window, path, lambda: window.data.encoding is None)
    assert combo.currentText() == "Automatic (cp949)"


def test_parquet_and_excel_have_no_encoding_to_choose(qtbot, window, tmp_path):
    import pandas as pd

    path = tmp_path / "d.parquet"
    pd.DataFrame({"text": [f"review {i}" for i in range(40)], "label": ["a", "b"] * 20}).to_parquet(path)
    window.open_dataset(str(path))
    _load(qtbot, window, path, lambda: window.data_path == str(path))
    assert not window.dataset.encoding_combo.isEnabled()
