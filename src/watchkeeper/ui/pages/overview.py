"""The overview: every dataset with its last day and a drift sparkline, and every
monitoring schedule with its last run."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from watchkeeper.catalog import MonitoringStore
from watchkeeper.catalog.datasets import DAY, Batch, Dataset
from watchkeeper.datasets.service import DatasetService
from watchkeeper.report.sparkline import sparkline
from watchkeeper.ui.pages.shared import Pages


def overview_router(service: DatasetService, pages: Pages) -> APIRouter:
    """``/``."""
    router = APIRouter(include_in_schema=False)
    monitoring = MonitoringStore(service.catalog)

    @router.get("/")
    def overview(request: Request) -> Response:
        service.refresh()
        rows = []
        for dataset in service.datasets():
            days = service.batches(dataset.name, granularity=DAY)
            latest = days[-1] if days else None
            recent = days[-30:]
            rows.append(
                {
                    "name": dataset.name,
                    "problem": problem_of(service, dataset),
                    "segments": list(dataset.segment_columns),
                    "last_batch": latest.start.date().isoformat() if latest else None,
                    "records": latest.rows if latest else 0,
                    "total": sum(batch.rows for batch in days),
                    "features": len(latest.metrics or {}) if latest else 0,
                    "violations": open_violations(service, dataset.name, latest),
                    "baseline": dataset.baseline_source,
                    "sparkline": sparkline(
                        [batch.max_score for batch in recent],
                        flagged=[bool(batch.violations) for batch in recent],
                    ),
                }
            )
        schedules = []
        for schedule in monitoring.schedules():
            runs = monitoring.executions(schedule.name, limit=1)
            schedules.append({"schedule": schedule, "last": runs[0] if runs else None})
        return pages.render(
            "overview.html",
            request,
            datasets=rows,
            schedules=schedules,
            # an endpoint links to its dataset page only when there is one
            dataset_names={row["name"] for row in rows},
        )

    return router


def problem_of(service: DatasetService, dataset: Dataset) -> str | None:
    """Why a dataset's figures may be incomplete: its last refresh failed, or received
    profiles were set aside."""
    if dataset.error:
        return dataset.error
    failed, _ = service.failed_parts(dataset.name, 0)
    return f"{failed} received profile(s) could not be merged" if failed else None


def open_violations(service: DatasetService, name: str, latest: Batch | None) -> int:
    """The violations of every segment on the dataset's latest day."""
    if latest is None:
        return 0
    every = service.batches(
        name, segment=None, granularity=DAY, start=latest.start, end=latest.end
    )
    return sum(len(batch.violations) for batch in every)
