"""Monitoring jobs over captured traffic, run by a scheduler on a clock the test controls."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from clocks import Clock
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    Catalog,
    MonitoringStore,
)
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.notify import Notifier

UTC = dt.UTC
FEATURES = ["tenure", "monthly_charge", "plan"]


def rows(count: int, seed: int, shift: float = 0.0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {
            "tenure": int(rng.integers(1, 72)),
            "monthly_charge": round(float(rng.normal(60 + shift, 10)), 2),
            "plan": str(rng.choice(["basic", "premium"])),
        }
        for _ in range(count)
    ]


def score(row: dict) -> float:
    return round(min(1.0, row["monthly_charge"] / 120), 4)


@pytest.fixture
def world(tmp_path, database_url, webhook_server):
    """A baseline, a capture folder, a schedule created at 09:30 UTC, and a clock."""
    training = rows(3000, seed=1)
    table = pa.Table.from_pylist([{"score": score(r), **r} for r in training])
    watchkeeper.suggest_baseline(table, tmp_path / "baseline")
    clock = Clock(dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    catalog = Catalog(database_url)
    store = MonitoringStore(catalog)
    # created "now" by the test's clock, so that earlier firings are not due
    create_schedule(
        catalog,
        name="churn-hourly",
        endpoint="churn",
        capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"),
        report=str(tmp_path / "monitoring"),
        cron="cron(0 * ? * * *)",
        created_at=clock.now,
    )
    notifier = Notifier([f"json://{webhook_server.address}/alerts"], catalog)
    return tmp_path, clock, store, notifier


def capture_traffic(path: Path, clock: Clock, traffic: list[dict]) -> None:
    writer = CaptureWriter(str(path / "capture"), "churn", clock=clock.timestamp)
    for row in traffic:
        writer.capture(
            json.dumps(row),
            "application/json",
            json.dumps({"score": score(row)}),
            "application/json",
        )
    writer.close()


def test_scheduler_over_two_windows(world, webhook_server):
    path, clock, store, notifier = world
    scheduler = Scheduler(store, notifier=notifier, clock=clock)
    # 09:30: the schedule was created after the 09:00 firing: nothing is due yet
    assert scheduler.run_pending() == []
    # traffic between 09:40 and 09:50, like the baseline
    clock.now = dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC)
    capture_traffic(path, clock, rows(1000, seed=2))
    clock.now = dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC)
    [first] = scheduler.run_pending()
    assert (first.window_start.hour, first.window_end.hour) == (9, 10)
    assert first.status == COMPLETED and first.records == 1000
    assert scheduler.run_pending() == []  # the same window is not run twice
    # traffic in the next hour with a price change
    clock.now = dt.datetime(2026, 11, 20, 10, 20, tzinfo=UTC)
    capture_traffic(path, clock, rows(1000, seed=3, shift=25.0))
    clock.now = dt.datetime(2026, 11, 20, 11, 0, 1, tzinfo=UTC)
    [second] = scheduler.run_pending()
    assert second.status == COMPLETED_WITH_VIOLATIONS
    violations = json.loads(Path(second.artifacts["violations"]).read_text())["violations"]
    drifted = {
        v["feature_name"]
        for v in violations
        if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert "monthly_charge" in drifted
    folder = path / "monitoring" / "churn" / "churn-hourly" / "2026" / "11" / "20" / "11"
    for name in ("statistics.json", "constraints.json", "constraint_violations.json"):
        assert (folder / name).exists()
    [alert] = webhook_server.posts
    assert "monthly_charge" in alert.json["message"]
    # metrics of the latest execution, named as SageMaker's
    names = {point.name for point in store.latest_metrics("churn-hourly")}
    assert {"feature_baseline_drift_monthly_charge", "feature_non_null_plan"} <= names


def test_downtime_runs_the_missed_window_once(world):
    path, clock, store, notifier = world
    clock.now = dt.datetime(2026, 11, 20, 9, 45, tzinfo=UTC)
    capture_traffic(path, clock, rows(200, seed=4))
    scheduler = Scheduler(store, notifier=notifier, clock=clock)
    # the scheduler was down from 09:30 until 15:10: only the latest window runs
    clock.now = dt.datetime(2026, 11, 20, 15, 10, tzinfo=UTC)
    [ran] = scheduler.run_pending()
    assert (ran.window_start.hour, ran.window_end.hour) == (14, 15)
    assert ran.status == FAILED and "no captured records" in ran.failure_reason
    assert len(store.executions()) == 1


def test_corrupt_capture_lines_are_counted(world):
    path, clock, store, notifier = world
    clock.now = dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC)
    capture_traffic(path, clock, rows(300, seed=5))
    [file] = list((path / "capture").rglob("*.jsonl"))
    with file.open("a") as out:
        out.write('this is not json\n{"captureData": 3}\n')
    clock.now = dt.datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC)
    [ran] = Scheduler(store, notifier=notifier, clock=clock).run_pending()
    assert (ran.records, ran.corrupt_lines) == (300, 2)
    assert ran.status == COMPLETED


@pytest.mark.parametrize(
    "broken",
    [
        "watchkeeper.report.writer.render_html",
        "watchkeeper.monitor.data_quality_job.constraints_json",
    ],
)
def test_a_window_whose_results_fail_to_render_leaves_none_of_them(world, monkeypatch, broken):
    path, clock, store, notifier = world
    clock.now = dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC)
    capture_traffic(path, clock, rows(300, seed=6))

    def fail(*args, **kwargs):
        raise RuntimeError("could not be rendered")

    monkeypatch.setattr(broken, fail)
    clock.now = dt.datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC)
    [ran] = Scheduler(store, notifier=notifier, clock=clock).run_pending()
    assert ran.status == FAILED and "could not be rendered" in ran.failure_reason
    assert not (path / "monitoring").exists()  # no statistics without their report


def _edit_constraints(path: Path, edit) -> None:
    file = path / "baseline" / "constraints.json"
    document = json.loads(file.read_text())
    edit(document)
    file.write_text(json.dumps(document))


def _run_one_window(path: Path, clock: Clock, store, notifier):
    clock.now = dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC)
    capture_traffic(path, clock, rows(300, seed=7))
    clock.now = dt.datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC)
    [ran] = Scheduler(store, notifier=notifier, clock=clock).run_pending()
    return ran


def test_emit_metrics_disabled_records_no_metric_points(world):
    path, clock, store, notifier = world
    _edit_constraints(
        path, lambda doc: doc["monitoring_config"].update({"emit_metrics": "Disabled"})
    )
    ran = _run_one_window(path, clock, store, notifier)
    assert ran.records == 300 and ran.status in (COMPLETED, COMPLETED_WITH_VIOLATIONS)
    assert store.metrics_of(ran.id) == []


def test_a_feature_override_stops_only_that_features_metrics(world):
    path, clock, store, notifier = world

    def disable_plan(document):
        [plan] = [f for f in document["features"] if f["name"] == "plan"]
        plan["monitoringConfigOverrides"] = {"emit_metrics": "Disabled"}

    _edit_constraints(path, disable_plan)
    ran = _run_one_window(path, clock, store, notifier)
    names = {point.name for point in store.metrics_of(ran.id)}
    assert "feature_non_null_tenure" in names
    assert not {name for name in names if name.endswith("_plan")}
