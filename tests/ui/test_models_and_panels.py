"""Table model (qtmodeltester), and panels emitting the right intents with the right values."""

import pandas as pd
import pytest
from PySide6.QtCore import Qt

from desktop_app.core.base import events as ev
from desktop_app.core.model.config import PRESETS, LoraSettings, TrainConfig
from desktop_app.ui.frame_model import FrameModel


def test_frame_model_passes_qtmodeltester(qtmodeltester):
    frame = pd.DataFrame({"text": ["a", None, "line\nbreak", "x" * 1000], "label": ["1", "2", "1", "2"]})
    model = FrameModel(frame)
    qtmodeltester.check(model)
    assert model.data(model.index(2, 0)) == "line ⏎ break"
    assert model.data(model.index(1, 0)) == ""
    assert model.data(model.index(3, 0)).endswith("…")
    assert model.headerData(0, Qt.Orientation.Horizontal) == "text"


def test_frame_model_is_virtual_for_200k_rows(qtbot):
    """Only visible rows are asked for (timings live in bench/bench_window.py, not in a test)."""
    from PySide6.QtWidgets import QTableView

    frame = pd.DataFrame({"text": [f"row {i}" for i in range(200_000)], "label": ["a", "b"] * 100_000})
    model = FrameModel()
    asked = set()
    real_data = model.data
    model.data = lambda index, role=Qt.ItemDataRole.DisplayRole: asked.add(index.row()) or real_data(index, role)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    model.set_frame(frame)
    view.show()
    view.scrollToBottom()
    qtbot.wait(10)
    assert model.rowCount() == 200_000
    assert len(asked) < 1000


def test_config_panel_round_trip_and_presets(qtbot):
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    cfg = TrainConfig(preset="thorough", lora=LoraSettings(r=8, alpha=16, targets="attention", layer_share=0.75),
                      epochs=5, learning_rate=0.0003, batch_size=8, max_length=128, class_weighting=True,
                      early_stopping_patience=3, seed=7, small_data="on", folds=7)
    panel.set_config(cfg)
    out = panel.config()
    assert out.lora == cfg.lora and out.epochs == 5 and out.learning_rate == 0.0003 and out.batch_size == 8
    assert out.max_length == 128 and out.class_weighting and out.early_stopping_patience == 3 and out.seed == 7
    assert out.small_data == "on" and out.folds == 7
    assert panel.small_data.currentText().startswith("On") and panel.folds.value() == 7
    panel.small_data.setCurrentIndex(panel.small_data.findData("off"))
    panel.folds.setValue(3)
    assert panel.config().small_data == "off" and panel.config().folds == 3
    assert not panel.folds.isEnabled()  # folds mean nothing on the usual path
    panel.apply_preset("quick")
    quick = panel.config()
    assert quick.preset == "quick" and quick.lora.targets == "attention" and quick.epochs == PRESETS["quick"].epochs
    assert quick.max_length is None and not panel.max_length.isEnabled()
    out.validate()  # raises ConfigError if the panel produced something out of range


def test_config_panel_devices_disabled_with_reason(qtbot):
    from desktop_app.core.model.devices import DeviceInfo
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.set_devices([DeviceInfo("cuda", "NVIDIA GPU", False, "this PyTorch is a CPU-only build"),
                       DeviceInfo("cpu", "CPU, 2 threads")])
    item = panel.device_combo.model().item(1)
    assert not item.isEnabled() and "CPU-only" in item.toolTip()
    assert "CPU-only build" in panel.device_note.toolTip() and "CPU, 2 threads" in panel.device_note.text()
    assert "CUDA" not in panel.device_note.text()  # the basic view says what is used; why not a GPU is a tooltip


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
    assert panel.length_info.text() == "Token lengths: median 20, 90% up to 20, 98% up to 400, longest 900."
    assert panel.length_histogram.marker == 24  # 98% of the texts have 20 tokens; rounded up to a multiple of 8
    panel.auto_length.setChecked(False)
    panel.max_length.setValue(128)
    assert panel.length_histogram.marker == 128
    panel.length_histogram.resize(300, 80)
    image = panel.length_histogram.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(colours) > 2  # bars and the marker were drawn, not an empty widget


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_configs = st.builds(
    TrainConfig,
    preset=st.sampled_from(["quick", "balanced", "thorough"]),
    lora=st.builds(LoraSettings, r=st.integers(1, 256), alpha=st.integers(1, 1024),
                   dropout=st.sampled_from([0.0, 0.05, 0.1, 0.5]),
                   targets=st.one_of(st.sampled_from(["all", "attention"]),
                                     st.lists(st.sampled_from(["query", "value", "key", "output.dense"]), min_size=1,
                                              max_size=3, unique=True).map(tuple)),
                   layer_share=st.sampled_from([0.25, 0.5, 0.75, 1.0])),
    epochs=st.sampled_from([None, 0.5, 1.0, 3.0, 12.5]),  # None: automatic
    learning_rate=st.sampled_from([None, 1e-4, 5e-4, 0.001, 0.02]),
    batch_size=st.integers(1, 1024), max_length=st.one_of(st.none(), st.integers(1, 1024).map(lambda n: 8 * n)),
    max_length_cap=st.sampled_from([64, 256, 512]), weight_decay=st.sampled_from([0.0, 0.01, 0.1]),
    model_dropout=st.sampled_from([None, 0.0, 0.1]), warmup=st.sampled_from([0.0, 0.06, 0.2]),
    class_weighting=st.booleans(), early_stopping_patience=st.integers(0, 20), min_steps=st.integers(0, 5000),
    validation_fraction=st.sampled_from([0.1, 0.15, 0.3]), test_fraction=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 2**32 - 1), device=st.sampled_from(["auto", "cpu"]),
    precision=st.sampled_from(["auto", "fp32", "bf16", "fp16"]), frozen_cache_mb=st.integers(0, 1_000_000),
    text_column=st.sampled_from([None, "review"]), label_column=st.sampled_from([None, "label"]),
    small_data=st.sampled_from(["auto", "on", "off"]), folds=st.integers(2, 10))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=_configs)
