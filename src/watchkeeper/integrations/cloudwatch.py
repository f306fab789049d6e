"""Metric series to Amazon CloudWatch: PutMetricData from a server, EMF from a Lambda.

The series are those a check or a monitoring execution records (SageMaker's names:
``feature_data_<name>``, ``feature_non_null_<name>``, ``feature_baseline_drift_<name>``,
…). Where they go is ``--metrics`` or ``WATCHKEEPER_METRICS``:

* ``none`` (the default): nowhere but the catalog (and Prometheus' ``/metrics``);
* ``cloudwatch``: PutMetricData through boto3; inside an AWS Lambda function
  (``AWS_LAMBDA_FUNCTION_NAME`` set) Embedded Metric Format lines on stdout instead,
  which CloudWatch Logs turns into the same metrics without a call from the function;
* ``emf``: EMF lines on stdout wherever it runs (for a CloudWatch agent beside a container).

The namespace is SageMaker's for each kind of execution (``aws/sagemaker/Endpoints/
data-metrics`` for data quality, ``…/model-metrics``, ``…/bias-metrics``,
``…/explainability-metrics``) and ``watchkeeper/landing-files`` for file checks, unless
``WATCHKEEPER_METRICS_NAMESPACE`` names one for all. The region is
``WATCHKEEPER_METRICS_REGION``, else ``AWS_REGION``, else boto3's own
(``AWS_DEFAULT_REGION``, ``~/.aws/config``); the endpoint boto3's
(``AWS_ENDPOINT_URL_CLOUDWATCH`` for a CloudWatch-compatible service).

Executions have SageMaker's dimensions ``Endpoint`` and ``MonitoringSchedule``; a file
check has ``Source`` (the watched folder or bucket), so that an alarm set on
``feature_non_null_<name>`` there holds for every file that lands. A numeric feature's
``feature_data_<name>`` is one statistic set (SampleCount, Sum, Minimum, Maximum), as
SageMaker publishes it; EMF has no statistic sets, so there it is four metrics,
``feature_data_<name>_SampleCount`` and so on. Bias series are per facet (dimensions
``Facet`` and ``FacetValue``), attribution series per label (``Label``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from watchkeeper.catalog.monitoring import (
    DATA_QUALITY,
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    MODEL_QUALITY,
)
from watchkeeper.checks.metrics import LANDING_FILES
from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.notify.messages import failure_reason

DESTINATIONS = ("none", "cloudwatch", "emf")
NAMESPACES = {
    DATA_QUALITY: "aws/sagemaker/Endpoints/data-metrics",
    MODEL_QUALITY: "aws/sagemaker/Endpoints/model-metrics",
    MODEL_BIAS: "aws/sagemaker/Endpoints/bias-metrics",
    MODEL_EXPLAINABILITY: "aws/sagemaker/Endpoints/explainability-metrics",
    LANDING_FILES: "watchkeeper/landing-files",
}
STATISTIC_SET = ("SampleCount", "Sum", "Minimum", "Maximum")
# the band a judged figure (multivariate drift) is recorded with, beside its "Value"
BAND = ("Lower", "Upper")
VALUE = "Value"
UNIT = "None"
# PutMetricData: at most 1000 items and 1 MB a request; the size left for the items
# once the request's own fields are counted, measured as their JSON text
MAX_ITEMS = 1000
MAX_REQUEST_TEXT = 800_000
# EMF: at most 100 metrics in one line's CloudWatchMetrics
MAX_EMF_METRICS = 100
MAX_NAME = 255
MAX_DIMENSION_VALUE = 1024
# CloudWatch refuses values beyond ±2^360 and rounds nothing below 2^-360 by itself
LARGEST, SMALLEST = 2.0**360, 2.0**-360


class PublishError(WatchkeeperError):
    """Metric series that could not reach CloudWatch."""


def metrics_from_settings(
    destination: str | None = None,
    *,
    namespace: str | None = None,
    region: str | None = None,
    stream: TextIO | None = None,
) -> CloudWatchMetrics | None:
    """The destination ``destination`` (else ``WATCHKEEPER_METRICS``) names; None for none.

    >>> metrics_from_settings("none") is None
    True
    >>> metrics_from_settings("emf").emf
    True
    """
    chosen = (destination or os.environ.get("WATCHKEEPER_METRICS") or "none").strip().lower()
    if chosen not in DESTINATIONS:
        raise UsageError(
            f"metrics destination {chosen!r} is not known: use {', '.join(DESTINATIONS)}"
        )
    if chosen == "none":
        return None
    in_lambda = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
    return CloudWatchMetrics(
        namespace=namespace or os.environ.get("WATCHKEEPER_METRICS_NAMESPACE") or None,
        region=region
        or os.environ.get("WATCHKEEPER_METRICS_REGION")
        or os.environ.get("AWS_REGION")  # what Lambda sets; boto3 reads AWS_DEFAULT_REGION
        or None,
        emf=chosen == "emf" or in_lambda,
        stream=stream,
    )


class CloudWatchMetrics:
    """Publishes metric points ``(name, statistic, value)`` with their dimensions.

    ``emf`` writes Embedded Metric Format lines to ``stream`` (stdout) instead of calling
    PutMetricData. boto3 is imported on the first call only (``watchkeeper[cloudwatch]``).
    """

    def __init__(
        self,
        *,
        namespace: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        emf: bool = False,
        stream: TextIO | None = None,
    ) -> None:
        if namespace is not None and not 0 < len(namespace) <= MAX_NAME:
            raise UsageError(f"metrics namespace must be 1 to {MAX_NAME} characters")
        self.namespace, self.region, self.endpoint_url = namespace, region, endpoint_url
        self.emf, self.stream = emf, stream
        self._client: Any = None

    def namespace_of(self, kind: str) -> str:
        """The namespace series of ``kind`` (a schedule's kind, or ``landing-files``) go to."""
        return self.namespace or NAMESPACES.get(kind, NAMESPACES[DATA_QUALITY])

    def publish(
        self,
        points: Iterable[tuple[str, str, float]],
        dimensions: dict[str, str],
        *,
        kind: str,
        timestamp: dt.datetime,
    ) -> int:
        """Publish ``points``; returns how many metric data items (or EMF metrics) went out.

        Raises :class:`PublishError` naming what failed; items sent before it stay sent.
        """
        data = metric_data(points, dimensions, timestamp)
        if not data:
            return 0
        namespace = self.namespace_of(kind)
        if self.emf:
            stream = self.stream or sys.stdout
            lines = emf_lines(data, namespace, timestamp)
            for line in lines:
                stream.write(line + "\n")
            stream.flush()
            return len(data)
        client = self._cloudwatch()
        for batch in batches(data):
            try:
                client.put_metric_data(Namespace=namespace, MetricData=batch)
            except Exception as exc:  # botocore's errors: say which call failed and why
                raise PublishError(
                    f"CloudWatch PutMetricData to {namespace} failed: {failure_reason(exc)}"
                ) from exc
        return len(data)

    def _cloudwatch(self) -> Any:
        if self._client is None:
            try:
                import boto3
                from botocore.config import Config
            except ImportError:
                raise UsageError(
                    "publishing to CloudWatch needs boto3: pip install 'watchkeeper[cloudwatch]'"
                ) from None
            # a destination that is down costs one execution seconds, not minutes
            config = Config(
                connect_timeout=5, read_timeout=10, retries={"max_attempts": 2, "mode": "standard"}
            )
            try:
                self._client = boto3.client(
                    "cloudwatch",
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    config=config,
                )
            except Exception as exc:  # e.g. no region configured
                raise PublishError(f"CloudWatch client: {failure_reason(exc)}") from exc
        return self._client


def metric_data(
    points: Iterable[tuple[str, str, float]],
    dimensions: dict[str, str],
    timestamp: dt.datetime,
) -> list[dict[str, Any]]:
    """PutMetricData items: SampleCount/Sum/Minimum/Maximum of one name fold into one
    statistic set; a value of a group (a facet, a label) gets that group's dimensions.

    >>> at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> [item["MetricName"] for item in metric_data(
    ...     [("feature_data_age", "SampleCount", 3.0), ("feature_data_age", "Sum", 9.0),
    ...      ("feature_data_age", "Minimum", 1.0), ("feature_data_age", "Maximum", 5.0),
    ...      ("feature_non_null_age", "Value", 1.0)], {"Endpoint": "churn"}, at)]
    ['feature_non_null_age', 'feature_data_age']
    """
    base = [
        {"Name": name, "Value": str(value)[:MAX_DIMENSION_VALUE]}
        for name, value in dimensions.items()
    ]
    sets: dict[str, dict[str, float]] = {}
    items: list[dict[str, Any]] = []
    for name, statistic, value in points:
        value = _storable(value)
        if value is None or not 0 < len(name) <= MAX_NAME:
            continue
        if statistic in STATISTIC_SET:
            sets.setdefault(name, {})[statistic] = value
            continue
        if statistic in BAND:
            items.append(
                {"MetricName": series_name(name, statistic), "Dimensions": base, "Value": value}
            )
            continue
        item = {"MetricName": name, "Dimensions": base, "Value": value}
        if statistic != VALUE:
            item["Dimensions"] = base + _group_dimensions(statistic)
        items.append(item)
    for name, statistics in sets.items():
        if len(statistics) == len(STATISTIC_SET):
            items.append({"MetricName": name, "Dimensions": base, "StatisticValues": statistics})
        else:  # a part of a set alone is no set: each statistic is its own value
            items += [
                {"MetricName": f"{name}_{statistic}", "Dimensions": base, "Value": value}
                for statistic, value in statistics.items()
            ]
    for item in items:
        item["Timestamp"], item["Unit"] = timestamp, UNIT
    return items


def series_name(name: str, statistic: str) -> str:
    """The CloudWatch metric a catalog series is published as: its own name, but a
    judged figure's band gets series of its own beside it.

    >>> series_name("multivariate_reconstruction_error", "Upper")
    'multivariate_reconstruction_error_upper'
    >>> series_name("feature_data_age", "Sum")
    'feature_data_age'
    """
    return f"{name}_{statistic.lower()}" if statistic in BAND else name


def _group_dimensions(statistic: str) -> list[dict[str, str]]:
    """The dimensions of a value recorded for one group: ``facet=value`` for a bias
    metric, a label's name for an attribution."""
    facet, equals, value = statistic.partition("=")
    if equals:
        return [{"Name": "Facet", "Value": facet}, {"Name": "FacetValue", "Value": value}]
    return [{"Name": "Label", "Value": statistic}]


def _storable(value: float) -> float | None:
    number = float(value)
    if not math.isfinite(number) or abs(number) > LARGEST:
        return None
    return 0.0 if abs(number) < SMALLEST else number


def batches(data: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """PutMetricData requests within the API's limits: 1000 items and 1 MB each."""
    batch: list[dict[str, Any]] = []
    size = 0
    for item in data:
        item_size = len(json.dumps(item, default=str))
        if batch and (len(batch) == MAX_ITEMS or size + item_size > MAX_REQUEST_TEXT):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


def emf_lines(data: list[dict[str, Any]], namespace: str, timestamp: dt.datetime) -> list[str]:
    """Embedded Metric Format documents, one per line, at most 100 metrics each.

    Items sharing their dimensions share a line; a statistic set becomes its four
    statistics as metrics of their own, as EMF has no statistic sets.
    """
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, float]]] = {}
    for item in data:
        key = tuple((d["Name"], d["Value"]) for d in item["Dimensions"])
        values = groups.setdefault(key, [])
        if "StatisticValues" in item:
            values += [
                (f"{item['MetricName']}_{statistic}", item["StatisticValues"][statistic])
                for statistic in STATISTIC_SET
            ]
        else:
            values.append((item["MetricName"], item["Value"]))
    milliseconds = int(timestamp.timestamp() * 1000)
    lines = []
    for key, values in groups.items():
        dimensions = dict(key)
        for start in range(0, len(values), MAX_EMF_METRICS):
            chunk = dict(values[start : start + MAX_EMF_METRICS])
            document: dict[str, Any] = {
                "_aws": {
                    "Timestamp": milliseconds,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            "Dimensions": [list(dimensions)],
                            "Metrics": [{"Name": name, "Unit": UNIT} for name in chunk],
                        }
                    ],
                },
                **dimensions,
                **chunk,
            }
            lines.append(json.dumps(document))
    return lines
