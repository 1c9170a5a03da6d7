"""Issue 22: the window shows and saves only what belongs to what is on screen. Each test reproduces a way the
window used to hand over the wrong result (they failed before ui/state.py), then the Workspace alone, without a
window, and the rule that no ui module touches another object's private members."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from desktop_app.ui.state import FileId, Made, ModelId, Workspace


def _csv(path: Path, rows: int) -> Path:
    pd.DataFrame({"review": [f"the film number {i} was {'great' if i % 2 else 'awful'}" for i in range(rows)],
                  "label": ["pos" if i % 2 else "neg" for i in range(rows)]}).to_csv(path, index=False)
    return path


def _load_model(qtbot, window, folder) -> None:
    window.load_adapter(str(folder))
    qtbot.waitUntil(lambda: window.classifier is not None and window.classifier.path == Path(folder)
                    and not window.tasks.busy, timeout=30000)


def _open_batch(qtbot, window, path: Path) -> None:
    window.batches.open_file(str(path))
    qtbot.waitUntil(lambda: window.workspace.batch_input is not None and not window.tasks.busy
                    and window.workspace.batch_input.made.data.path == str(path), timeout=30000)


def _classify(qtbot, window) -> None:
    window.inference.column.setCurrentText("review")
    window.inference.run_batch.click()
    qtbot.waitUntil(lambda: window.batch_result is not None and not window.batch.busy, timeout=30000)


def test_another_file_to_classify_hides_and_never_saves_the_previous_files_predictions(
        qtbot, window, trained_adapter, tmp_path, monkeypatch):
    """Open a 974-row file, Classify, open a 5-row file, Save: the page named the 5-row file, the preview still
    listed 974 rows, Save was enabled, and the saved file held the 974 rows' predictions."""
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    _open_batch(qtbot, window, _csv(tmp_path / "big.csv", 974))
    _classify(qtbot, window)
    assert window.inference.preview_model.rowCount() == 974 and window.inference.save_batch.isEnabled()
    bar = window.inference.batch_progress
    assert bar.value() == bar.maximum() == 974  # a finished batch reads 100%, not 0%

    _open_batch(qtbot, window, _csv(tmp_path / "small.csv", 5))
    assert window.inference.batch_file.text() == "small.csv"
    assert window.inference.preview_model.rowCount() == 0 and not window.inference.save_batch.isEnabled()
    assert window.batch_result is None and window.inference.batch_summary.text() == ""
    saved = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: saved.append(a) or ("", ""))
    window.batches.save()  # a late click: nothing is asked, nothing written
    assert saved == []

    _classify(qtbot, window)
    assert len(window.batch_result) == 5 and window.inference.preview_model.rowCount() == 5
    target = tmp_path / "out.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "CSV (*.csv)"))
    window.batches.save()
    qtbot.waitUntil(lambda: target.exists() and not window.tasks.busy, timeout=10000)
    assert len(pd.read_csv(target)) == 5


def test_predictions_arriving_after_the_file_changed_are_dropped(qtbot, window, trained_adapter, tmp_path,
                                                                 monkeypatch):
    """A batch still running when another file is opened: its rows are not the new file's, so they are dropped."""
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    _open_batch(qtbot, window, _csv(tmp_path / "first.csv", 40))
    finished = []
    monkeypatch.setattr(window.launcher, "run", lambda runner, name, job, done, failed=None:
                        finished.append(done) or True)
    window.batches.classify("review")
    assert len(finished) == 1  # started, not finished yet
    monkeypatch.undo()
    window.workspace.set_batch_running(False)
    _open_batch(qtbot, window, _csv(tmp_path / "second.csv", 3))
    finished[0](pd.DataFrame({"review": ["x"] * 40, "predicted_label": ["pos"] * 40}))  # the late result
    assert window.batch_result is None and window.inference.preview_model.rowCount() == 0
    assert "dropped" in window.statusBar().currentMessage()


