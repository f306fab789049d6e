"""A monitoring execution's metric series in CloudWatch (moto's, on 127.0.0.1), read back
with ListMetrics and GetMetricData and compared with the execution's statistics.json."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from clocks import Clock
from cloudwatch_service import DATA_METRICS, closed_port_url
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import COMPLETED, COMPLETED_WITH_VIOLATIONS, Catalog, MonitoringStore
from watchkeeper.integrations.cloudwatch import (
    CloudWatchMetrics,
    batches,
    metric_data,
    metrics_from_settings,
    series_name,
)
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.notify import Notifier

UTC = dt.UTC


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


class World:
    """A baseline, an endpoint's capture folder, schedules on it and a clock at 09:30."""

    def __init__(self, path: Path, database_url: str, notify: list[str]) -> None:
        self.path = path
        training = rows(3000, seed=1)
        for row in training[::7]:
            row["monthly_charge"] = None  # completeness below 1 in the baseline too
        watchkeeper.suggest_baseline(pa.Table.from_pylist(training), path / "baseline")
        self.clock = Clock(dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
        self.catalog = Catalog(database_url)
        self.store = MonitoringStore(self.catalog)
        self.notifier = Notifier(notify, self.catalog)
        # names of their own: the CloudWatch server lives as long as the test session
        self.endpoint = f"churn-{uuid.uuid4().hex[:8]}"

    def schedule(self, name: str) -> str:
        create_schedule(
            self.catalog,
            name=f"{name}-{self.endpoint}",
            endpoint=self.endpoint,
            capture=str(self.path / "capture"),
            baseline=str(self.path / "baseline"),
            report=str(self.path / "monitoring"),
            cron="0 * * * *",
            created_at=self.clock.now,
        )
        return f"{name}-{self.endpoint}"

    def traffic(self, at: dt.datetime, count: int, seed: int, shift: float = 0.0) -> None:
        self.clock.now = at
        folder = str(self.path / "capture")
        writer = CaptureWriter(folder, self.endpoint, clock=self.clock.timestamp)
        for row in rows(count, seed, shift):
            if row["tenure"] % 5 == 0:
                row["monthly_charge"] = None
            writer.capture(json.dumps(row), "application/json", '{"score": 0.5}',
                           "application/json")  # fmt: skip
        writer.close()

    def run(self, at: dt.datetime, metrics) -> list:
        self.clock.now = at
        scheduler = Scheduler(self.store, notifier=self.notifier, clock=self.clock,
                              metrics=metrics)  # fmt: skip
        return scheduler.run_pending()


@pytest.fixture
def world(tmp_path, database_url):
    return World(tmp_path, database_url, [])


def test_an_executions_series_read_back_from_cloudwatch_equal_its_statistics(world, cloudwatch):
    name = world.schedule("hourly")
    world.traffic(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC), 800, seed=2, shift=25.0)
    [execution] = world.run(dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC),
                            metrics_from_settings("cloudwatch"))  # fmt: skip
    assert execution.status == COMPLETED_WITH_VIOLATIONS and execution.metrics_error is None
    dimensions = {"Endpoint": world.endpoint, "MonitoringSchedule": name}
    listed = cloudwatch.metrics(DATA_METRICS, dimensions)
    recorded = world.store.metrics_of(execution.id)
    assert set(listed) == {series_name(point.name, point.statistic) for point in recorded}
    statistics = json.loads(Path(execution.artifacts["statistics"]).read_text())
    features = {feature["name"]: feature for feature in statistics["features"]}
    assert set(features) == {"tenure", "monthly_charge", "plan"}
    at = execution.window_end
    queries = [
        (f"feature_data_{feature}", statistic)
        for feature in ("tenure", "monthly_charge")
        for statistic in ("SampleCount", "Sum", "Minimum", "Maximum")
    ] + [(f"feature_non_null_{feature}", "Average") for feature in features]
    drift = [point for point in recorded if point.name.startswith("feature_baseline_drift_")]
    queries += [(point.name, "Average") for point in drift]
    read = cloudwatch.values(DATA_METRICS, dimensions, queries, at)
    for feature in ("tenure", "monthly_charge"):
        numbers = features[feature]["numerical_statistics"]
        present = numbers["common"]["num_present"]
        assert read[(f"feature_data_{feature}", "SampleCount")] == [present]
        assert read[(f"feature_data_{feature}", "Sum")] == [pytest.approx(numbers["sum"])]
        assert read[(f"feature_data_{feature}", "Minimum")] == [numbers["min"]]
        assert read[(f"feature_data_{feature}", "Maximum")] == [numbers["max"]]
    for feature, entry in features.items():
        common = next(value for key, value in entry.items() if key.endswith("_statistics"))
        common = common["common"]
        completeness = common["num_present"] / (common["num_present"] + common["num_missing"])
        assert read[(f"feature_non_null_{feature}", "Average")] == [pytest.approx(completeness)]
    assert read[("feature_non_null_monthly_charge", "Average")][0] < 0.9  # nulls were sent
    # the drift figure judged, as the catalog keeps it: monthly_charge drifted
    assert {point.name for point in drift} >= {"feature_baseline_drift_monthly_charge"}
    for point in drift:
        assert read[(point.name, "Average")] == [pytest.approx(point.value)]
    violations = json.loads(Path(execution.artifacts["violations"]).read_text())["violations"]
    assert "monthly_charge" in {v["feature_name"] for v in violations}


