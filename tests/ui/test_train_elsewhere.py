"""Train elsewhere… in the window: a job folder from the loaded data and settings, the commands shown; an
adapter trained from a job on several processes opens in Predict and says where and how it was trained."""

from PySide6.QtWidgets import QMessageBox

from ui_data import load, write_csv


def test_train_elsewhere_writes_a_job_and_shows_the_commands(qtbot, window, tmp_path, monkeypatch):
    from desktop_app.core.artifacts.job import read_job

    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append((title, text)))
    with qtbot.waitSignal(window.training.elsewhere_requested, timeout=1000):
        window.training.elsewhere_button.click()  # no data yet: the problem is named, nothing written
    assert shown and "Load a dataset first" in shown[-1][1]
    load(qtbot, window, write_csv(tmp_path / "reviews.csv"))
    window.configure.epochs.setValue(4)

    assert window.exports.train_elsewhere(str(tmp_path / "job"), window.config_for_run())
    qtbot.waitUntil(lambda: not window.tasks.busy and len(shown) == 2, timeout=30000)
    job = read_job(tmp_path / "job")
    assert job.config.epochs == 4 and job.dataset == "reviews.csv"
    assert "lora-studio train --job . --out adapter" in shown[-1][1] and "torchrun" in shown[-1][1]


def test_predict_says_where_and_how_a_model_was_trained():
    from desktop_app.ui.panels.inference_panel import trained_where

    assert trained_where({"device": "NVIDIA H100, 80 GB", "world_size": 4, "effective_batch": 128}) == \
        " · Trained on NVIDIA H100, 80 GB × 4 processes (batch 128 per update)"
    assert trained_where({"device": "CPU, 2 threads", "world_size": 1}) == " · Trained on CPU, 2 threads"
    assert trained_where({}) == ""


def test_an_adapter_trained_on_several_processes_opens_in_predict(qtbot, window, trained_adapter, tmp_path):
    """The manifest of a torchrun run (world size 2, as tests/test_distributed.py writes) loads in the window."""
    import json
    import shutil

    folder = tmp_path / "from-the-cluster"
    shutil.copytree(trained_adapter.adapter_dir, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["training"].update(world_size=2, per_device_batch=16, effective_batch=32, examples_per_rank=[96, 96],
                                device="NVIDIA H100 80GB HBM3, 80 GB (bf16)")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    window.load_adapter(str(folder))
    qtbot.waitUntil(lambda: window.classifier is not None and not window.tasks.busy, timeout=30000)
    assert "× 2 processes (batch 32 per update)" in window.inference.adapter_info.text()
    assert window.steps.currentRow() == 3
