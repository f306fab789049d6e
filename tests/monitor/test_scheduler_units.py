"""Each window is a unit of failure, and several schedulers share one catalog: whatever
one window does, the others run, each window runs once and is alerted once."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from racing import race
from watchkeeper.catalog import FAILED, Catalog, MonitoringStore, Schedule
from watchkeeper.errors import UsageError
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.monitor.kinds import REGISTRY, Kind
from watchkeeper.notify import Notifier

UTC = dt.UTC
CREATED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def schedule(tmp_path: Path, name: str, **changes) -> Schedule:
    settings = {
        "name": name,
        "endpoint": "churn",
        "capture": str(tmp_path / "capture"),
        "baseline": str(tmp_path / "no-baseline"),
        "report": str(tmp_path / "monitoring"),
        "cron": "0 * * * *",
        "created_at": CREATED,
    }
    return Schedule(**(settings | changes))


def divide_by_zero(store, schedule, execution, storage_options, folder, now):
    return 1 / 0


def test_a_window_that_raises_fails_alone(
    tmp_path, database_url, webhook_server, monkeypatch, caplog
):
    """A job that raises a bug's exception, a schedule whose offsets give no window and
    one with a broken cron: each fails alone, and the others run."""
    broken = Kind("divides-by-zero", "a bug", lambda *_: None, divide_by_zero)
    monkeypatch.setitem(REGISTRY, "divides-by-zero", broken)
    catalog = Catalog(database_url)
    store = MonitoringStore(catalog)
    store.create_schedule(schedule(tmp_path, "a-divides", kind="divides-by-zero"))
    no_window = {"window_start": "-PT1H", "window_end": "-PT2H"}  # ends before it starts
    store.create_schedule(schedule(tmp_path, "b-no-window", **no_window))
    store.create_schedule(schedule(tmp_path, "c-bad-cron", cron="61 * * * *"))
    store.create_schedule(schedule(tmp_path, "d-plain"))
    notifier = Notifier([f"json://{webhook_server.address}/alerts"], catalog)
    clock = dt.datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    scheduler = Scheduler(store, notifier=notifier, clock=lambda: clock)
    with caplog.at_level(logging.ERROR, logger="watchkeeper.monitor"):
        ran = {execution.schedule: execution for execution in scheduler.run_pending()}
    assert set(ran) == {"a-divides", "d-plain"}
    divided = ran["a-divides"]
    assert (divided.status, divided.failure_reason) == (
        FAILED,
        "division by zero (ZeroDivisionError)",
    )
    assert ran["d-plain"].status == FAILED and "no-baseline" in ran["d-plain"].failure_reason
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "b-no-window" in logged and "is empty" in logged
    assert "c-bad-cron" in logged
    bodies = [post.json["message"] for post in webhook_server.posts]
    assert len(bodies) == 2
    assert any("schedule a-divides" in body and "division by zero" in body for body in bodies)
    assert not any("unexpected" in body for body in bodies)
    assert scheduler.run_pending() == []  # each window once
    assert len(webhook_server.posts) == 2


def test_several_schedulers_run_each_window_once_and_alert_it_once(
    tmp_path, database_url, webhook_server
):
    catalog = Catalog(database_url)
    store = MonitoringStore(catalog)
    for name in ("alpha", "beta", "gamma"):
        store.create_schedule(schedule(tmp_path, name))
    webhook_server.delay(0.05)  # a delivery takes a moment: the flushes overlap
    url = f"json://{webhook_server.address}/alerts"
    go = tmp_path / "go"
    times = [f"2026-11-20T{hour}:05:00+00:00" for hour in (10, 11, 12)]
    script = Path(__file__).with_name("scheduler_race.py")
    statuses, outputs = race(script, database_url, str(go), url, *times, go=go)
    assert statuses == [0] * 4, outputs
    assert sum(int(stdout) for stdout, _ in outputs) == 9
    executions = store.executions(limit=100)
    windows = Counter((e.schedule, e.window_start, e.window_end) for e in executions)
    assert len(windows) == 9 and set(windows.values()) == {1}
    assert {e.status for e in executions} == {FAILED}  # no baseline: a failure each
    titles = Counter(post.json["message"] for post in webhook_server.posts)
    assert len(titles) == 9 and set(titles.values()) == {1}  # each alerted once


def test_an_execution_whose_scheduler_died_is_failed_and_alerted(
    tmp_path, database_url, webhook_server
):
    catalog = Catalog(database_url)
    store = MonitoringStore(catalog)
    store.create_schedule(schedule(tmp_path, "hourly"))
    start_and_die = (
        "import datetime as dt, os, sys\n"
        "from watchkeeper.catalog import Catalog, MonitoringStore\n"
        "store = MonitoringStore(Catalog(sys.argv[1], lease=2))\n"
        "end = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)\n"
        "store.start_execution(store.schedule('hourly'), end, (end - dt.timedelta(hours=1), end))\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", start_and_die, database_url], check=True, timeout=120)
    notifier = Notifier([f"json://{webhook_server.address}/alerts"], catalog)
    scheduler = Scheduler(store, notifier=notifier)
    deadline = time.monotonic() + 30
    abandoned = scheduler.abandon_dead()
    while not abandoned and time.monotonic() < deadline:
        time.sleep(0.2)
        abandoned = scheduler.abandon_dead()
    [execution] = abandoned
    assert execution.exit_message == "Failed: the job was interrupted (its scheduler stopped)"
    [post] = webhook_server.posts
    assert "schedule hourly" in post.json["message"] and "interrupted" in post.json["message"]


@pytest.mark.parametrize(
    ("name", "endpoint", "wrong"),
    [
        ("hourly\n", "churn", "schedule name 'hourly\\n' is not allowed"),
        ("../hourly", "churn", "schedule name '../hourly' is not allowed"),
        ("", "churn", "schedule name '' is not allowed"),
        ("hourly", "../churn", "endpoint '../churn'"),
    ],
)
def test_schedule_and_endpoint_names_are_checked_whole(tmp_path, name, endpoint, wrong):
    with pytest.raises(UsageError) as caught:
        create_schedule(
            Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"),
            name=name,
            endpoint=endpoint,
            capture=str(tmp_path / "capture"),
            baseline=str(tmp_path / "baseline"),
            report=str(tmp_path / "monitoring"),
        )
    assert str(caught.value).startswith(wrong)
