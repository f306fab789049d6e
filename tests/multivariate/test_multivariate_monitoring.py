"""A scheduled data-quality job judges multivariate drift on captured traffic and
records its series, which /metrics serves and the dashboard charts with its band."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest
from multivariate_data import correlated

import watchkeeper
from clocks import Clock
from live import LiveServer
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import COMPLETED, COMPLETED_WITH_VIOLATIONS, Catalog, MonitoringStore
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.monitor.rest import ExecutionMetrics, create_monitor_app
from watchkeeper.ui import create_ui_app

UTC = dt.UTC
SERIES = "multivariate_reconstruction_error"


def _capture(folder: Path, clock: Clock, table: pa.Table) -> None:
    writer = CaptureWriter(str(folder / "capture"), "pricing", clock=clock.timestamp)
    for row in table.drop_columns(["id"]).to_pylist():
        writer.capture(json.dumps(row), "application/json", '{"score": 0.5}', "application/json")
    writer.close()


def test_a_window_with_a_flipped_correlation_records_the_series(tmp_path, database_url):
    training = correlated(4_000, 0.8, 1).drop_columns(["id"])
    watchkeeper.suggest_baseline(training, tmp_path / "baseline")
    catalog = Catalog(database_url)
    clock = Clock(dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    create_schedule(
        catalog,
        name="pricing-hourly",
        endpoint="pricing",
        capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"),
        report=str(tmp_path / "monitoring"),
        cron="cron(0 * ? * * *)",
        created_at=clock.now,
    )
    store = MonitoringStore(catalog)
    scheduler = Scheduler(store, clock=clock)
    clock.now = dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC)
    _capture(tmp_path, clock, correlated(1_500, 0.8, 2))
    clock.now = dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC)
    [quiet] = scheduler.run_pending()
    assert quiet.status == COMPLETED, quiet.exit_message
    points = {p.statistic: p.value for p in store.latest_metrics() if p.name == SERIES}
    assert points["Lower"] <= points["Value"] <= points["Upper"]
    quiet_value, quiet_lower, quiet_upper = points["Value"], points["Lower"], points["Upper"]

    clock.now = dt.datetime(2026, 11, 20, 10, 20, tzinfo=UTC)
    _capture(tmp_path, clock, correlated(1_500, -0.8, 3))
    clock.now = dt.datetime(2026, 11, 20, 11, 0, 5, tzinfo=UTC)
    [flipped] = scheduler.run_pending()
    assert flipped.status == COMPLETED_WITH_VIOLATIONS
    violations = json.loads(Path(flipped.artifacts["violations"]).read_text())["violations"]
    assert [v["constraint_check_type"] for v in violations] == ["multivariate_drift_check"]
    assert violations[0]["feature_name"] == "x, y, z, plan"
    assert '<section id="multivariate">' in Path(flipped.artifacts["html"]).read_text()
    points = {p.statistic: p.value for p in store.latest_metrics() if p.name == SERIES}
    assert points["Value"] > points["Upper"] > points["Lower"]

    server = LiveServer(create_monitor_app(catalog)).start()
    try:
        with server.client() as client:
            text = client.get("/metrics").text
    finally:
        server.stop()
    line = next(
        line
        for line in text.splitlines()
        if line.startswith(f"{SERIES}{{") and 'statistic="Value"' in line
    )
    assert 'endpoint="pricing"' in line and 'schedule="pricing-hourly"' in line
    assert float(line.rsplit(" ", 1)[1]) == points["Value"]

    dashboard = create_ui_app(
        catalog, tokens=[], refresh_seconds=None, collectors=[ExecutionMetrics(catalog)]
    )
    server = LiveServer(dashboard).start()
    try:
        with server.client() as client:
            # charted with no history rule: on the executions page, of one schedule or
            # all, and on the endpoint's dataset page
            pages = [client.get(path).text for path in
                     ("/executions?schedule=pricing-hourly", "/executions", "/datasets/pricing")]
            served = client.get("/metrics").text
    finally:
        server.stop()
    for page in pages:
        [chart] = charts_of(page, SERIES)
        traces = {trace["name"]: trace for trace in chart["data"]}
        # the page's figures keep 12 significant digits
        assert traces[SERIES]["y"] == pytest.approx([quiet_value, points["Value"]], rel=1e-9)
        assert traces["expected band"]["y"] == pytest.approx([quiet_upper, points["Upper"]],
                                                             rel=1e-9)  # fmt: skip
        assert traces["band low"]["y"] == pytest.approx([quiet_lower, points["Lower"]], rel=1e-9)
        assert traces["anomalies"]["y"] == pytest.approx([points["Value"]], rel=1e-9)
    assert f'{SERIES}{{endpoint="pricing",schedule="pricing-hourly",statistic="Value"}}' in served


def charts_of(page: str, series: str) -> list[dict]:
    """The figures of the page's charts of ``series``."""
    found = re.findall(
        rf'data-series="{series}"></div>\s*<script type="application/json" class="figure" '
        r'data-target="[^"]+">(.*?)</script>',
        page,
        re.S,
    )
    return [json.loads(figure) for figure in found]
