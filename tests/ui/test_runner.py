"""The thread bridge with fake jobs: events, results, cancel, errors, refusal while busy, shutdown."""

import time

import pytest

from desktop_app.core.base.errors import DataError
from desktop_app.ui.runner import Runner


def test_events_then_result(qtbot):
    runner = Runner()
    seen = []
    runner.event.connect(seen.append)

    def job(emit, cancel):
        for i in range(5):
            emit(i)
        return "done"

    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        assert runner.start(job, "fake")
    assert blocker.args == ["done"] and seen == [0, 1, 2, 3, 4] and not runner.busy


def test_cancel_reaches_the_job(qtbot):
    runner = Runner()

    def job(emit, cancel):
        while not cancel.cancelled:
            emit("tick")
            time.sleep(0.01)
        return "cancelled"

    with qtbot.waitSignal(runner.event, timeout=5000):
        runner.start(job, "loop")
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.cancel()
    assert blocker.args == ["cancelled"]


@pytest.mark.parametrize("exc,message,hint", [
    (DataError("The file is empty.", "Choose another."), "The file is empty.", "Choose another."),
    (ValueError("boom"), "Something unexpected went wrong.", "ValueError: boom"),
])
def test_errors_become_failed(qtbot, exc, message, hint):
    runner = Runner()

    def job(emit, cancel):
        raise exc

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(job, "bad")
    assert blocker.args[0] == message and blocker.args[1].startswith(hint) and not runner.busy


def test_an_unexpected_error_keeps_its_traceback_in_the_log(qtbot):
    """The error sink: the user reads a sentence that points to the log; the log has the whole traceback."""
    from desktop_app.core.base.logs import log_path, setup_logging

    setup_logging()
    runner = Runner()

    def deep_inside_a_library():
        raise KeyError("a detail only a developer needs")

    def job(emit, cancel):
        deep_inside_a_library()

    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(job, "bad")
    assert str(log_path()) in blocker.args[1]
    text = log_path().read_text(encoding="utf-8")
    assert "Traceback" in text and "deep_inside_a_library" in text and "a detail only a developer needs" in text


def test_shutdown_that_times_out_says_so():
    import threading

    runner = Runner()
    stuck = threading.Event()

    def deaf(emit, cancel):  # a job that never checks the cancel token
        stuck.wait(10)

    runner.start(deaf, "deaf")
    assert runner.shutdown(200) is False and runner.busy
    stuck.set()
    assert runner.shutdown(5000) and not runner.busy


def test_one_job_at_a_time_and_busy_signal(qtbot):
    runner = Runner()
    states = []
    runner.busy_changed.connect(states.append)

    def slow(emit, cancel):
        while not cancel.cancelled:
            time.sleep(0.01)

    assert runner.start(slow, "slow")
    assert not runner.start(slow, "second")
    with qtbot.waitSignal(runner.busy_changed, timeout=5000):
        runner.cancel()
    assert states == [True, False]


def test_shutdown_stops_a_running_job():
    runner = Runner()

    def slow(emit, cancel):
        while not cancel.cancelled:
            time.sleep(0.01)

    runner.start(slow, "slow")
    assert runner.shutdown(5000) and not runner.busy
    assert runner.shutdown()  # idempotent


def test_a_shut_down_runner_starts_nothing():
    """A timer firing after the window closed must not start a thread that the window's deletion destroys."""
    runner = Runner()
    runner.shutdown()
    assert runner.start(lambda emit, cancel: None, "late") is False
    assert not runner.busy


def test_next_job_can_start_from_the_finished_handler(qtbot):
    runner = Runner()
    results = []

    def chain(result):
        results.append(result)
        if len(results) == 1:
            assert runner.start(lambda e, c: "second", "second")

    runner.finished.connect(chain)
    runner.start(lambda e, c: "first", "first")
    qtbot.waitUntil(lambda: results == ["first", "second"] and not runner.busy, timeout=5000)


def test_a_job_that_sees_its_cancel_token_reports_cancelled(qtbot):
    from desktop_app.core.base.events import checkpoint

    runner = Runner()

    def job(emit, cancel):
        while True:
            checkpoint(cancel)
            time.sleep(0.01)

    runner.start(job, "loop")
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.cancel()
    assert not runner.busy
