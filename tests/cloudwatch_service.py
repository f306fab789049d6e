"""CloudWatch on 127.0.0.1 (the moto server the S3 tests use) and how to read it back."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass
from typing import Any

import pytest

DATA_METRICS = "aws/sagemaker/Endpoints/data-metrics"


@dataclass(frozen=True)
class CloudWatch:
    endpoint_url: str
    client: Any

    def metrics(self, namespace: str, dimensions: dict[str, str]) -> dict[str, dict]:
        """The metrics ListMetrics gives for exactly ``dimensions``, by name."""
        wanted = sorted(dimensions.items())
        found = {}
        pages = self.client.get_paginator("list_metrics").paginate(Namespace=namespace)
        for page in pages:
            for metric in page["Metrics"]:
                have = sorted((d["Name"], d["Value"]) for d in metric["Dimensions"])
                if have == wanted:
                    found[metric["MetricName"]] = metric
        return found

    def values(
        self,
        namespace: str,
        dimensions: dict[str, str],
        queries: list[tuple[str, str]],
        at: dt.datetime,
        until: dt.datetime | None = None,
    ) -> dict[tuple[str, str], list[float]]:
        """GetMetricData of (metric name, statistic) pairs over the minute around ``at``,
        or from ``at`` to ``until`` in one period."""
        start, end = at - dt.timedelta(seconds=30), at + dt.timedelta(seconds=30)
        if until is not None:
            start, end = at, until
        period = 60 * (int((end - start).total_seconds()) // 60 + 1)
        found: dict[tuple[str, str], list[float]] = {}
        for first in range(0, len(queries), 500):  # GetMetricData takes 500 queries
            chunk = queries[first : first + 500]
            answer = self.client.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": f"q{number}",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": namespace,
                                "MetricName": name,
                                "Dimensions": [
                                    {"Name": key, "Value": value}
                                    for key, value in dimensions.items()
                                ],
                            },
                            "Period": period,
                            "Stat": statistic,
                        },
                    }
                    for number, (name, statistic) in enumerate(chunk)
                ],
                StartTime=start,
                EndTime=end,
            )
            for result in answer["MetricDataResults"]:
                found[chunk[int(result["Id"][1:])]] = result["Values"]
        return found


@pytest.fixture
def cloudwatch(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> CloudWatch:
    """boto3 pointed at the local CloudWatch, with dummy credentials only it accepts."""
    import boto3

    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", s3_endpoint)
    return CloudWatch(s3_endpoint, boto3.client("cloudwatch", endpoint_url=s3_endpoint))


def closed_port_url() -> str:
    """The address of a port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
