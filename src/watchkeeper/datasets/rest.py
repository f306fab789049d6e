"""REST face of datasets: receive profiles, set baselines, read batches, edit monitors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from watchkeeper.catalog.datasets import DAY, GRANULARITIES, Batch, Dataset, FailedPart
from watchkeeper.datasets.monitors import ANY
from watchkeeper.datasets.segments import check_dataset_id, check_segment_key
from watchkeeper.datasets.service import DatasetService, as_time
from watchkeeper.errors import FormatError, UsageError, WatchkeeperError

DEFAULT_MAX_BODY = 64 * 1024 * 1024
PROFILE_TYPES = ("application/octet-stream", "application/json", "")


class DatasetIn(BaseModel):
    """A dataset to create."""

    name: str = Field(examples=["model-1"])
    segment_columns: list[str] = Field(default_factory=list, examples=[["country"]])
    description: str = Field("", max_length=10_000)


class MonitorIn(BaseModel):
    """Monitor settings of a segment (``*``: all) and feature (``*``: all); null
    ``settings`` removes them."""

    segment: str = ANY
    feature: str = ANY
    settings: dict[str, Any] | None = Field(
        None, examples=[{"drift_method": "hellinger", "drift_threshold": 0.3}]
    )


def dataset_dict(dataset: Dataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "segment_columns": list(dataset.segment_columns),
        "description": dataset.description,
        "baseline": dataset.baseline_source,
        "baseline_updated_at": _iso(dataset.baseline_updated_at),
        "cooldown_minutes": dataset.cooldown_minutes,
        "created_at": _iso(dataset.created_at),
        "error": dataset.error,
    }


def failed_part_dict(part: FailedPart) -> dict[str, Any]:
    return {
        "id": part.id,
        "segment": part.segment,
        "timestamp": _iso(part.timestamp),
        "received_at": _iso(part.received_at),
        "error": part.error,
    }


def batch_dict(batch: Batch) -> dict[str, Any]:
    return {
        "segment": batch.segment,
        "granularity": batch.granularity,
        "start": _iso(batch.start),
        "end": _iso(batch.end),
        "rows": batch.rows,
        "profiles": batch.parts,
        "metrics": batch.metrics,
        "violations": batch.violations,
        "max_drift": batch.max_score,
        "error": batch.error,
    }


def datasets_router(service: DatasetService, max_body: int = DEFAULT_MAX_BODY) -> APIRouter:
    """``/api/v1/datasets`` and everything under it."""
    router = APIRouter(prefix="/api/v1", tags=["datasets"])

    @router.get("/datasets")
    def list_datasets() -> list[dict[str, Any]]:
        return [dataset_dict(dataset) for dataset in service.datasets()]

    @router.post("/datasets", status_code=201)
    def create_dataset(body: DatasetIn) -> dict[str, Any]:
        _checked(check_dataset_id, body.name)
        if service.dataset(body.name) is not None:
            raise HTTPException(409, f"a dataset named {body.name!r} exists already")
        try:
            created = service.create(
                body.name, segment_columns=body.segment_columns, description=body.description
            )
        except WatchkeeperError as exc:
            status = 409 if service.dataset(body.name) is not None else 422
            raise HTTPException(status, str(exc)) from None
        return dataset_dict(created)

    @router.get("/datasets/{name}")
    def get_dataset(name: str) -> dict[str, Any]:
        return dataset_dict(_dataset(service, name))

    @router.delete("/datasets/{name}", status_code=204)
    def delete_dataset(name: str) -> None:
        _dataset(service, name)
        service.delete(name)

    @router.post("/datasets/{name}/profiles", status_code=201)
    async def receive_profile(
        name: str,
        request: Request,
        response: Response,
        timestamp: str | None = Query(None, examples=["2026-11-20T09:00:00Z"]),
        segment: str | None = Query(None, examples=["country=DE"]),
    ) -> dict[str, Any]:
        """Receive a profile (the bytes :func:`watchkeeper.log` ships): 201, or 200 with
        ``"duplicate": true`` when a profile with the same id was received before."""
        _checked(check_dataset_id, name)
        body = await _body(request, max_body)
        try:
            # parsing and storing block: off the event loop, so requests keep flowing
            received = await run_in_threadpool(
                service.receive, name, body, timestamp=timestamp, segment=segment,
                source="request body",
            )  # fmt: skip
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        if received.duplicate:
            response.status_code = 200  # stored before: nothing new was created
        return received.to_dict()

    @router.put("/datasets/{name}/baseline")
    async def set_baseline(name: str, request: Request) -> dict[str, Any]:
        """Set the reference profile: a watchkeeper profile, or a SageMaker
        ``statistics.json``."""
        _checked(check_dataset_id, name)
        body = await _body(request, max_body)
        try:
            profile = await run_in_threadpool(_reference, body)
            await run_in_threadpool(service.set_baseline, name, profile, "uploaded")
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        return dataset_dict(_dataset(service, name))

    @router.get("/datasets/{name}/batches")
    def list_batches(
        name: str,
        granularity: str = Query(DAY, examples=list(GRANULARITIES)),
        segment: str = "",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[dict[str, Any]]:
        _dataset(service, name)
        if granularity not in GRANULARITIES:
            raise HTTPException(422, f"granularity must be 'hour' or 'day', got {granularity!r}")
        _checked(check_segment_key, segment)
        start, end = _checked(as_time, start, "start"), _checked(as_time, end, "end")
        service.refresh(name)
        batches = service.batches(
            name, segment=segment, granularity=granularity, start=start, end=end
        )
        return [batch_dict(batch) for batch in batches]

    @router.get("/datasets/{name}/failures")
    def list_failures(name: str, limit: int = Query(20, ge=1, le=1000)) -> dict[str, Any]:
        """Received profiles that could not be merged (set aside, with the reason)."""
        _dataset(service, name)
        count, parts = service.failed_parts(name, limit)
        return {"count": count, "profiles": [failed_part_dict(part) for part in parts]}

    @router.post("/datasets/{name}/evaluate")
    def evaluate(name: str) -> dict[str, Any]:
        """Merge what was received and evaluate now (the server also does so by itself)."""
        _dataset(service, name)
        service.refresh(name)
        return {"pending": service.pending_parts(name)}

    @router.get("/datasets/{name}/monitors")
    def list_monitors(name: str) -> list[dict[str, Any]]:
        _dataset(service, name)
        stored = service.monitor_settings(name)
        return [
            {"segment": segment, "feature": feature, "settings": settings}
            for (segment, feature), settings in sorted(stored.items())
        ]

    @router.put("/datasets/{name}/monitors")
    def put_monitor(name: str, body: MonitorIn) -> dict[str, Any]:
        _dataset(service, name)
        try:
            service.set_monitor(name, body.settings, segment=body.segment, feature=body.feature)
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        return body.model_dump()

    return router


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body of {declared} bytes is over the limit of {limit} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in PROFILE_TYPES:
        raise HTTPException(
            415, f"content type {content_type!r}: send application/octet-stream (a profile)"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body:
        raise HTTPException(422, "the body is empty: send a profile")
    return body


def _reference(body: bytes):
    from watchkeeper.baseline.statistics import profile_from_statistics
    from watchkeeper.profile import profile_from_bytes
    from watchkeeper.profile.binary import is_binary_profile

    if is_binary_profile(body):
        return profile_from_bytes(body, "request body")
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FormatError("request body: neither a profile nor a statistics.json") from None
    if isinstance(document, dict) and "features" in document and "dataset" in document:
        return profile_from_statistics(document, "request body")
    return profile_from_bytes(body, "request body")


def _checked(check, *args):
    """``check(*args)``, its :class:`UsageError` answered with 422."""
    try:
        return check(*args)
    except UsageError as exc:
        raise HTTPException(422, str(exc)) from None


def _dataset(service: DatasetService, name: str) -> Dataset:
    _checked(check_dataset_id, name)
    found = service.dataset(name)
    if found is None:
        raise HTTPException(404, f"no dataset named {name!r}")
    return found


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
