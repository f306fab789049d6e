"""Monitoring jobs add each window's profile to the dataset named after the endpoint."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from dataset_samples import Clock, at

import watchkeeper
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    Catalog,
    MonitoringStore,
)
from watchkeeper.catalog.datasets import DAY, HOUR
from watchkeeper.datasets.service import DatasetService
from watchkeeper.monitor import Scheduler, create_schedule


def requests(count: int, seed: int, shift: float = 0.0) -> list[dict]:
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
def endpoint(tmp_path, database_url):
    """Endpoint ``churn`` with a baseline and an hourly schedule created at 09:30 UTC."""
    training = requests(3000, seed=1)
    table = pa.Table.from_pylist([{"score": score(r), **r} for r in training])
    watchkeeper.suggest_baseline(table, tmp_path / "baseline")
    clock = Clock(at(20, 9, 30))
    catalog = Catalog(database_url)
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
    scheduler = Scheduler(MonitoringStore(catalog), clock=clock)
    return tmp_path, clock, scheduler, DatasetService(catalog)


def capture(path: Path, clock: Clock, traffic: list[dict]) -> None:
    writer = CaptureWriter(str(path / "capture"), "churn", clock=lambda: clock.now.timestamp())
    for row in traffic:
        writer.capture(
            json.dumps(row),
            "application/json",
            json.dumps({"score": score(row)}),
            "application/json",
        )
    writer.close()


def test_each_window_joins_the_endpoint_dataset(endpoint):
    path, clock, scheduler, service = endpoint
    first = requests(1000, seed=2)
    clock.now = at(20, 9, 40)
    capture(path, clock, first)
    clock.now = at(20, 10, 0) + dt.timedelta(seconds=5)
    [ran] = scheduler.run_pending()
    assert (ran.status, ran.records) == (COMPLETED, 1000)

    dataset = service.store.get("churn")
    assert dataset.baseline_source == str(path / "baseline")
    assert dataset.segment_columns == ()
    baseline = service.baseline("churn")
    assert baseline.rows == 3000
    service.refresh("churn")
    [hour] = service.store.batches("churn", granularity=HOUR, with_profile=True)
    assert (hour.start, hour.rows, hour.parts) == (ran.window_start, 1000, 1)
    profile = service.profile(hour)
    charges = np.array([row["monthly_charge"] for row in first])
    column = profile.columns["monthly_charge"]
    assert (column.count, column.null_count) == (1000, 0)
    assert column.mean == pytest.approx(charges.mean(), rel=1e-12)
    assert (column.min, column.max) == (charges.min(), charges.max())
    assert set(profile.columns) == {"tenure", "monthly_charge", "plan", "score"}
    plans = profile.columns["plan"].categories.as_dict()
    assert plans == {p: sum(r["plan"] == p for r in first) for p in ("basic", "premium")}
    assert hour.violations == []
    assert hour.metrics["monthly_charge"]["hellinger_baseline"] < 0.1

    # someone sets another baseline: the next window leaves it alone
    service.set_baseline("churn", baseline, "chosen by hand")
    clock.now = at(20, 10, 20)
    capture(path, clock, requests(500, seed=3, shift=25.0))
    clock.now = at(20, 11, 0) + dt.timedelta(seconds=1)
    [second] = scheduler.run_pending()
    assert second.status == COMPLETED_WITH_VIOLATIONS
    assert service.store.get("churn").baseline_source == "chosen by hand"
    service.refresh("churn")
    hours = service.store.batches("churn", granularity=HOUR)
    assert [(b.start, b.rows) for b in hours] == [(at(20, 9), 1000), (at(20, 10), 500)]
    # the score is computed from the monthly charge: it moved with it
    assert sorted(v["feature_name"] for v in hours[1].violations) == ["monthly_charge", "score"]
    [day] = service.store.batches("churn", granularity=DAY)
    assert (day.rows, day.parts) == (1500, 2)


def test_a_failed_window_adds_nothing(endpoint):
    _, clock, scheduler, service = endpoint
    clock.now = at(20, 10, 0) + dt.timedelta(seconds=5)
    [ran] = scheduler.run_pending()  # no traffic at all
    assert ran.status == FAILED
    assert service.store.find("churn") is None
    assert service.store.pending_parts() == 0
