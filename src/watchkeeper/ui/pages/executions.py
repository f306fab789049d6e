"""Monitoring executions: each scheduled run with its status, and its artefacts
(statistics, violations, the report) read back from where the run wrote them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import Response

from watchkeeper.catalog import MAX_ID, Catalog, DatasetStore, MonitoringStore
from watchkeeper.errors import WatchkeeperError
from watchkeeper.io.storage import read_bytes
from watchkeeper.report.charts import script_json
from watchkeeper.report.history_charts import history_figure
from watchkeeper.ui.pages.shared import Pages, multivariate_charts

# points drawn per series judged against its history
HISTORY_POINTS = 500


def executions_router(catalog: Catalog, pages: Pages) -> APIRouter:
    """``/executions`` (optionally of one ``schedule``) and
    ``/executions/{id}/artifacts/{name}``."""
    router = APIRouter(include_in_schema=False)
    monitoring = MonitoringStore(catalog)
    datasets = DatasetStore(catalog)

    @router.get("/executions")
    def executions_page(request: Request, schedule: str | None = None) -> Response:
        runs = monitoring.executions(schedule, limit=500)
        return pages.render(
            "executions.html",
            request,
            title="Executions · watchkeeper",
            executions=runs,
            schedules=monitoring.schedules(),
            schedule=schedule,
            # an endpoint links to its dataset page only when there is one
            dataset_names={dataset.name for dataset in datasets.all()},
            history=_history_charts(monitoring, schedule) if schedule else [],
            series_charts=multivariate_charts(
                monitoring, [schedule] if schedule else [s.name for s in monitoring.schedules()]
            ),
        )

    @router.get("/executions/{execution_id}/artifacts/{artifact}")
    def artifact(execution_id: Annotated[int, Path(ge=1, le=MAX_ID)], artifact: str) -> Response:
        try:
            execution = monitoring.execution(execution_id)
        except WatchkeeperError:
            raise HTTPException(404, f"no execution {execution_id}") from None
        uri = execution.artifacts.get(artifact)
        if uri is None:
            raise HTTPException(404, f"execution {execution_id} has no artifact {artifact!r}")
        try:
            data = read_bytes(uri)
        except (OSError, WatchkeeperError) as exc:
            raise HTTPException(404, f"artifact {artifact!r} cannot be read: {exc}") from None
        media = "text/html" if uri.endswith(".html") else "application/json"
        return Response(data, media_type=f"{media}; charset=utf-8")

    return router


def _history_charts(monitoring: MonitoringStore, schedule: str) -> list[dict]:
    """A chart per series of ``schedule`` judged against its history, with its band."""
    charts = []
    for index, (name, statistic) in enumerate(monitoring.judged_series(schedule)):
        points = monitoring.metric_series(schedule, name, statistic, last=HISTORY_POINTS)
        judged = monitoring.judgements(schedule, name, statistic, last=HISTORY_POINTS)
        title = name if statistic == "Value" else f"{name} ({statistic})"
        figure = script_json(history_figure(points, judged))
        charts.append({"id": f"history-{index}", "title": title, "figure": figure})
    return charts
