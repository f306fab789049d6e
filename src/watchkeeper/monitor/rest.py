"""REST faces of monitoring: schedules and executions, and a Prometheus exporter of the
latest executions' per-feature metrics."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from watchkeeper.catalog import MAX_ID, Catalog, MonitoringStore, Schedule
from watchkeeper.checks.metrics import MetricsDestination
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitor.job import run_job
from watchkeeper.monitor.timing import window_to_run
from watchkeeper.monitor.window import SCRIPT_OPTIONS

_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")
EXAMPLE_WINDOW = "2026-11-20T00:00/2026-11-20T01:00"
MAX_LABELS_BODY = 256 * 1024 * 1024
LABEL_TYPES = ("text/csv", "application/jsonlines", "application/x-ndjson", "application/json")


class ScheduleIn(BaseModel):
    """A schedule to create."""

    # lengths as the catalog stores them
    name: str = Field(max_length=256, examples=["churn-hourly"])
    endpoint: str = Field(max_length=256, examples=["churn"])
    baseline: str = Field(max_length=2048, examples=["baselines/churn"])
    report: str = Field(max_length=2048, examples=["monitoring"])
    capture: str = Field(max_length=2048, examples=[".watchkeeper/capture"])
    cron: str = Field(
        "0 * * * *",
        max_length=256,
        examples=["0 * * * *", "cron(0 * ? * * *)", "NOW"],
        description="When it runs; NOW runs it once, over the window_start/window_end "
        "offsets from its creation (both required), as SageMaker's one-time schedules.",
    )
    variant: str | None = Field(None, max_length=256)
    window_start: str | None = Field(None, max_length=64, examples=["-PT1H"])
    window_end: str | None = Field(None, max_length=64, examples=["-PT0H"])
    kind: str = Field("data-quality", max_length=32, examples=["data-quality", "model-quality"])
    options: dict[str, Any] = Field(
        default_factory=dict,
        examples=[{"problem_type": "BinaryClassification", "inference_attribute": "prediction",
                   "probability_attribute": "probability", "ground_truth": "groundtruth"}],
    )


def schedule_dict(schedule: Schedule) -> dict[str, Any]:
    document = {key: value for key, value in schedule.__dict__.items() if key != "created_at"}
    document["created_at"] = schedule.created_at.isoformat() if schedule.created_at else None
    return document


def monitoring_router(
    catalog: Catalog,
    ground_truth: str | None = None,
    max_body: int = MAX_LABELS_BODY,
    metrics: MetricsDestination | None = None,
) -> APIRouter:
    """``/api/v1/schedules``, ``/api/v1/executions`` and ``/api/v1/groundtruth`` (labels
    stored under ``ground_truth``, by default the workspace's ``ground-truth`` folder,
    where ``watchkeeper groundtruth upload`` puts them). A job run through it sends its
    series to ``metrics`` too."""
    from watchkeeper.catalog import workspace
    from watchkeeper.monitor import check_schedule_name, create_schedule

    def named(name: str) -> str:
        """A schedule name from a path or query, checked before it reaches the catalog
        (PostgreSQL refuses some characters a name can never hold, such as NUL)."""
        try:
            return check_schedule_name(name)
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None

    store = MonitoringStore(catalog)
    router = APIRouter(prefix="/api/v1", tags=["monitoring"])
    labels_root = ground_truth or str(workspace() / "ground-truth")

    @router.post("/groundtruth", status_code=201)
    async def upload_labels(
        request: Request, endpoint: str = Query(..., examples=["churn"])
    ) -> dict[str, Any]:
        """Ground-truth labels: SageMaker's JSONL records, or ``text/csv`` with a header
        naming the id column (inferenceId or eventId) and the label column."""
        from watchkeeper.quality.groundtruth import store_ground_truth

        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in LABEL_TYPES:
            raise HTTPException(
                415, f"content type {kind!r}: send text/csv or application/jsonlines"
            )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_body:
            raise HTTPException(413, f"body of {declared} bytes is over {max_body} bytes")
        body = await request.body()
        if len(body) > max_body:
            raise HTTPException(413, f"body is over {max_body} bytes")
        try:
            done = await run_in_threadpool(
                store_ground_truth, body, endpoint, labels_root,
                source="request body", csv=kind == "text/csv",
            )  # fmt: skip
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"endpoint": endpoint, "records": done.records, "uri": done.uri}

    @router.get("/schedules")
    def list_schedules() -> list[dict[str, Any]]:
        return [schedule_dict(schedule) for schedule in store.schedules()]

    @router.post("/schedules", status_code=201)
    def add_schedule(body: ScheduleIn) -> dict[str, Any]:
        scripts = sorted(set(body.options) & set(SCRIPT_OPTIONS))
        if scripts:
            # a script is code the scheduler would run: it is named where the host is
            raise HTTPException(
                422,
                f"option(s) {', '.join(scripts)} name Python files the scheduler runs: "
                "set them with `watchkeeper schedule create` on the scheduler's host",
            )
        try:
            return schedule_dict(create_schedule(catalog, **body.model_dump()))
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None

    @router.get("/schedules/{name}")
    def get_schedule(name: str) -> dict[str, Any]:
        return schedule_dict(_found(store.schedule, named(name)))

    @router.delete("/schedules/{name}", status_code=204)
    def remove_schedule(name: str) -> Response:
        _found(store.delete_schedule, named(name))
        return Response(status_code=204)

    @router.post("/schedules/{name}/run")
    def run_now(name: str, window: str | None = Query(None, examples=[EXAMPLE_WINDOW])) -> dict:
        schedule = _found(store.schedule, named(name))
        try:
            span, fired = window_to_run(schedule, window)
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        execution = run_job(store, schedule, fired, span, metrics=metrics)
        if execution is None:
            raise HTTPException(409, "this window has an execution already")
        return execution.to_dict()

    @router.get("/executions")
    def list_executions(
        schedule: str | None = None, limit: int = Query(100, ge=1, le=1000)
    ) -> list[dict[str, Any]]:
        chosen = None if schedule is None else named(schedule)
        return [execution.to_dict() for execution in store.executions(chosen, limit)]

    @router.get("/executions/{execution_id}")
    def get_execution(execution_id: int = Path(ge=1, le=MAX_ID)) -> dict[str, Any]:
        return _found(store.execution, execution_id).to_dict()

    return router


def _found(lookup, key):
    try:
        return lookup(key)
    except WatchkeeperError as exc:
        raise HTTPException(404, str(exc)) from None


class ExecutionMetrics:
    """A Prometheus collector: the latest execution's metrics of every schedule, as
    gauges named like SageMaker's CloudWatch metrics (``feature_baseline_drift_<name>``,
    ``feature_non_null_<name>``, ``feature_data_<name>`` with a ``statistic`` label),
    labelled with the endpoint and the schedule (only ``endpoint``'s, when given). Read
    from the catalog at each scrape."""

    def __init__(self, catalog: Catalog, endpoint: str | None = None) -> None:
        self.store = MonitoringStore(catalog)
        self.endpoint = endpoint

    def collect(self):
        families: dict[str, GaugeMetricFamily] = {}
        for point in self.store.latest_metrics():
            if self.endpoint is not None and point.endpoint != self.endpoint:
                continue
            name = _UNSAFE.sub("_", point.name)
            family = families.get(name)
            if family is None:
                family = families[name] = GaugeMetricFamily(
                    name,
                    f"{point.name} of the latest monitoring execution",
                    labels=["endpoint", "schedule", "statistic"],
                )
            family.add_metric([point.endpoint, point.schedule, point.statistic], point.value)
        yield from families.values()

    def describe(self):
        return []  # the names depend on the data; collected fresh at each scrape


def create_monitor_app(catalog: Catalog, metrics: MetricsDestination | None = None) -> FastAPI:
    """The scheduler's HTTP face: the monitoring REST API and ``/metrics``."""
    app = FastAPI(title="watchkeeper monitoring", version="1")
    app.include_router(monitoring_router(catalog, metrics=metrics))
    registry = CollectorRegistry()
    registry.register(ExecutionMetrics(catalog))
    app.state.registry = registry

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