def test_another_model_clears_the_previous_models_batch_summary(qtbot, window, trained_adapter, bf16_adapter,
                                                                 tmp_path):
    """After opening another adapter, the previous model's batch summary (accuracy, a matrix) stayed."""
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    _open_batch(qtbot, window, _csv(tmp_path / "labelled.csv", 30))
    _classify(qtbot, window)
    assert "ccuracy" in window.inference.batch_summary.text()
    _load_model(qtbot, window, bf16_adapter.adapter_dir)
    assert window.inference.batch_summary.text() == "" and window.inference.batch_matrix.isHidden()
    assert window.inference.preview_model.rowCount() == 0 and not window.inference.save_batch.isEnabled()
    assert window.inference.run_batch.isEnabled()  # the same file can be classified by the new model


def test_a_cancelled_batch_leaves_no_earlier_rows(qtbot, window, trained_adapter, tmp_path, monkeypatch):
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    _open_batch(qtbot, window, _csv(tmp_path / "f.csv", 20))
    _classify(qtbot, window)
    finished = []
    monkeypatch.setattr(window.launcher, "run", lambda runner, name, job, done, failed=None:
                        finished.append(done) or True)
    window.batches.classify("review")
    finished[0](None)  # the job's answer when it was cancelled
    assert window.inference.preview_model.rowCount() == 0 and not window.inference.save_batch.isEnabled()
    assert window.batch_result is None


def test_next_predict_is_off_during_training_and_says_why(window):
    window.workspace.use_model(SimpleNamespace(path="/nowhere", manifest=None), "an older model")
    assert window.step_pages[2].next_button.isEnabled()
    window.workspace.set_training(True)
    assert not window.step_pages[2].next_button.isEnabled()
    assert "Training is running" in window.step_pages[2].note.text()
    window.workspace.set_training(False)
    assert window.step_pages[2].next_button.isEnabled()


def test_export_follows_the_model_in_use_after_a_restart(qtbot, window, trained_adapter):
    """After a restart (no run on the Train page) with a model opened in Predict, Export was disabled."""
    assert not window.training.export_button.isEnabled()
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    assert window.training.export_button.isEnabled() and window.export_action.isEnabled()
    assert window.workspace.export_source() == str(trained_adapter.adapter_dir)


def test_opening_a_dataset_from_predict_shows_the_dataset_step(qtbot, window, tmp_path, monkeypatch):
    window.steps.setCurrentRow(3)
    path = _csv(tmp_path / "reviews.csv", 40)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    next(a for a in window.findChildren(QAction) if a.text() == "&Open dataset…").trigger()  # File › Open dataset…
    qtbot.waitUntil(lambda: window.data is not None and not window.tasks.busy, timeout=30000)
    assert window.steps.currentRow() == 0 and "reviews.csv" in window.windowTitle()


def test_a_live_prediction_of_the_previous_model_is_not_shown_under_the_new_one(window, monkeypatch):
    """The text box is predicted again by the model now in use; the old model's late answer is dropped."""
    from desktop_app.core.predict.inference import Prediction

    started = []
    monkeypatch.setattr(window.launcher, "run", lambda runner, name, job, done, failed=None:
                        started.append(done) or True)
    box = window.inference.text
    box.blockSignals(True)
    box.setPlainText("a text")
    box.blockSignals(False)
    window.workspace.use_model(SimpleNamespace(path="/old", manifest=None), "old")
    window.predict_text(["a text"])
    window.workspace.use_model(SimpleNamespace(path="/new", manifest=None), "new")
    window.live_prediction.pending = ["a text"]  # the new model's request, waiting while the old one runs
    started[0]((Prediction("from the old model", 0.9, {"from the old model": 0.9, "b": 0.1}), None))
    assert "old model" not in window.inference.verdict.text()
    assert len(started) == 2  # asked again, of the model in use
    started[1]((Prediction("from the new model", 0.8, {"from the new model": 0.8, "b": 0.2}), None))
    assert "new model" in window.inference.verdict.text()


