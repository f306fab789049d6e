"""One-time schedules (cron NOW): run once when the scheduler next looks, then never."""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pytest
from test_jobs import Clock, capture_traffic, rows, score

import watchkeeper
from watchkeeper.catalog import COMPLETED, Catalog, MonitoringStore
from watchkeeper.errors import UsageError
from watchkeeper.monitor import Scheduler, create_schedule

UTC = dt.UTC


@pytest.fixture
def setting(tmp_path, database_url):
    table = pa.Table.from_pylist([{"score": score(r), **r} for r in rows(2000, seed=1)])
    watchkeeper.suggest_baseline(table, tmp_path / "baseline")
    catalog = Catalog(database_url)
    places = {
        "endpoint": "churn",
        "capture": str(tmp_path / "capture"),
        "baseline": str(tmp_path / "baseline"),
        "report": str(tmp_path / "monitoring"),
    }
    return tmp_path, catalog, places


def test_a_one_off_schedule_runs_once_over_its_offsets(setting):
    path, catalog, places = setting
    clock = Clock(dt.datetime(2026, 11, 20, 9, 20, tzinfo=UTC))
    capture_traffic(path, clock, rows(300, seed=2))  # 09:20, inside the window
    clock.now = dt.datetime(2026, 11, 20, 8, 40, tzinfo=UTC)
    capture_traffic(path, clock, rows(50, seed=3))  # 08:40, before it
    created = dt.datetime(2026, 11, 20, 9, 47, 30, tzinfo=UTC)
    create_schedule(
        catalog, name="adhoc", cron="now", window_start="-PT1H", window_end="-PT0H",
        created_at=created, **places,
    )  # fmt: skip
    store = MonitoringStore(catalog)
    clock.now = created + dt.timedelta(seconds=20)
    scheduler = Scheduler(store, clock=clock)
    [ran] = scheduler.run_pending()
    assert ran.status == COMPLETED and ran.records == 300
    assert (ran.window_start, ran.window_end) == (created - dt.timedelta(hours=1), created)
    # never again: later looks, an hour or a day on, find nothing due
    for later in (dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(days=1)):
        clock.now = created + later
        assert scheduler.run_pending() == []
    assert len(store.executions("adhoc")) == 1


def test_a_one_off_schedule_is_not_due_before_it_exists(setting):
    _, catalog, places = setting
    created = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    create_schedule(
        catalog, name="adhoc", cron="NOW", window_start="-PT2H", window_end="-PT0H",
        created_at=created, **places,
    )  # fmt: skip
    early = Scheduler(MonitoringStore(catalog), clock=lambda: created - dt.timedelta(minutes=5))
    assert early.due() == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (None, None, "cron NOW (run once) needs the window as offsets from now"),
        ("-PT1H", None, "cron NOW (run once) needs the window as offsets from now"),
        ("-PT0H", "-PT1H", "give an empty window"),
    ],
)
def test_a_one_off_schedule_needs_a_window(setting, start, end, message):
    _, catalog, places = setting
    with pytest.raises(UsageError, match=re.escape(message)):
        create_schedule(
            catalog, name="adhoc", cron="NOW", window_start=start, window_end=end, **places
        )


def test_the_command_line_creates_a_one_off_schedule(setting):
    from test_rest_cli import run_cli

    _, catalog, places = setting
    database = str(catalog.url)
    common = [
        "schedule", "create", "--name", "adhoc", "--endpoint", "churn",
        "--baseline", places["baseline"], "--capture", places["capture"], "--cron", "NOW",
    ]  # fmt: skip
    refused = run_cli(*common, database=database)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: cron NOW (run once) needs the window")
    made = run_cli(*common, "--start", "-PT1H", "--end", "-PT0H", database=database)
    assert made.returncode == 0, made.stderr
    assert "at 'NOW' (once, when the scheduler next looks)" in made.stdout
    [schedule] = MonitoringStore(catalog).schedules()
    assert (schedule.cron, schedule.window_start, schedule.window_end) == ("NOW", "-PT1H", "-PT0H")


def test_running_a_one_off_schedule_by_hand_covers_its_window(setting):
    from watchkeeper.monitor.timing import window_to_run

    _, catalog, places = setting
    created = dt.datetime(2026, 11, 20, 9, 47, tzinfo=UTC)
    schedule = create_schedule(
        catalog, name="adhoc", cron="NOW", window_start="-PT2H", window_end="-PT1H",
        created_at=created, **places,
    )  # fmt: skip
    span, fired = window_to_run(schedule)
    assert fired == created
    assert span == (created - dt.timedelta(hours=2), created - dt.timedelta(hours=1))
