"""The monitoring REST API on a real server, /metrics, and the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time

import httpx
import pytest
import uvicorn
from test_jobs import capture_traffic, rows, score

import watchkeeper
from watchkeeper.catalog import Catalog
from watchkeeper.monitor.rest import create_monitor_app

UTC = dt.UTC


@pytest.fixture
def baseline(tmp_path):
    import pyarrow as pa

    table = pa.Table.from_pylist([{"score": score(r), **r} for r in rows(2000, seed=1)])
    watchkeeper.suggest_baseline(table, tmp_path / "baseline")
    return tmp_path / "baseline"


@pytest.fixture
def server(database_url):
    app = create_monitor_app(Catalog(database_url))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    while not running.started:
        time.sleep(0.02)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_rest_schedules_executions_and_metrics(server, baseline, tmp_path):
    from test_jobs import Clock

    client = httpx.Client(base_url=server, timeout=30)
    body = {
        "name": "churn-hourly",
        "endpoint": "churn",
        "baseline": str(baseline),
        "report": str(tmp_path / "monitoring"),
        "capture": str(tmp_path / "capture"),
        "cron": "cron(0 * ? * * *)",
    }
    created = client.post("/api/v1/schedules", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["cron"] == "0 * * * *"
    assert client.post("/api/v1/schedules", json=body).status_code == 422  # exists
    bad = client.post("/api/v1/schedules", json={**body, "name": "x", "cron": "every hour"})
    assert bad.status_code == 422 and "five fields" in bad.json()["detail"]
    assert [s["name"] for s in client.get("/api/v1/schedules").json()] == ["churn-hourly"]
    clock = Clock(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC))
    capture_traffic(tmp_path, clock, rows(500, seed=2, shift=25.0))
    ran = client.post(
        "/api/v1/schedules/churn-hourly/run", params={"window": "2026-11-20T09:00/2026-11-20T10:00"}
    )
    assert ran.status_code == 200, ran.text
    execution = ran.json()
    assert execution["status"] == "CompletedWithViolations" and execution["records"] == 500
    again = client.post(
        "/api/v1/schedules/churn-hourly/run", params={"window": "2026-11-20T09:00/2026-11-20T10:00"}
    )
    assert again.status_code == 409
    [listed] = client.get("/api/v1/executions", params={"schedule": "churn-hourly"}).json()
    assert listed["id"] == execution["id"]
    assert client.get(f"/api/v1/executions/{execution['id']}").json()["window_end"] == (
        "2026-11-20T10:00:00Z"
    )
    assert client.get("/api/v1/executions/9999").status_code == 404
    metrics = client.get("/metrics").text
    assert (
        'feature_baseline_drift_monthly_charge{endpoint="churn",schedule="churn-hourly"' in metrics
    )
    assert "feature_non_null_plan" in metrics
    assert client.delete("/api/v1/schedules/churn-hourly").status_code == 204
    assert client.get("/api/v1/schedules/churn-hourly").status_code == 404


def run_cli(*args: str, database: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    command = [sys.executable, "-m", "watchkeeper", *args, "--database", database]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_cli_schedules_runs_and_executions(tmp_path, baseline, database_url):
    from test_jobs import Clock

    bad = run_cli(
        "schedule", "create", "--name", "x", "--endpoint", "churn", "--baseline", str(baseline),
        "--cron", "61 * * * *", database=database_url,
    )  # fmt: skip
    assert bad.returncode == 2 and "not a valid cron expression" in bad.stderr
    assert "Traceback" not in bad.stderr
    made = run_cli(
        "schedule", "create", "--name", "churn-hourly", "--endpoint", "churn",
        "--baseline", str(baseline), "--capture", str(tmp_path / "capture"),
        "--report", str(tmp_path / "monitoring"), database=database_url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    listed = run_cli("schedule", "list", "--json", database=database_url)
    assert [s["name"] for s in json.loads(listed.stdout)] == ["churn-hourly"]
    clock = Clock(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC))
    capture_traffic(tmp_path, clock, rows(400, seed=3))
    ran = run_cli(
        "monitor", "run", "--schedule", "churn-hourly",
        "--window", "2026-11-20T09:00/2026-11-20T10:00", "--json", database=database_url,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(ran.stdout)["status"] == "Completed"
    again = run_cli(
        "monitor", "run", "--schedule", "churn-hourly",
        "--window", "2026-11-20T09:00/2026-11-20T10:00", database=database_url,
    )  # fmt: skip
    assert again.returncode == 2
    assert again.stderr.splitlines() == [
        "error: the window 2026-11-20 09:00 to 2026-11-20 10:00 UTC has an execution already "
        "(see `watchkeeper executions list`)"
    ]
    described = run_cli("executions", "describe", "1", database=database_url)
    assert "Completed: Job completed successfully with no violations." in described.stdout
    empty = run_cli(
        "monitor", "run", "--schedule", "churn-hourly",
        "--window", "2026-11-21T09:00/2026-11-21T10:00", "--json", database=database_url,
    )  # fmt: skip
    assert empty.returncode == 1
    assert "no captured records" in json.loads(empty.stdout)["failure_reason"]


def test_the_model_server_shows_the_latest_monitoring_results(tmp_path, baseline, database_url):
    import socket

    import joblib
    import numpy as np
    from sklearn.linear_model import LinearRegression
    from test_jobs import Clock

    made = run_cli(
        "schedule", "create", "--name", "churn-hourly", "--endpoint", "churn",
        "--baseline", str(baseline), "--capture", str(tmp_path / "capture"),
        "--report", str(tmp_path / "monitoring"), database=database_url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    capture_traffic(
        tmp_path, Clock(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC)), rows(300, seed=6)
    )
    ran = run_cli(
        "monitor", "run", "--schedule", "churn-hourly",
        "--window", "2026-11-20T09:00/2026-11-20T10:00", database=database_url,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    model = LinearRegression().fit(np.arange(10.0).reshape(5, 2), np.arange(5.0))
    joblib.dump(model, tmp_path / "model.joblib")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable, "-m", "watchkeeper", "serve", str(tmp_path / "model.joblib"),
        "--name", "churn", "--port", str(port), "--database", database_url,
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert 'feature_non_null_monthly_charge{endpoint="churn",schedule="churn-hourly"' in metrics
    assert "watchkeeper_requests_total" in metrics
