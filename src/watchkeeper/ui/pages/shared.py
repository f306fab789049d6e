"""What the dashboard's pages share: rendering a template, and what they read from the
query string and from the datasets, each failure turned into a 4xx or a message on the
page, never an error of the server."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse

from watchkeeper.catalog import MonitoringStore
from watchkeeper.catalog.datasets import DAY, GRANULARITIES, HOUR, Batch, Dataset
from watchkeeper.checks.multivariate import SERIES
from watchkeeper.datasets.monitors import MonitorSettings, resolve
from watchkeeper.datasets.segments import (
    WHOLE,
    check_dataset_id,
    check_segment_key,
    segment_label,
)
from watchkeeper.datasets.service import DatasetService, as_time
from watchkeeper.errors import WatchkeeperError
from watchkeeper.report import formatting
from watchkeeper.report.charts import script_json
from watchkeeper.report.history_charts import band_figure
from watchkeeper.report.page import template_environment
from watchkeeper.ui.auth import Tokens


class Pages:
    """The dashboard's templates, rendered with what every page shows (its title,
    whether a login is asked for, its path)."""

    def __init__(self, tokens: Tokens) -> None:
        self.tokens = tokens
        environment = template_environment("watchkeeper.ui")
        environment.filters["share"] = formatting.share
        environment.filters["when"] = batch_label
        environment.filters["window"] = formatting.window
        environment.filters["label"] = segment_label
        environment.filters["moment"] = lambda m: "—" if m is None else m.strftime("%Y-%m-%d %H:%M")
        self.templates = environment

    def render(
        self, name: str, request: Request, status: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("title", "watchkeeper")
        context["auth"] = self.tokens.enabled
        context["path"] = request.url.path
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)


class PageRange:
    """What a dataset or feature page shows: a segment, daily or hourly batches, a date
    range (both ends included; by default every batch) and a chosen batch (by default
    the last, or the last flagged on a feature page). Read from the query string."""

    def __init__(
        self,
        segment: str = WHOLE,
        granularity: str = DAY,
        start: str | None = None,
        end: str | None = None,
        batch: str | None = None,
    ) -> None:
        try:
            self.segment = check_segment_key(segment)
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        self.batch = batch
        if granularity not in GRANULARITIES:
            raise HTTPException(422, f"granularity must be 'hour' or 'day', got {granularity!r}")
        self.granularity = granularity
        self.start_text = start or ""
        self.end_text = end or ""
        self.start = _date(start, "start")
        self.end = _date(end, "end")
        if self.end is not None:
            self.end += dt.timedelta(days=1)  # the end date is included


def _date(text: str | None, what: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return as_time(dt.datetime.fromisoformat(text).replace(tzinfo=None), what)
    except ValueError:
        raise HTTPException(422, f"{what} {text[:40]!r} is not a date (YYYY-MM-DD)") from None
    except WatchkeeperError as exc:
        raise HTTPException(422, str(exc)) from None


def page_query(request: Request, **changes: Any) -> str:
    """The page's query string with ``changes`` (None removes a parameter)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(params)


def dataset_or_404(service: DatasetService, name: str) -> Dataset:
    try:
        check_dataset_id(name)
    except WatchkeeperError as exc:
        raise HTTPException(404, f"no dataset named {name[:200]!r}: {exc}") from None
    found = service.dataset(name)
    if found is None:
        raise HTTPException(404, f"no dataset named {name!r}")
    return found


def batches_in(service: DatasetService, name: str, view: PageRange) -> tuple[Dataset, list[Batch]]:
    """The dataset and its batches of the page's segment and range, up to date."""
    dataset = dataset_or_404(service, name)
    service.refresh(name)
    batches = service.batches(
        name, segment=view.segment, granularity=view.granularity, start=view.start, end=view.end
    )
    return dataset, batches


def chosen_batch(batches: list[Batch], wanted: str | None, prefer: Batch | None = None):
    """The batch ``wanted`` names (by :func:`batch_label` or start), else ``prefer``,
    else the last; a 404 when ``wanted`` is not among them."""
    if wanted:
        for batch in batches:
            if batch_label(batch) == wanted or batch.start.isoformat() == wanted:
                return batch
        raise HTTPException(404, f"no batch {wanted!r} in this range")
    return prefer or (batches[-1] if batches else None)


def batch_label(batch: Batch) -> str:
    """The batch's day, or its hour: ``2026-11-20`` or ``2026-11-20T09:00``."""
    if batch.granularity == HOUR:
        return batch.start.strftime("%Y-%m-%dT%H:00")
    return batch.start.date().isoformat()


def segments_with_violations(
    service: DatasetService, name: str, view: PageRange
) -> list[dict[str, Any]]:
    """Each segment with its violation count in the range."""
    counts: dict[str, int] = {}
    for batch in service.batches(
        name, segment=None, granularity=view.granularity, start=view.start, end=view.end
    ):
        counts[batch.segment] = counts.get(batch.segment, 0) + len(batch.violations)
    return [
        {"key": key, "label": segment_label(key), "violations": counts.get(key, 0)}
        for key in service.segments(name)
    ]


def is_numeric(batch: Batch, feature: str) -> bool:
    entry = (batch.metrics or {}).get(feature, {})
    return entry.get("type") in ("Integral", "Fractional")


def settings_in_force(service: DatasetService, name: str, segment: str, feature: str):
    """The monitor settings in force, and a note when the stored ones cannot be read."""
    try:
        return resolve(service.monitor_settings(name), segment, feature), None
    except WatchkeeperError as exc:
        return MonitorSettings(), f"The stored monitor settings are not valid: {exc}"


# points drawn per multivariate series
SERIES_POINTS = 500


def multivariate_charts(monitoring: MonitoringStore, schedules: list[str]) -> list[dict]:
    """A chart per multivariate series (reconstruction error, classifier AUC) the
    ``schedules``' executions recorded, with the band each value was judged against."""
    charts = []
    for schedule in schedules:
        for name in SERIES.values():
            values = monitoring.metric_series(schedule, name, "Value", last=SERIES_POINTS)
            if not values:
                continue
            lower, upper = (
                monitoring.metric_series(schedule, name, side, last=SERIES_POINTS)
                for side in ("Lower", "Upper")
            )
            charts.append({
                "id": f"multivariate-{len(charts)}", "series": name,
                "title": f"{name} · {schedule}",
                "figure": script_json(band_figure(values, lower, upper)),
            })  # fmt: skip
    return charts