def test_emit_metrics_disabled_publishes_nothing(world, cloudwatch):
    file = world.path / "baseline" / "constraints.json"
    document = json.loads(file.read_text())
    document["monitoring_config"]["emit_metrics"] = "Disabled"
    file.write_text(json.dumps(document))
    name = world.schedule("quiet")
    world.traffic(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC), 300, seed=3)
    [execution] = world.run(dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC),
                            metrics_from_settings("cloudwatch"))  # fmt: skip
    assert execution.status in (COMPLETED, COMPLETED_WITH_VIOLATIONS)
    assert execution.metrics_error is None
    dimensions = {"Endpoint": world.endpoint, "MonitoringSchedule": name}
    assert cloudwatch.metrics(DATA_METRICS, dimensions) == {}


def test_a_destination_that_is_down_fails_the_publishing_not_the_scheduler(
    tmp_path, database_url, webhook_server, cloudwatch, monkeypatch
):
    world = World(tmp_path, database_url, [f"json://{webhook_server.address}/alerts"])
    first, second = world.schedule("first"), world.schedule("second")
    world.traffic(dt.datetime(2026, 11, 20, 9, 40, tzinfo=UTC), 300, seed=4)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", closed_port_url())
    down = metrics_from_settings("cloudwatch")
    ran = world.run(dt.datetime(2026, 11, 20, 10, 0, 5, tzinfo=UTC), down)
    # both windows ran and kept their verdict; each says why its series are missing
    assert sorted(execution.schedule for execution in ran) == sorted([first, second])
    for execution in ran:
        assert execution.status == COMPLETED
        assert "CloudWatch PutMetricData" in execution.metrics_error
        assert world.store.execution(execution.id).metrics_error == execution.metrics_error
        assert world.store.metrics_of(execution.id)  # the catalog's series stand
    texts = [post.json["message"] for post in webhook_server.posts]
    assert len(texts) == 2 and all("not published" in text for text in texts)
    assert {first, second} == {
        name for name in (first, second) for text in texts if name in text
    }
    # the next window, with CloudWatch back, is published
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", cloudwatch.endpoint_url)
    world.traffic(dt.datetime(2026, 11, 20, 10, 20, tzinfo=UTC), 300, seed=5)
    ran = world.run(dt.datetime(2026, 11, 20, 11, 0, 5, tzinfo=UTC),
                    metrics_from_settings("cloudwatch"))  # fmt: skip
    assert [execution.metrics_error for execution in ran] == [None, None]
    dimensions = {"Endpoint": world.endpoint, "MonitoringSchedule": first}
    assert "feature_non_null_tenure" in cloudwatch.metrics(DATA_METRICS, dimensions)


def test_batches_keep_within_a_thousand_items(cloudwatch):
    """1,500 features' series go out in two calls and all arrive; long dimension values
    make smaller calls, each within PutMetricData's megabyte."""
    at = dt.datetime.now(UTC).replace(microsecond=0)
    endpoint = f"wide-{uuid.uuid4().hex[:8]}"
    points = [(f"feature_non_null_f{i}", "Value", i / 1500) for i in range(1500)]
    assert [len(batch) for batch in batches(metric_data(points, {"Endpoint": endpoint}, at))] == [
        1000,
        500,
    ]
    long = metric_data(points, {"Endpoint": "e" * 1024, "MonitoringSchedule": "s" * 1024}, at)
    sizes = [len(json.dumps(batch, default=str)) for batch in batches(long)]
    assert len(sizes) > 2 and max(sizes) < 1_000_000
    sent = CloudWatchMetrics(namespace="watchkeeper/test").publish(
        points, {"Endpoint": endpoint}, kind="data-quality", timestamp=at
    )
    assert sent == 1500
    listed = cloudwatch.metrics("watchkeeper/test", {"Endpoint": endpoint})
    assert len(listed) == 1500
    read = cloudwatch.values("watchkeeper/test", {"Endpoint": endpoint},
                             [("feature_non_null_f1499", "Average")], at)  # fmt: skip
    assert read[("feature_non_null_f1499", "Average")] == [pytest.approx(1499 / 1500)]


def test_bias_series_by_facet_and_values_cloudwatch_refuses_left_out(cloudwatch):
    at = dt.datetime.now(UTC).replace(microsecond=0)
    schedule = f"bias-{uuid.uuid4().hex[:8]}"
    dimensions = {"Endpoint": "credit", "MonitoringSchedule": schedule}
    points = [
        ("bias_metric_DPPL", "sex=0", 0.25),
        ("bias_metric_DPPL", "sex=1", -0.25),
        ("bias_metric_CI", "sex=0", float("nan")),
        ("bias_metric_KL", "sex=0", float("inf")),
        ("bias_metric_LP", "sex=0", 1e200),
        ("bias_metric_TVD", "sex=0", 1e-200),
    ]
    sent = metrics_from_settings("cloudwatch").publish(
        points, dimensions, kind="model-bias", timestamp=at
    )
    assert sent == 3  # NaN, infinity and 1e200 (beyond 2^360) are left out
    namespace = "aws/sagemaker/Endpoints/bias-metrics"
    for value in ("0", "1"):
        facet = {**dimensions, "Facet": "sex", "FacetValue": value}
        assert set(cloudwatch.metrics(namespace, facet)) == (
            {"bias_metric_DPPL", "bias_metric_TVD"} if value == "0" else {"bias_metric_DPPL"}
        )
        read = cloudwatch.values(namespace, facet, [("bias_metric_DPPL", "Average")], at)
        assert read[("bias_metric_DPPL", "Average")] == [0.25 if value == "0" else -0.25]
    zero = {**dimensions, "Facet": "sex", "FacetValue": "0"}
    assert cloudwatch.values(namespace, zero, [("bias_metric_TVD", "Average")], at)[
        ("bias_metric_TVD", "Average")
    ] == [0.0]  # below what CloudWatch stores: zero
