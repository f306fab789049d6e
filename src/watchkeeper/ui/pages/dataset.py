"""A dataset's page: its batches over time (records, largest drift, violations), each
feature of the chosen batch with its drift sparkline, its segments and the received
profiles set aside."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from watchkeeper.catalog import MonitoringStore
from watchkeeper.datasets.segments import segment_label
from watchkeeper.datasets.service import DatasetService
from watchkeeper.report.batch_charts import overview_figure
from watchkeeper.report.charts import script_json
from watchkeeper.report.sparkline import sparkline
from watchkeeper.ui.pages.shared import (
    PageRange,
    Pages,
    batches_in,
    chosen_batch,
    multivariate_charts,
    page_query,
    segments_with_violations,
)


def dataset_router(service: DatasetService, pages: Pages) -> APIRouter:
    """``/datasets/{name}``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/datasets/{name}")
    def dataset_page(
        request: Request,
        name: str,
        view: Annotated[PageRange, Depends()],
    ) -> Response:
        segment = view.segment
        dataset, batches = batches_in(service, name, view)
        chosen = chosen_batch(batches, view.batch)
        segments = segments_with_violations(service, name, view)
        failed_count, failed_parts = service.failed_parts(name, 5)
        features = []
        if chosen is not None:
            for feature, entry in (chosen.metrics or {}).items():
                series = [(b.metrics or {}).get(feature, {}) for b in batches]
                found = [v for v in chosen.violations if v["feature_name"] == feature]
                features.append(
                    {
                        "name": feature,
                        "entry": entry,
                        "flagged": bool(found),
                        "violations": found,
                        "sparkline": sparkline(
                            [_distance(item) for item in series],
                            flagged=[
                                any(v["feature_name"] == feature for v in b.violations)
                                for b in batches
                            ],
                        ),
                    }
                )
        return pages.render(
            "dataset.html",
            request,
            title=f"{name} · watchkeeper",
            dataset=dataset,
            segment=segment,
            segment_label=segment_label(segment),
            segments=segments,
            view=view,
            batches=batches,
            chosen=chosen,
            features=features,
            failed_count=failed_count,
            failed_parts=failed_parts,
            overview_chart=script_json(overview_figure(batches)),
            # the executions whose windows are this dataset's batches (named after the
            # endpoint): their multivariate series, which no received profile holds
            series_charts=_endpoint_series(service, name),
            query=lambda **changes: page_query(request, **changes),
        )

    return router


def _endpoint_series(service: DatasetService, name: str) -> list[dict[str, Any]]:
    monitoring = MonitoringStore(service.catalog)
    schedules = [s.name for s in monitoring.schedules() if s.endpoint == name]
    return multivariate_charts(monitoring, schedules)


def _distance(entry: dict[str, Any]) -> float | None:
    value = entry.get("hellinger_baseline")
    return value if value is not None else entry.get("hellinger_previous")
