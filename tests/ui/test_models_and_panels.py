"""Table model (qtmodeltester), and panels emitting the right intents with the right values."""

import pandas as pd
from PySide6.QtCore import Qt

from desktop_app.core import events as ev
from desktop_app.core.config import PRESETS, LoraSettings, TrainConfig
from desktop_app.ui.models.frame_model import FrameModel


def test_frame_model_passes_qtmodeltester(qtmodeltester):
    frame = pd.DataFrame({"text": ["a", None, "line\nbreak", "x" * 1000], "label": ["1", "2", "1", "2"]})
    model = FrameModel(frame)
    qtmodeltester.check(model)
    assert model.data(model.index(2, 0)) == "line ⏎ break"
    assert model.data(model.index(1, 0)) == ""
    assert model.data(model.index(3, 0)).endswith("…")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "text"


def test_frame_model_is_virtual_for_200k_rows(qtbot):
    from PySide6.QtWidgets import QTableView

    import time

    frame = pd.DataFrame({"text": [f"row {i}" for i in range(200_000)], "label": ["a", "b"] * 100_000})
    model = FrameModel()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    start = time.perf_counter()
    model.set_frame(frame)
    view.show()
    view.scrollToBottom()
    qtbot.wait(10)
    assert time.perf_counter() - start < 2.0
    assert model.rowCount() == 200_000


def test_config_panel_round_trip_and_presets(qtbot):
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    cfg = TrainConfig(preset="thorough", lora=LoraSettings(r=8, alpha=16, targets="attention", layer_share=0.75),
                      epochs=5, learning_rate=0.0003, batch_size=8, max_length=128, class_weighting=True,
                      early_stopping_patience=3, seed=7)
    panel.set_config(cfg)
    out = panel.config()
    assert out.lora == cfg.lora and out.epochs == 5 and out.learning_rate == 0.0003 and out.batch_size == 8
    assert out.max_length == 128 and out.class_weighting and out.early_stopping_patience == 3 and out.seed == 7
    panel.apply_preset("quick")
    quick = panel.config()
    assert quick.preset == "quick" and quick.lora.targets == "attention" and quick.epochs == PRESETS["quick"].epochs
    assert quick.max_length is None and not panel.max_length.isEnabled()
    assert out.validate()


def test_config_panel_devices_disabled_with_reason(qtbot):
    from desktop_app.core.devices import DeviceInfo
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.set_devices([DeviceInfo("cuda", "NVIDIA GPU", False, "this PyTorch is a CPU-only build"),
                       DeviceInfo("cpu", "CPU, 2 threads")])
    item = panel.device_combo.model().item(1)
    assert not item.isEnabled() and "CPU-only" in item.toolTip()
    assert "CPU-only build" in panel.device_note.text() and "CPU, 2 threads" in panel.device_note.text()


def test_inference_panel_debounces_predict_intent(qtbot):
    from desktop_app.ui.panels.inference_panel import InferencePanel

    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.set_model_ready(True)
    with qtbot.waitSignal(panel.predict_requested, timeout=2000) as blocker:
        panel.text.setPlainText("great")
        panel.text.setPlainText("great film")
    assert blocker.args == [["great film"]]


def test_training_panel_draws_progress(qtbot):
    from desktop_app.ui.panels.training_panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_running(True)
    panel.on_event(ev.Started(10, 2, 80, 20, ("a", "b"), "CPU", 32, 16))
    panel.on_event(ev.StepProgress(5, 10, 1.0, 0.5, 1e-3, 10.0, 10.0, 8.0))
    panel.on_event(ev.Evaluated(5, 1.0, 0.4, 0.8, 0.79, True))
    assert panel.progress.value() == 5 and panel.progress.maximum() == 10
    assert "Remaining 0:10" in panel.stats.text()
    assert panel.loss_chart.series["loss"] == [(5.0, 0.5)]
    assert panel.metric_chart.series["macro-F1"] == [(1.0, 0.79)]
    assert "best so far" in panel.log.toPlainText()
    assert panel.stop_button.isEnabled() and not panel.start_button.isEnabled()


def test_config_panel_shows_token_length_distribution(qtbot):
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    lengths = [20] * 98 + [400, 900]
    panel.set_token_lengths(lengths)
    assert panel.length_histogram.values == lengths
    assert panel.length_info.text() == "Token lengths: median 20, 90% under 20, 98% under 400, longest 900."
    assert panel.length_histogram.marker == 24  # 98% of the texts have 20 tokens; rounded up to a multiple of 8
    panel.auto_length.setChecked(False)
    panel.max_length.setValue(128)
    assert panel.length_histogram.marker == 128
    assert panel.length_histogram.grab().width() > 0
