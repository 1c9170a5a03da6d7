"""Issue 23, item 2: what Configure and the Train header claim is computed from the data and the run: the
length's coverage, the epochs that will run (with a one-click "run exactly N"), the learning rate in use and
the CPU threads training really has."""

from desktop_app.core.base import events as ev
from desktop_app.core.model.config import PRESETS
from desktop_app.core.train.objectives import for_task
from desktop_app.core.train.preparation import ensure_min_steps
from desktop_app.ui.panels.config_panel import ConfigPanel


def _panel(qtbot, preset="balanced"):
    panel = ConfigPanel()
    qtbot.addWidget(panel)
    panel.set_config(PRESETS[preset])
    return panel


def test_the_coverage_sentence_counts_the_texts_the_capped_length_reads_whole(qtbot):
    panel = _panel(qtbot)
    panel.set_token_lengths([100] * 61 + [400] * 39, 512)  # 39% longer than Balanced's cap of 256
    note = panel.length_note.text()
    assert "<b>256 tokens will be used</b>, the most the Balanced preset allows: 61% of your texts fit whole" in note
    assert "98%" not in note and panel.max_length.value() == 256
    quick = _panel(qtbot, "quick")
    quick.set_token_lengths([100] * 30 + [163] * 40 + [300] * 30, 512)  # median 163, Quick's cap 128
    assert "<b>128 tokens will be used</b>, the most the Quick preset allows: 30% of your texts" in quick.length_note.text()
    panel.set_token_lengths([20] * 50 + [40] * 50, 512)  # the texts decide, not the cap
    assert panel.length_note.text().startswith("<b>40 tokens will be used</b>: all of your texts fit whole")
    panel.set_token_lengths([100] * 61 + [400] * 39, 128)  # a model that reads 128 tokens at most
    assert "128 tokens will be used</b>, the most this model reads: 61%" in panel.length_note.text()
    panel.auto_length.setChecked(False)
    panel.max_length.setValue(400)
    assert "<b>128 tokens will be used</b>: 61% of your texts fit whole" in panel.length_note.text()


def test_the_lengths_are_the_dataset_pages_own_counts(tmp_path, monkeypatch):
    """Configure's lengths are the very counts the Dataset page's report made (one count, every row)."""
    from desktop_app.core.model import text
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.ui.jobs import load_data_job

    calls = []

    def count(texts):
        calls.append(len(texts))
        return [len(t.split()) + 2 for t in texts]
    monkeypatch.setattr(text, "token_counting", lambda base_model=None: (count, 512))
    rows = ["text,label"] + [f"text {i} {'word ' * (5 if i % 3 else 400)},{'ab'[i % 2]}" for i in range(60)]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    loaded = load_data_job(str(tmp_path / "d.csv"), None, None, TrainConfig())(lambda e: None, None)
    assert calls == [60] and len(loaded.token_lengths) == loaded.report.rows_usable == 60
    assert sum(n > 256 for n in loaded.token_lengths) == 20
    # the report judges no length: the texts cut depend on the length the run uses (test_numbers_agree.py)
    assert not loaded.report.long_texts and not any("longer than" in w for w in loaded.report.warnings)


def test_run_exactly_n_is_one_click_and_the_window_and_cli_agree(qtbot):
    panel = _panel(qtbot)
    panel.batch.setValue(32)
    panel.set_train_size(300)  # 10 updates per epoch: automatic runs 12
    assert panel.config().epochs is None and panel.epochs.value() == 12
    assert 'href="exact">Run exactly 3</a>' in panel.epochs_note.text()
    panel.epochs_note.linkActivated.emit("exact")
    config = panel.config()
    assert config.epochs == 3 and not panel.auto_epochs.isChecked()
    assert ensure_min_steps(config, 300, lambda e: None).epochs == 3  # what the CLI's --epochs 3 runs too
    assert "<b>Exactly 3 will run</b>: 30 updates" in panel.epochs_note.text()
    assert '<a href="auto">automatic</a> would run 12' in panel.epochs_note.text()
    panel.epochs_note.linkActivated.emit("auto")
    assert panel.config().epochs is None and panel.epochs.value() == 12
    panel.epochs.setValue(5)  # a number typed over the automatic one is taken exactly
    assert panel.config().epochs == 5 and "<b>Exactly 5 will run</b>" in panel.epochs_note.text()
    panel.set_train_size(5000)
    assert panel.epochs_note.text().startswith("<b>5 will run</b>, as set: 157 updates per epoch")


def test_the_learning_rate_shown_is_the_one_used(qtbot):
    panel = _panel(qtbot)
    assert panel.config().learning_rate is None and panel.lr.value() == 0.0005
    panel.set_labels_per_text(True)  # the data has several labels per text: the automatic rate doubles
    assert panel.lr.value() == 0.001 and panel.config().learning_rate is None
    assert "2× for several labels per text" in panel.lr_note.text()
    assert for_task(panel.config(), True, lambda e: None).learning_rate == 0.001  # what training will use
    panel.lr.setValue(0.0005)  # the preset's own value, typed: used exactly, not doubled
    typed = panel.config()
    assert typed.learning_rate == 0.0005 and for_task(typed, True, lambda e: None).learning_rate == 0.0005
    assert panel.lr_note.text() == ""


def test_the_header_names_the_threads_in_use_and_follows_changes(qtbot):
    from desktop_app.ui.panels.training_panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_running(True)
    panel.on_event(ev.Started(132, 3, 80, 20, ("neg", "pos"), "CPU, 2 threads", 32, 16))
    panel.on_event(ev.ThreadsChanged(1))
    assert panel.state_label.text() == "Training on CPU, 1 thread: 80 examples, 2 classes, max length 32."
    panel.on_event(ev.ThreadsChanged(2))
    assert panel.state_label.text().startswith("Training on CPU, 2 threads: 80 examples")
