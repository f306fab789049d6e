"""Prometheus metrics of one serving app, in a registry of its own.

Request counts and latencies are recorded by :class:`RequestMetrics`, a small ASGI
middleware that labels each request with its route template (``/endpoints/{name}/
invocations``, not the URL, so that labels stay few). Capture counts are read from the
capture writer's own counters when Prometheus scrapes, so they can never disagree with
what the writer reports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from watchkeeper.capture import CaptureWriter

UNMATCHED = "unmatched"
# Prediction latencies of small tabular models: from a tenth of a millisecond to seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServingMetrics:
    """The request counter and latency histogram of one endpoint variant."""

    def __init__(self, registry: CollectorRegistry, endpoint: str, variant: str) -> None:
        self.endpoint, self.variant = endpoint, variant
        self.requests = Counter(
            "watchkeeper_requests",
            "HTTP requests answered, by route and status code.",
            ["endpoint", "variant", "route", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "watchkeeper_request_seconds",
            "Time to answer an HTTP request, in seconds.",
            ["endpoint", "variant", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(self.endpoint, self.variant, route, str(status)).inc()
        self.seconds.labels(self.endpoint, self.variant, route).observe(seconds)


class CaptureCollector(Collector):
    """Exposes a capture writer's counters as Prometheus counters at scrape time."""

    def __init__(self, writer: CaptureWriter, endpoint: str, variant: str) -> None:
        self.writer, self.endpoint, self.variant = writer, endpoint, variant

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self.writer.stats
        records = CounterMetricFamily(
            "watchkeeper_capture_records",
            "Requests offered to data capture, by outcome.",
            labels=["endpoint", "variant", "outcome"],
        )
        for outcome in ("captured", "sampled_out", "dropped"):
            records.add_metric([self.endpoint, self.variant, outcome], getattr(stats, outcome))
        yield records
        errors = CounterMetricFamily(
            "watchkeeper_capture_write_errors",
            "Failed attempts to write capture files.",
            labels=["endpoint", "variant"],
        )
        errors.add_metric([self.endpoint, self.variant], stats.write_errors)
        yield errors


class RequestMetrics:
    """ASGI middleware that counts and times every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = {"status": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.metrics.observe(_route(scope), answered["status"], time.perf_counter() - started)


def _route(scope: dict[str, Any]) -> str:
    # the router records the matched route in the scope it was given
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED
