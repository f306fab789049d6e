"""A data-quality schedule with engine=spark: a window of many capture files read by
Spark, judged as the local engine judges it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from spark_tables import assert_same_statistics, needs_java, rank_error_of

import watchkeeper
from clocks import Clock
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import COMPLETED_WITH_VIOLATIONS, Catalog, MonitoringStore
from watchkeeper.errors import UsageError
from watchkeeper.monitor import Scheduler, create_schedule

pytestmark = needs_java
UTC = dt.UTC
FILES = 120


def traffic(count: int, seed: int, shift: float = 0.0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {
            "tenure": int(rng.integers(1, 72)),
            "monthly_charge": round(float(rng.normal(60 + shift, 10)), 2),
            "plan": str(
                rng.choice(["basic", "premium", "gold"] if shift else ["basic", "premium"])
            ),
        }
        for _ in range(count)
    ]


def write_window(capture: Path, clock: Clock) -> None:
    """FILES capture files in one hour, a few with lines that are not records."""
    rows = traffic(FILES * 25, seed=3, shift=20.0)
    for index in range(FILES):
        clock.now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + dt.timedelta(seconds=25 * index)
        writer = CaptureWriter(str(capture), "churn", clock=clock.timestamp)
        for row in rows[index * 25 : (index + 1) * 25]:
            score = round(min(1.0, row["monthly_charge"] / 120), 4)
            writer.capture(json.dumps(row), "application/json",
                           json.dumps({"score": score}), "application/json")  # fmt: skip
        writer.close()
    files = sorted(capture.rglob("*.jsonl"))
    assert len(files) == FILES
    for file in files[::40]:
        with file.open("ab") as out:
            out.write(b"not a record\n\xff\xfe broken bytes\n")


@pytest.fixture
def world(tmp_path, database_url, spark):
    training = traffic(3_000, seed=1)
    table = pa.Table.from_pylist(
        [{"score": round(min(1.0, r["monthly_charge"] / 120), 4), **r} for r in training]
    )
    watchkeeper.suggest_baseline(table, tmp_path / "baseline")
    clock = Clock(dt.datetime(2026, 11, 20, 8, 30, tzinfo=UTC))
    catalog = Catalog(database_url)
    for name, options in (
        ("local", {}),
        ("spark", {"engine": "spark", "spark_master": "local[2]"}),
    ):
        create_schedule(
            catalog, name=name, endpoint="churn", capture=str(tmp_path / "capture"),
            baseline=str(tmp_path / "baseline"), report=str(tmp_path / "monitoring"),
            cron="cron(0 * ? * * *)", created_at=clock.now, options=options,
        )  # fmt: skip
    write_window(tmp_path / "capture", clock)
    return tmp_path, clock, catalog


def test_a_spark_window_is_judged_as_the_local_one(world):
    _, clock, catalog = world
    clock.now = dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC)
    executions = Scheduler(MonitoringStore(catalog), clock=clock).run_pending()
    by_name = {execution.schedule: execution for execution in executions}
    local, remote = by_name["local"], by_name["spark"]
    assert local.status == remote.status == COMPLETED_WITH_VIOLATIONS, remote.failure_reason
    assert (remote.records, remote.corrupt_lines) == (local.records, local.corrupt_lines)
    assert (local.records, local.corrupt_lines) == (FILES * 25, 6)
    expected = json.loads(Path(local.artifacts["statistics"]).read_text())
    actual = json.loads(Path(remote.artifacts["statistics"]).read_text())
    assert_same_statistics(expected, actual, rank_error_of(expected, actual))
    mine = json.loads(Path(local.artifacts["violations"]).read_text())["violations"]
    theirs = json.loads(Path(remote.artifacts["violations"]).read_text())["violations"]
    assert {v["feature_name"] for v in mine} >= {"plan", "monthly_charge"}
    assert theirs == mine


def test_engine_options_are_checked_when_the_schedule_is_created(tmp_path, database_url):
    watchkeeper.suggest_baseline(pa.table({"x": [1.0, 2.0]}), tmp_path / "baseline")
    catalog = Catalog(database_url)
    common = dict(endpoint="e", capture=str(tmp_path), baseline=str(tmp_path / "baseline"),
                  report=str(tmp_path / "r"))  # fmt: skip
    with pytest.raises(UsageError, match="engine 'dask' is not known"):
        create_schedule(catalog, name="a", options={"engine": "dask"}, **common)
    with pytest.raises(UsageError, match="need engine=spark"):
        create_schedule(catalog, name="b", options={"spark_master": "local[2]"}, **common)
    with pytest.raises(UsageError, match="spark_conf must map"):
        create_schedule(
            catalog, name="c", options={"engine": "spark", "spark_conf": ["x"]}, **common
        )