def test_loading_another_model_predicts_the_typed_text_with_it(qtbot, window, trained_adapter, bf16_adapter,
                                                               monkeypatch):
    """Loading B predicted the typed text with A (the page asked before B was in use) and showed A's answer."""
    from desktop_app.ui import jobs

    used, real = [], jobs.live_job
    monkeypatch.setattr(jobs, "live_job", lambda classifier, texts: used.append(classifier.path) or
                        real(classifier, texts))
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    window.inference.text.setPlainText("the film was great")
    qtbot.waitUntil(lambda: window.inference.verdict.text() != "–" and not window.live.busy, timeout=30000)
    _load_model(qtbot, window, bf16_adapter.adapter_dir)
    qtbot.waitUntil(lambda: not window.live.busy and used[-1] == Path(bf16_adapter.adapter_dir), timeout=30000)
    assert used[-1] == Path(bf16_adapter.adapter_dir)


def test_a_trained_model_waits_for_a_busy_runner_and_predict_never_leads_to_the_previous_one(
        qtbot, window, trained_adapter, bf16_adapter):
    """Training ended while another task held the runner: its model was never put in use, and Predict kept the
    previous model. Now Predict waits ("Preparing…") and the model comes once the runner is free."""
    import threading

    _load_model(qtbot, window, bf16_adapter.adapter_dir)
    gate = threading.Event()
    window.launcher.run(window.tasks, "something else", lambda emit, cancel: gate.wait(20))
    window.workspace.finish_run(trained_adapter, None)
    window._use_trained(trained_adapter)
    assert not window.step_pages[2].next_button.isEnabled()
    assert "Preparing" in window.step_pages[2].note.text()
    gate.set()
    qtbot.waitUntil(lambda: window.classifier.path == Path(trained_adapter.adapter_dir) and not window.tasks.busy,
                    timeout=30000)
    assert window.step_pages[2].next_button.isEnabled()


def test_each_export_names_its_model(tmp_path):
    """The Train page's Export copies the run it shows (never another model once that run is deleted); File ›
    Export copies the model in use. A new run hides the last one: after a Stop the page shows no run."""
    run, other = tmp_path / "run", tmp_path / "other"
    run.mkdir()
    other.mkdir()
    ws = Workspace()
    ws.finish_run(SimpleNamespace(adapter_dir=run), None)
    ws.use_model(SimpleNamespace(path=other, manifest=None), "other")
    assert ws.export_source("run") == str(run) and ws.export_source("model") == str(other)
    ws.run_deleted(str(run))
    assert ws.export_source("run") is None and not ws.rules().can_export
    assert ws.export_source("model") == str(other)
    ws.set_training(True)
    assert ws.rules().can_export_model and not ws.rules().can_export  # the model in use is shared meanwhile
    assert ws.run is None
    ws.set_training(False)  # stopped: no run shown; the page's Export falls to the model in use
    assert ws.export_source("run") == str(other)


def test_a_run_finishing_after_other_data_was_opened_says_which_file_it_describes(qtbot, window, tmp_path,
                                                                                  monkeypatch):
    import threading

    from desktop_app.core.base.events import Cancelled
    from desktop_app.ui import jobs
    from test_training_panel import _result  # noqa: E402
    from ui_data import load, write_csv  # noqa: E402

    gate = threading.Event()

    def train_job(config, examples, validation_path, out_dir):
        return lambda emit, cancel: gate.wait(20) and _result()
    monkeypatch.setattr(jobs, "train_job", train_job)
    def no_model(result):
        def job(emit, cancel):
            raise Cancelled()  # no model here: Predict stays as it was, and says so
        return job
    monkeypatch.setattr(jobs, "classifier_from_result_job", no_model)
    load(qtbot, window, write_csv(tmp_path / "first.csv"))
    window.start_training()
    qtbot.waitUntil(lambda: window.trainer.busy, timeout=10000)
    window.open_dataset(str(write_csv(tmp_path / "second.csv")))
    qtbot.waitUntil(lambda: window.data_path.endswith("second.csv") and not window.tasks.busy, timeout=30000)
    gate.set()
    qtbot.waitUntil(lambda: not window.trainer.busy and window.workspace.run is not None, timeout=10000)
    text = window.training.state_label.text()
    assert "first.csv" in text and "second.csv" in text
    assert window.workspace.run.made.data.name == "first.csv"
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=10000)
    assert not window.workspace.model_pending  # the model could not be prepared: Predict does not wait forever


