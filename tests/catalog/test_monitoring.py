"""Schedules, executions and metrics, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from watchkeeper.catalog import (
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    IN_PROGRESS,
    Catalog,
    MonitoringStore,
    Schedule,
)
from watchkeeper.errors import UsageError

UTC = dt.UTC
HOUR = dt.timedelta(hours=1)


def hourly(name: str = "hourly") -> Schedule:
    return Schedule(
        name=name,
        endpoint="churn",
        capture="/capture",
        baseline="/baseline",
        report="/reports",
        cron="0 * * * *",
    )


def test_schedules(database_url):
    store = MonitoringStore(Catalog(database_url))
    created = store.create_schedule(hourly())
    assert created.created_at is not None and created.created_at.tzinfo == UTC
    with pytest.raises(UsageError, match="exists already"):
        store.create_schedule(hourly())
    store.create_schedule(hourly("another"))
    assert [s.name for s in store.schedules()] == ["another", "hourly"]
    store.delete_schedule("another")
    with pytest.raises(UsageError, match="no schedule named 'another'"):
        store.schedule("another")


def test_a_window_runs_once_and_its_metrics_are_kept(database_url):
    store = MonitoringStore(Catalog(database_url))
    schedule = store.create_schedule(hourly())
    end = dt.datetime(2026, 11, 20, 13, tzinfo=UTC)
    execution = store.start_execution(schedule, end, (end - HOUR, end))
    assert execution.status == IN_PROGRESS
    assert store.start_execution(schedule, end, (end - HOUR, end)) is None  # claimed
    finished = store.finish_execution(
        execution.id,
        status=COMPLETED_WITH_VIOLATIONS,
        records=150,
        violations=2,
        artifacts={"violations": "/reports/x/constraint_violations.json"},
        metrics=[
            ("feature_baseline_drift_age", "Value", 0.31),
            ("feature_non_null_age", "Value", 1.0),
        ],
    )
    assert finished.exit_message == (
        "CompletedWithViolations: Job completed successfully with 2 violations."
    )
    [listed] = store.executions("hourly")
    assert listed.window_start == end - HOUR and listed.artifacts["violations"].endswith(".json")
    latest = {(p.name, p.value) for p in store.latest_metrics()}
    assert ("feature_baseline_drift_age", 0.31) in latest
    [point] = store.metric_series("hourly", "feature_non_null_age")
    assert point.timestamp == end


def test_interrupted_executions_are_failed(database_url):
    """An execution whose scheduler stopped renewing its lease is failed; one whose
    scheduler is alive is left alone, however old."""
    stopped = Catalog(database_url, lease=3)
    store = MonitoringStore(stopped)
    schedule = store.create_schedule(hourly())
    end = dt.datetime(2026, 11, 20, 13, tzinfo=UTC)
    execution = store.start_execution(schedule, end, (end - HOUR, end))
    alive_catalog = Catalog(database_url, lease=30)
    alive = MonitoringStore(alive_catalog)
    running = alive.start_execution(schedule, end + HOUR, (end, end + HOUR))
    stopped.close()  # its lease is not renewed any more, as when its process dies
    later = dt.datetime.now(UTC) + dt.timedelta(hours=2)
    assert alive.abandon_stale(later) == []  # within the lease: still its scheduler's
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        abandoned = alive.abandon_stale(later)
        if abandoned:
            break
        time.sleep(0.1)
    assert [e.id for e in abandoned] == [execution.id]
    failed = alive.execution(execution.id)
    assert (failed.status, failed.failure_reason) == (
        FAILED,
        "the job was interrupted (its scheduler stopped)",
    )
    assert alive.execution(running.id).status == IN_PROGRESS
    alive_catalog.close()
