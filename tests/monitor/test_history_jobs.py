"""Scheduled jobs judging their metric series against their own history: a level shift
in a captured feature becomes a violation of its execution, kept with its band and
alerted; the windows before it are judged and quiet."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from clocks import Clock, at
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    Catalog,
    MonitoringStore,
    Schedule,
)
from watchkeeper.errors import UsageError
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.monitor.history_job import judge_history
from watchkeeper.notify import Notifier

SERIES = "feature_data_monthly_charge"
RULE = {"metric": SERIES, "statistic": "Sum", "method": "rolling", "window": 4, "k": 3}


def traffic(count: int, seed: int, shift: float = 0.0) -> list[dict]:
    rng = np.random.default_rng(seed)
    charges = rng.normal(60 + shift, 10, count).round(2)
    tenures = rng.integers(1, 72, count)
    pairs = zip(tenures, charges, strict=True)
    return [{"tenure": int(t), "monthly_charge": float(c)} for t, c in pairs]


@pytest.fixture
def world(tmp_path, database_url, webhook_server):
    watchkeeper.suggest_baseline(pa.Table.from_pylist(traffic(2000, seed=1)), tmp_path / "base")
    clock = Clock(at(9, 30))
    catalog = Catalog(database_url)
    create_schedule(
        catalog,
        name="charges-hourly",
        endpoint="charges",
        capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "base"),
        report=str(tmp_path / "monitoring"),
        cron="0 * * * *",
        created_at=clock.now,
        options={"history": [RULE]},
    )
    notifier = Notifier([f"json://{webhook_server.address}/alerts"], catalog)
    return tmp_path, clock, MonitoringStore(catalog), Scheduler(
        MonitoringStore(catalog), notifier=notifier, clock=clock
    )


def run_hour(path, clock: Clock, scheduler: Scheduler, hour: int, rows: list[dict]):
    clock.now = at(hour, 20)
    writer = CaptureWriter(str(path / "capture"), "charges", clock=clock.timestamp)
    for row in rows:
        writer.capture(json.dumps(row), "application/json", "{\"score\": 0.5}",
                       "application/json")  # fmt: skip
    writer.close()
    clock.now = at(hour + 1, 0, 5)
    [execution] = scheduler.run_pending()
    return execution


def test_a_level_shift_in_a_metric_series_is_an_anomaly_of_its_execution(world, webhook_server):
    path, clock, store, scheduler = world
    for hour in range(10, 16):
        quiet = run_hour(path, clock, scheduler, hour, traffic(300, seed=hour))
        assert quiet.violations == 0, quiet.exit_message
    judged = store.judgements("charges-hourly", SERIES, "Sum")
    # one point per window; the first four have no four earlier points to be judged by
    assert [j.expected is not None for j in judged] == [False] * 4 + [True] * 2
    assert not any(j.anomalous for j in judged)
    assert webhook_server.posts == []
    # the charges rise by 3 (0.3 sd): each row is not unusual; the window's sum is
    shifted = run_hour(path, clock, scheduler, 16, traffic(300, seed=16, shift=3.0))
    assert shifted.status == COMPLETED_WITH_VIOLATIONS
    last = store.judgements("charges-hourly", SERIES, "Sum")[-1]
    assert last.anomalous and last.method == "rolling" and last.timestamp == at(17)
    sums = [p.value for p in store.metric_series("charges-hourly", SERIES, "Sum")]
    earlier = np.array(sums[-5:-1])
    assert last.value == pytest.approx(sums[-1])
    assert last.expected == pytest.approx(earlier.mean())
    assert last.high == pytest.approx(earlier.mean() + 3 * earlier.std(ddof=1))
    assert last.value > last.high
    # only the configured series is judged
    assert {j.name for j in store.judgements("charges-hourly")} == {SERIES}
    # listed in the window's constraint_violations.json with the others it counts
    listed = json.loads(Path(shifted.artifacts["violations"]).read_text())["violations"]
    assert len(listed) == shifted.violations
    [history] = [v for v in listed if v["constraint_check_type"] == "metric_history_check"]
    assert history["feature_name"] == SERIES
    assert "is above the rolling 4-point mean ± 3 sd band" in history["description"]
    # alerted through the same channel as the window's other violations
    alert = webhook_server.posts[-1].json["message"]
    assert SERIES in alert and "anomalous against its history" in alert


def test_a_bad_history_rule_is_refused_when_the_schedule_is_created(tmp_path, database_url):
    watchkeeper.suggest_baseline(pa.Table.from_pylist(traffic(200, seed=1)), tmp_path / "base")
    with pytest.raises(UsageError) as error:
        create_schedule(
            Catalog(database_url),
            name="charges-hourly",
            endpoint="charges",
            capture=str(tmp_path / "capture"),
            baseline=str(tmp_path / "base"),
            report=str(tmp_path / "monitoring"),
            options={"history": [RULE, {**RULE, "method": "seasonal", "window": 4}]},
        )
    assert str(error.value).startswith("history[1]: window: not a parameter of method seasonal")
    assert MonitoringStore(Catalog(database_url)).schedules() == []



def test_a_series_that_cannot_be_judged_is_logged_and_the_others_are_judged(
    database_url, caplog
):
    store = MonitoringStore(Catalog(database_url))
    rules = [{"metric": name, "method": "rolling", "window": 3} for name in ("huge", "calm")]
    schedule = store.create_schedule(
        Schedule(name="s", endpoint="e", capture="c", baseline="b", report="r",
                 cron="0 * * * *", options={"history": rules})
    )  # fmt: skip
    calm = {10: 1.0, 11: 1.01, 12: 0.99, 13: 2.0}  # a jump at 13:00
    for hour in range(10, 14):
        execution = store.start_execution(schedule, at(hour), (at(hour - 1), at(hour)))
        store.finish_execution(
            execution.id,
            status=COMPLETED,
            metrics=[("huge", "Value", 1e200 * (1 + hour % 2)), ("calm", "Value", calm[hour])],
        )
    last = store.execution(execution.id)
    with caplog.at_level(logging.WARNING, logger="watchkeeper.monitor"):
        finished, violations = judge_history(store, schedule, last)
    assert "s: huge (Value) not judged against its history" in caplog.text
    [calm] = store.judgements("s")
    assert (calm.name, calm.anomalous, calm.timestamp) == ("calm", True, at(13))
    assert [v.feature_name for v in violations] == ["calm"]
    assert finished.status == COMPLETED_WITH_VIOLATIONS and finished.violations == 1


def test_the_cli_takes_history_rules_as_an_option_and_refuses_a_bad_one(tmp_path, database_url):
    watchkeeper.suggest_baseline(pa.Table.from_pylist(traffic(200, seed=1)), tmp_path / "base")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}

    def create(history: str) -> subprocess.CompletedProcess:
        command = [
            sys.executable, "-m", "watchkeeper", "schedule", "create", "--name", "charges",
            "--endpoint", "charges", "--baseline", str(tmp_path / "base"),
            "--option", f"history={history}", "--database", database_url,
        ]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    bad = create('[{"metric": "feature_non_null_plan", "method": "rolling", "k": "three"}]')
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "history[0].k must be a positive number, got 'three'" in bad.stderr
    made = create(json.dumps([RULE]))
    assert made.returncode == 0, made.stderr
    [schedule] = MonitoringStore(Catalog(database_url)).schedules()
    assert schedule.options == {"history": [RULE]}
