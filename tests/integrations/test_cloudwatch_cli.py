"""``--metrics cloudwatch`` and ``WATCHKEEPER_METRICS`` on the commands that run checks:
``monitor run`` and ``watch``, as real processes against CloudWatch on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import numpy as np
from test_cloudwatch import World

from cloudwatch_service import DATA_METRICS, closed_port_url
from watchkeeper.integrations.cloudwatch import series_name

UTC = dt.UTC
LANDING_METRICS = "watchkeeper/landing-files"


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env}
    command = [sys.executable, "-m", "watchkeeper", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, check=False, timeout=300
    )


def test_monitor_run_publishes_with_the_setting_and_records_a_failed_publish(
    tmp_path, database_url, cloudwatch
):
    world = World(tmp_path, database_url, [])
    name = world.schedule("cli")
    world.traffic(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC), 300, seed=6)
    world.traffic(dt.datetime(2026, 11, 20, 10, 40, tzinfo=UTC), 300, seed=7)
    common = ("monitor", "run", "--schedule", name, "--json", "--database", database_url)
    bad = run_cli(*common, "--metrics", "statsd")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "error: metrics destination 'statsd' is not known: use none, cloudwatch, emf, mlflow"
    ]
    ran = run_cli(*common, "--window", "2026-11-20T09:00/2026-11-20T10:00",
                  WATCHKEEPER_METRICS="cloudwatch")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    execution = json.loads(ran.stdout)
    assert execution["status"] == "Completed" and execution["metrics_error"] is None
    listed = cloudwatch.metrics(DATA_METRICS, {"Endpoint": world.endpoint,
                                               "MonitoringSchedule": name})  # fmt: skip
    recorded = {series_name(p.name, p.statistic) for p in world.store.metrics_of(execution["id"])}
    assert set(listed) == recorded and "feature_data_tenure" in recorded
    # CloudWatch down: the window is judged all the same, and says why no series went out
    window = "2026-11-20T10:00/2026-11-20T11:00"
    down = run_cli(*common, "--window", window, "--metrics", "cloudwatch",
                   AWS_ENDPOINT_URL_CLOUDWATCH=closed_port_url())  # fmt: skip
    assert down.returncode == 0, down.stderr
    execution = json.loads(down.stdout)
    assert execution["status"] == "Completed"
    assert execution["metrics_error"].startswith("CloudWatch PutMetricData to " + DATA_METRICS)
    assert "Traceback" not in down.stderr
    described = run_cli("executions", "describe", str(execution["id"]), "--database", database_url)
    assert f"metrics not published: {execution['metrics_error']}" in described.stdout


def test_watch_once_publishes_each_files_series_under_its_source(tmp_path, cloudwatch):
    landing = tmp_path / f"landing-{os.getpid()}-{np.random.default_rng().integers(1e9)}"
    landing.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text("defaults:\n  max_missing: 50%\n")
    rng = np.random.default_rng(3)
    for day in (1, 2):
        values = rng.normal(10, 2, 200).round(2)
        lines = ["amount,units"] + [f"{value},{i % 7}" for i, value in enumerate(values)]
        (landing / f"day-{day}.csv").write_text("\n".join(lines) + "\n")
    common = ("watch", str(landing), "--rules", str(rules), "--once", "--settle", "0",
              "--database", f"sqlite:///{tmp_path / 'catalog.db'}")  # fmt: skip
    # CloudWatch down: both files are checked, each says its series did not go out
    down = run_cli(*common, "--metrics", "cloudwatch",
                   AWS_ENDPOINT_URL_CLOUDWATCH=closed_port_url())  # fmt: skip
    assert down.returncode == 0, down.stdout + down.stderr
    assert down.stdout.count("ok ") == 2
    warnings = [line for line in down.stdout.splitlines() if line.startswith("warning ")]
    assert len(warnings) == 2
    assert all("metrics not published: CloudWatch PutMetricData" in w for w in warnings)
    # CloudWatch back: the next file's series arrive, with the folder as their Source
    (landing / "day-3.csv").write_text("amount,units\n1.5,1\n2.5,2\n,3\n")
    before = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    up = run_cli(*common, WATCHKEEPER_METRICS="cloudwatch")
    after = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "warning" not in up.stdout and up.stdout.count("ok ") == 1
    sources = {
        dimension["Value"]
        for page in cloudwatch.client.get_paginator("list_metrics").paginate(
            Namespace=LANDING_METRICS, MetricName="feature_non_null_amount"
        )
        for metric in page["Metrics"]
        for dimension in metric["Dimensions"]
        if dimension["Name"] == "Source"
    }
    [source] = [value for value in sources if landing.name in value]
    query = [("feature_non_null_amount", "Average")]
    [read] = cloudwatch.values(LANDING_METRICS, {"Source": source}, query, before, after).values()
    assert read == [2 / 3]
