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
    monkeypatch.setattr(window, "_run", lambda runner, what, job, *a, **k: started.append(what))
    window.training.history.open_requested.emit("/some/run")
    assert started == ["loading the adapter"]


def test_new_data_cleans_the_train_page(window, monkeypatch):
    resets = []
    monkeypatch.setattr(window.training, "reset", lambda *a: resets.append(a))
    window._data_changed()
    assert resets == [()]