def test_the_workspace_alone_keeps_results_with_their_provenance(tmp_path):
    """No window: the rules come from the state, and a result is kept only for what is selected now."""
    changes = []
    ws = Workspace()
    ws.subscribe(lambda: changes.append(1))
    assert not ws.rules().can_classify and not ws.rules().can_save_batch
    first, second = _csv(tmp_path / "a.csv", 3), _csv(tmp_path / "b.csv", 3)
    model = SimpleNamespace(path=tmp_path, manifest=SimpleNamespace(files={"adapter_model.safetensors": "ab"}))
    ws.use_model(model, "m")
    ws.open_batch_input(FileId.of(first), object())
    request = ws.batch_request("review")
    assert ws.rules().can_classify and request.made == Made(FileId.of(first), ModelId(str(tmp_path), "adapter_model.safetensors=ab"))
    assert ws.finish_batch("rows of a", request) and ws.rules().can_save_batch
    ws.set_batch_running(True)
    assert not ws.rules().can_save_batch and not ws.rules().can_classify  # nothing saved or started meanwhile
    ws.set_batch_running(False)
    ws.open_batch_input(FileId.of(second), object())
    assert ws.batch_to_save() is None and not ws.finish_batch("rows of a, late", request)
    first.write_text("review\nrewritten\n")  # the same path rewritten is another input
    assert FileId.of(first) != request.made.data
    other = SimpleNamespace(path=tmp_path / "other", manifest=None)
    request = ws.batch_request("review")
    ws.use_model(other, "other")
    assert not ws.finish_batch("made by the first model", request)
    assert ws.export_source() is None  # neither a run nor a model folder on disk
    ws.finish_run(SimpleNamespace(adapter_dir=tmp_path), FileId.of(first))
    assert ws.export_source() == str(tmp_path)
    ws.run_deleted(str(tmp_path))
    assert ws.export_source() is None and len(changes) >= 8
    ws.open_data(FileId.of(second), SimpleNamespace(report=SimpleNamespace(ok=True)))
    assert ws.run is None and ws.rules().can_start  # the last run's results described other data


def test_the_batch_controller_runs_without_a_window(qtbot, tmp_path, monkeypatch):
    """A controller gets a parent widget, a launcher, runners and the narrow state: no window needed."""
    from PySide6.QtWidgets import QWidget

    from desktop_app.ui.batch_controller import BatchController
    from desktop_app.ui.panels.inference_panel import InferencePanel

    parent, panel = QWidget(), InferencePanel()
    qtbot.addWidget(parent)
    qtbot.addWidget(panel)
    started, messages = [], []
    launcher = SimpleNamespace(run=lambda runner, name, job, done, failed=None: started.append((name, done)) or True,
                               status=lambda text, ms: messages.append(text))
    runner = SimpleNamespace(cancel=lambda: None, event=SimpleNamespace(connect=lambda slot: None))
    ws = Workspace()
    settings = SimpleNamespace(last_folder=lambda kind: str(tmp_path))
    controller = BatchController(parent, launcher, None, runner, ws, panel, settings)
    assert not controller.classify("review")  # no file, no model: nothing starts
    ws.use_model(SimpleNamespace(path=tmp_path, manifest=None), "m")
    controller.open_file(str(_csv(tmp_path / "f.csv", 4)))
    name, done = started.pop()
    assert name == "reading the file"
    done((SimpleNamespace(columns=["review", "label"], frame=None), "review"))
    assert ws.batch_input.made.data.name == "f.csv" and panel.batch_file.text() == "f.csv"
    assert controller.classify("review") and ws.batch_running
    name, done = started.pop()
    done(pd.DataFrame({"review": ["a"], "predicted_label": ["pos"], "confidence": [0.9]}))
    assert ws.batch_to_save() is not None and not ws.batch_running and panel.preview_model.rowCount() == 1


