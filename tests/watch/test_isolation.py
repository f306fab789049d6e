"""One unit of work in a child process: whatever it does, the caller gets a result or a
one-line reason, and the next unit runs in a fresh child."""

from __future__ import annotations

import os
import signal
import threading
import time

import isolated_work as work
import pytest

from watchkeeper.errors import UsageError
from watchkeeper.watch.isolation import ChildProcess, InProcess, UnitFailed, make_isolation


def failure(runner, function, *args) -> str:
    with pytest.raises(UnitFailed) as caught:
        runner.run(function, *args)
    return str(caught.value)


@pytest.fixture(scope="module")
def child() -> ChildProcess:
    return ChildProcess(time_limit=60)


def test_a_result_comes_back_from_a_child_of_another_process(child):
    result = child.run(work.answer, 42)
    assert result["value"] == 42 and result["pid"] != os.getpid()
    assert child.run(work.answer, 7)["pid"] != result["pid"]  # a fresh child each time


@pytest.mark.parametrize(
    "runner", [ChildProcess(time_limit=60), InProcess()], ids=["child", "in-process"]
)
def test_any_exception_is_the_units_failure_with_its_own_message(runner):
    assert failure(runner, work.raise_index_error) == "list index out of range (IndexError)"
    reason = failure(runner, work.recurse)
    assert reason == "maximum recursion depth exceeded (RecursionError)"
    assert "unexpected" not in reason
    assert runner.run(work.answer, 1)["value"] == 1  # and the next unit goes on


def test_a_native_crash_is_the_units_failure(child):
    assert failure(child, work.segfault) == "the reader crashed (SIGSEGV)"
    assert child.run(work.answer, 2)["value"] == 2


def test_a_killed_or_vanished_child_is_the_units_failure(child):
    assert failure(child, work.get_killed) == "the check was killed (SIGKILL)"
    assert failure(child, work.exit_quietly) == "the check ended with exit status 3 and no result"


def test_a_unit_past_its_time_limit_is_stopped():
    runner = ChildProcess(time_limit=1)
    started = time.monotonic()
    assert failure(runner, work.sleep, 120) == "took longer than 1 s (the time limit)"
    assert time.monotonic() - started < 30  # stopped, not waited for
    assert runner.run(work.answer, 3)["value"] == 3


def test_a_unit_over_its_memory_limit_fails_and_one_within_it_runs():
    runner = ChildProcess(time_limit=60, memory_limit=256)
    assert failure(runner, work.allocate, 4096) == "ran out of memory (the limit is 256 MiB)"
    assert runner.run(work.allocate, 64) == 64 * 1024 * 1024


def test_the_child_sees_this_process_environment_and_folder(child, tmp_path, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_ISOLATION_PROBE", "now")
    monkeypatch.chdir(tmp_path)
    assert child.run(work.environment, "WATCHKEEPER_ISOLATION_PROBE") == ("now", str(tmp_path))


def test_signals_meant_for_the_watcher_do_not_end_the_check(child, tmp_path):
    """Ctrl-C and systemd's SIGTERM reach the whole process group: the watcher decides
    to stop after the current file, so its check must finish, not fail."""
    ready = tmp_path / "running"
    results: list[str] = []
    thread = threading.Thread(
        target=lambda: results.append(child.run(work.ignore_interrupts, 1.5, str(ready)))
    )
    thread.start()
    deadline = time.monotonic() + 60
    while not (ready.exists() and ready.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    pid = int(ready.read_text())
    os.kill(pid, signal.SIGINT)
    os.kill(pid, signal.SIGTERM)
    thread.join(timeout=60)
    assert results == ["finished"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"time_limit": 0}, "time limit must be more than zero seconds, not 0"),
        ({"time_limit": float("nan")}, "time limit must be more than zero seconds"),
        ({"time_limit": "10"}, "time limit must be a number of seconds, not '10'"),
        ({"memory_limit": 10}, "memory limit must be a whole number of MiB, at least 256"),
    ],
)
def test_limits_are_checked_up_front(options, message):
    for isolate in (True, False):
        with pytest.raises(UsageError, match=message):
            make_isolation(isolate, **options)