def test_config_panel_round_trips_every_field(qtbot, config):
    """set_config then config() gives back the same TrainConfig: shown fields through their widgets,
    hidden ones (min_steps, fractions, custom targets, columns, seeds above the spin box) kept."""
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.set_config(config)
    assert panel.config() == config


def test_config_panel_asks_the_core_for_the_chosen_models_layers(qtbot, tmp_path):
    import json

    from desktop_app.ui.panels.config_panel import ConfigPanel

    folder = tmp_path / "my-distilbert"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "distilbert"}))
    panel = ConfigPanel()
    qtbot.addWidget(panel)
    assert "(bert)" in panel.target_names.text() and "query" in panel.target_names.text()
    panel.add_model("my-distilbert", str(folder), select=True)
    assert "(distilbert)" in panel.target_names.text() and "q_lin" in panel.target_names.text()
    panel.set_config(TrainConfig(base_model=str(folder), lora=LoraSettings(targets=("q_lin", "v_lin"))))
    assert "from the configuration file" in panel.target_names.text()
    assert panel.config().lora.targets == ("q_lin", "v_lin")


@pytest.mark.parametrize("new_api", [True, False])
def test_mistakes_filter_on_both_qt_api_branches(qtbot, monkeypatch, new_api):
    """Clicking a confusion cell filters the mistakes; on Qt 6.10+ through begin/endFilterChange, on the
    6.6 floor through invalidateFilter (forced here; CI also runs the UI tests on 6.6 once)."""
    from PySide6.QtGui import QStandardItem

    from desktop_app.ui.panels import training_panel

    if new_api and not training_panel.HAS_FILTER_CHANGE:
        pytest.skip("this PySide6 predates beginFilterChange")
    monkeypatch.setattr(training_panel, "HAS_FILTER_CHANGE", new_api)
    panel = training_panel.TrainingPanel()
    qtbot.addWidget(panel)
    for true, predicted in (("neg", "pos"), ("pos", "neg"), ("neg", "pos")):
        panel.mistakes_model.appendRow([QStandardItem("t"), QStandardItem(true), QStandardItem(predicted),
                                        QStandardItem("0.9")])
    panel.filter_mistakes("neg", "pos")
    assert panel.mistakes_proxy.rowCount() == 2
    panel.filter_mistakes(None, None)
    assert panel.mistakes_proxy.rowCount() == 3


def test_configure_fields_ignore_the_wheel_unless_focused(qtbot):
    """Scrolling the page over Early stopping changed it silently; now the wheel scrolls the page instead."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.set_advanced(True)
    panel.show()
    qtbot.waitExposed(panel)

    def wheel(widget) -> None:
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(widget, event)

    for widget in (panel.patience, panel.folds, panel.small_data, panel.rank, panel.epochs):
        before = widget.value() if hasattr(widget, "value") else widget.currentIndex()
        panel.seed.setFocus()  # focus elsewhere
        wheel(widget)
        after = widget.value() if hasattr(widget, "value") else widget.currentIndex()
        assert after == before, widget
    panel.patience.setFocus()
    qtbot.waitUntil(panel.patience.hasFocus)
    before = panel.patience.value()
    wheel(panel.patience)
    assert panel.patience.value() == before + 1  # focused: the wheel works as usual


def test_configure_says_which_path_the_loaded_data_takes(qtbot):
    from desktop_app.core.data.small_data_plan import SmallDataPlan
    from desktop_app.ui.panels.config_panel import ConfigPanel

    panel = ConfigPanel()
    qtbot.addWidget(panel)
    assert "once a dataset is loaded" in panel.plan_note.text()
    panel.set_train_size(34)
    panel.set_plan(SmallDataPlan(True, 40, 2, 5, "40 examples: … by 5-fold cross-validation."))
    assert panel.plan_note.text() == "40 examples: … by 5-fold cross-validation."
    assert "6 models will train" in panel.epochs_note.text() and "fixed settings" in panel.epochs_note.text()
    panel.set_plan(SmallDataPlan(False, 1000, 2, 0, "1,000 examples: … holds 15% out …"))
    assert "holds 15% out" in panel.plan_note.text() and "will run" in panel.epochs_note.text()
    panel.set_plan(None)
    assert "once a dataset is loaded" in panel.plan_note.text()