def test_no_ui_module_touches_another_objects_private_members():
    """Issue 22: helpers took the whole window and called window._run in ten places; nothing in ui/ may read or
    write a private member of an object other than self or cls."""
    repo = Path(__file__).resolve().parents[2]
    root = repo / "desktop_app" / "ui"
    found = []
    for path in sorted([*root.rglob("*.py"), *(repo / "tools").glob("*.py")]):  # the screenshot tools drive it too
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append(f"{path.relative_to(repo)}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_a_missing_file_is_never_the_same_input_as_a_readable_one(tmp_path):
    a = _csv(tmp_path / "a.csv", 2)
    assert FileId.of(tmp_path / "missing.csv") != FileId.of(a) and FileId.of(tmp_path / "missing.csv").size == -1


def test_a_mistake_explained_by_another_model_says_so(window, tmp_path):
    run = tmp_path / "run"
    window.workspace.finish_run(SimpleNamespace(adapter_dir=run), None)
    window.workspace.use_model(SimpleNamespace(path=run, manifest=None), "Trained just now")
    assert window.explanations._explainer() == "the model in use in Predict"
    window.workspace.use_model(SimpleNamespace(path=tmp_path / "x", manifest=None), "x.zip")
    assert "(x.zip), not the run these mistakes come from" in window.explanations._explainer()


def test_every_job_that_loads_models_imports_the_heavy_libraries_one_thread_at_a_time(monkeypatch):
    """A .zip opened on a fresh window loaded while the start-up job imported transformers on another thread:
    peft met a half-initialised transformers. Each such job takes the import lock before anything else."""
    from desktop_app.ui import jobs

    class Guarded(Exception):
        pass

    def guard():
        raise Guarded()
    monkeypatch.setattr(jobs, "heavy_libraries", guard)
    config = SimpleNamespace(base_model="x", max_length=None, max_length_cap=64)
    for job in (jobs.warm_up_job(), jobs.load_adapter_job("a.zip"), jobs.classifier_from_result_job(None),
                jobs.load_data_job("a.csv", None, None, config), jobs.train_job(config, None, None, None),
                jobs.estimate_job(config, []), jobs.learning_curve_job(config, None)):
        try:
            job(None, None)
        except Guarded:
            continue
        raise AssertionError(f"{job.__qualname__} ran without the import lock")



def test_configure_keeps_its_tick_after_a_stop_and_ctrl_enter_on_train_goes_on_to_predict(qtbot, window,
                                                                                         trained_adapter):
    from PySide6.QtCore import Qt

    ws = window.workspace
    ws.open_data(FileId.of(trained_adapter.adapter_dir), SimpleNamespace(report=SimpleNamespace(ok=True, errors=[])))
    ws.set_training(True)
    ws.set_training(False)  # a plain Stop: no run shown, the settings still used
    assert window.steps.item(1).text().startswith("✓")
    _load_model(qtbot, window, trained_adapter.adapter_dir)
    window.steps.setCurrentRow(2)
    window.pages.currentWidget().setFocus()
    qtbot.keyClick(window.pages.currentWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.steps.currentRow() == 3 and not window.trainer.busy  # no second run started


def test_export_says_why_it_is_off_for_a_model_opened_from_a_zip(window, tmp_path):
    window.workspace.use_model(SimpleNamespace(path=tmp_path / "shared.zip", manifest=None), "shared.zip")
    assert not window.training.export_button.isEnabled() and not window.export_action.isEnabled()
    assert "share that file" in window.training.export_button.toolTip()
    assert "share that file" in window.export_action.statusTip()
