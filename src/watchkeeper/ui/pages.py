"""The dashboard's pages, rendered on the server (Jinja2), charts drawn by plotly.js.

Pages read the batches' stored figures, not profiles, except where a distribution is
drawn (one batch and the baseline, or the compared profiles).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from watchkeeper.catalog import MonitoringStore
from watchkeeper.catalog.datasets import DAY, GRANULARITIES, HOUR, Batch
from watchkeeper.datasets.monitors import ANY, COMPARE_TO, DRIFT_METHODS, resolve
from watchkeeper.datasets.segments import WHOLE, parse_segment_key, segment_label
from watchkeeper.datasets.service import DatasetService
from watchkeeper.errors import WatchkeeperError
from watchkeeper.notify.urls import redact
from watchkeeper.report import formatting
from watchkeeper.report.charts import (
    BASELINE_COLOUR,
    grouped_category_figure,
    overlaid_numeric_figure,
    script_json,
)
from watchkeeper.report.page import template_environment
from watchkeeper.ui.auth import COOKIE, Tokens, safe_next
from watchkeeper.ui.sparkline import sparkline

PALETTE = ("#2f6690", "#d1495b", "#edae49")
BAD = "#b42318"
MAX_COMPARED = 3


def pages_router(service: DatasetService, tokens: Tokens) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = _environment()
    monitoring = MonitoringStore(service.catalog)

    def page(name: str, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("title", "watchkeeper")
        context["auth"] = tokens.enabled
        context["path"] = request.url.path
        html = templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    # -- login ------------------------------------------------------------------------

    @router.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        return page("login.html", request, next=safe_next(next), error=None, title="Log in")

    @router.post("/login")
    def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
        if not tokens.accepts(token):
            return page(
                "login.html",
                request,
                status=401,
                next=safe_next(next),
                error="That token is not valid.",
                title="Log in",
            )
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE, tokens.session_for(token), httponly=True, samesite="strict", path="/"
        )
        return response

    @router.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- overview ---------------------------------------------------------------------

    @router.get("/")
    def overview(request: Request) -> Response:
        service.refresh()
        rows = []
        for dataset in service.store.all():
            days = service.store.batches(dataset.name, granularity=DAY)
            latest = days[-1] if days else None
            open_violations = _open_violations(service, dataset.name, latest)
            recent = days[-30:]
            rows.append(
                {
                    "name": dataset.name,
                    "segments": list(dataset.segment_columns),
                    "last_batch": latest.start.date().isoformat() if latest else None,
                    "records": latest.rows if latest else 0,
                    "total": sum(batch.rows for batch in days),
                    "features": len(latest.metrics or {}) if latest else 0,
                    "violations": open_violations,
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
        return page("overview.html", request, datasets=rows, schedules=schedules)

    # -- dataset ----------------------------------------------------------------------

    @router.get("/datasets/{name}")
    def dataset_page(
        request: Request,
        name: str,
        view: Annotated[_Range, Depends()],
    ) -> Response:
        segment = view.segment
        dataset, batches = _batches_in(service, name, view)
        chosen = _chosen(batches, view.batch)
        segments = _segments(service, name, view)
        features = []
        if chosen is not None:
            for feature, entry in (chosen.metrics or {}).items():
                series = [(b.metrics or {}).get(feature, {}) for b in batches]
                flagged = {v["feature"] for v in chosen.violations}
                features.append(
                    {
                        "name": feature,
                        "entry": entry,
                        "flagged": feature in flagged,
                        "violations": [v for v in chosen.violations if v["feature"] == feature],
                        "sparkline": sparkline(
                            [_distance(item) for item in series],
                            flagged=[
                                any(v["feature"] == feature for v in b.violations)
                                for b in batches
                            ],
                        ),
                    }
                )
        return page(
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
            overview_chart=script_json(_overview_figure(batches)),
            query=lambda **changes: _query(request, **changes),
        )

    # -- feature ----------------------------------------------------------------------

    @router.get("/datasets/{name}/features/{feature:path}")
    def feature_page(
        request: Request,
        name: str,
        feature: str,
        view: Annotated[_Range, Depends()],
    ) -> Response:
        segment = view.segment
        dataset, batches = _batches_in(service, name, view)
        present = [b for b in batches if feature in (b.metrics or {})]
        if batches and not present:
            raise HTTPException(404, f"dataset {name!r} has no feature {feature!r}")
        flagged = [b for b in present if any(v["feature"] == feature for v in b.violations)]
        chosen = _chosen(present, view.batch, prefer=flagged[-1] if flagged else None)
        distribution = None
        if chosen is not None:
            column = service.profile(chosen).columns.get(feature)
            reference = service.baseline(name)
            base = reference.columns.get(feature) if reference is not None else None
            sides = [("baseline", base, BASELINE_COLOUR)] if base is not None else []
            sides.append((f"batch {_when(chosen)}", column, PALETTE[0]))
            sides = [side for side in sides if side[1] is not None]
            figure = overlaid_numeric_figure(sides) if _numeric(chosen, feature) else None
            distribution = figure or grouped_category_figure(sides)
        settings = resolve(service.store.monitor_settings(name), segment, feature)
        return page(
            "feature.html",
            request,
            title=f"{feature} · {name} · watchkeeper",
            dataset=dataset,
            feature=feature,
            segment=segment,
            segment_label=segment_label(segment),
            segments=_segments(service, name, view),
            view=view,
            batches=present,
            flagged=flagged,
            chosen=chosen,
            settings=settings,
            numeric=bool(present) and _numeric(present[-1], feature),
            charts=script_json(_feature_figures(present, feature)),
            distribution=script_json(distribution) if distribution else None,
            query=lambda **changes: _query(request, **changes),
        )

    # -- compare ----------------------------------------------------------------------

    @router.get("/compare")
    def compare_page(
        request: Request,
        dataset: Annotated[list[str] | None, Query()] = None,
        segment: Annotated[list[str] | None, Query()] = None,
        date: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        dataset, segment, date = dataset or [], segment or [], date or []
        service.refresh()
        names = [d.name for d in service.store.all()]
        chosen, problems = [], []
        for index, name in enumerate(dataset[:MAX_COMPARED]):
            when = date[index] if index < len(date) else ""
            key = segment[index] if index < len(segment) else WHOLE
            if not name:
                continue
            found = _compared(service, name, key, when)
            if isinstance(found, str):
                problems.append(found)
            else:
                chosen.append(found)
        if len(dataset) > MAX_COMPARED:
            problems.append(f"at most {MAX_COMPARED} profiles are compared; the first 3 are shown")
        profiles = [(label, profile) for label, profile in chosen]
        features = _compare_features(profiles)
        choices = {
            name: {
                "segments": [
                    (key, segment_label(key)) for key in service.store.segments(name)
                ],
                "dates": [
                    b.start.date().isoformat()
                    for b in service.store.batches(name, granularity=DAY)
                ],
            }
            for name in names
        }
        slots = []
        for index in range(MAX_COMPARED):
            slots.append(
                {
                    "dataset": dataset[index] if index < len(dataset) else "",
                    "segment": segment[index] if index < len(segment) else WHOLE,
                    "date": date[index] if index < len(date) else "",
                }
            )
        return page(
            "compare.html",
            request,
            title="Compare · watchkeeper",
            names=names,
            choices=choices,
            slots=slots,
            labels=[label for label, _ in profiles],
            colours=PALETTE,
            features=features,
            problems=problems,
        )

    # -- executions -------------------------------------------------------------------

    @router.get("/executions")
    def executions_page(request: Request, schedule: str | None = None) -> Response:
        runs = monitoring.executions(schedule, limit=500)
        return page(
            "executions.html",
            request,
            title="Executions · watchkeeper",
            executions=runs,
            schedules=monitoring.schedules(),
            schedule=schedule,
        )

    @router.get("/executions/{execution_id}/artifacts/{artifact}")
    def artifact(execution_id: int, artifact: str) -> Response:
        from watchkeeper.io.storage import read_bytes

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

    # -- monitors ---------------------------------------------------------------------

    @router.get("/datasets/{name}/monitors")
    def monitors_page(
        request: Request, name: str, message: str | None = None, error: str | None = None
    ) -> Response:
        dataset = _dataset(service, name)
        service.refresh(name)
        latest = service.store.batches(name, granularity=DAY, limit=1, newest_first=True)
        features = sorted((latest[0].metrics or {}) if latest else {})
        stored = service.store.monitor_settings(name)
        return page(
            "monitors.html",
            request,
            title=f"Monitors · {name} · watchkeeper",
            dataset=dataset,
            stored=sorted(stored.items()),
            features=features,
            segments=[(key, segment_label(key)) for key in service.store.segments(name) if key],
            methods=DRIFT_METHODS,
            compare_to=COMPARE_TO,
            defaults=resolve(stored, ANY, ANY),
            channels=[(url, redact(url)) for url in service.store.channels(name)],
            server_channels=[redact(url) for url in service.notify],
            message=message,
            error=error,
        )

    @router.post("/datasets/{name}/monitors")
    def save_monitor(
        name: str,
        segment: str = Form(ANY),
        feature: str = Form(ANY),
        enabled: str | None = Form(None),
        drift_method: str = Form("detector"),
        drift_threshold: str = Form(""),
        compare_to: str = Form("baseline"),
        null_fraction_threshold: str = Form(""),
        action: str = Form("save"),
    ) -> Response:
        _dataset(service, name)
        try:
            if action == "remove":
                service.set_monitor(name, None, segment=segment, feature=feature)
                note = f"removed the setting for {_scope(segment, feature)}"
            else:
                settings = {
                    "enabled": enabled is not None,
                    "drift_method": drift_method,
                    "drift_threshold": _number(drift_threshold, "drift threshold"),
                    "compare_to": compare_to,
                    "null_fraction_threshold": _number(
                        null_fraction_threshold, "null fraction threshold"
                    ),
                }
                service.set_monitor(name, settings, segment=segment, feature=feature)
                note = f"saved the setting for {_scope(segment, feature)}"
            service.refresh(name)
        except WatchkeeperError as exc:
            return _back(name, error=str(exc))
        return _back(name, message=note)

    @router.post("/datasets/{name}/alerts")
    def save_alerts(
        name: str,
        action: str = Form(...),
        url: str = Form(""),
        cooldown_minutes: str = Form(""),
    ) -> Response:
        _dataset(service, name)
        try:
            if action == "add":
                import apprise

                from watchkeeper.notify.urls import open_channel  # validates the URL

                open_channel(url.strip(), apprise.AppriseAsset(), 10.0)
                service.store.add_channel(name, url.strip())
                return _back(name, message=f"added {redact(url.strip())}")
            if action == "remove":
                service.store.remove_channel(name, url)
                return _back(name, message=f"removed {redact(url)}")
            if action == "cooldown":
                minutes = _number(cooldown_minutes, "cooldown")
                if minutes is None or minutes < 0 or minutes != int(minutes):
                    raise WatchkeeperError("the cooldown is a whole number of minutes (≥ 0)")
                service.store.update(name, cooldown_minutes=int(minutes))
                return _back(name, message=f"alerts at most every {int(minutes)} minutes")
            if action == "test":
                results = service.test_channels(name)
                failed = [shown for shown, ok in results.items() if not ok]
                if failed:
                    return _back(name, error=f"test message not accepted by {', '.join(failed)}")
                return _back(name, message=f"test message sent to {len(results)} channel(s)")
        except WatchkeeperError as exc:
            return _back(name, error=str(exc))
        raise HTTPException(422, f"unknown action {action!r}")

    return router


# -- helpers -----------------------------------------------------------------------------


class _Range:
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
        self.segment = segment
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
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    except ValueError:
        raise HTTPException(422, f"{what} {text!r} is not a date (YYYY-MM-DD)") from None


def _dataset(service: DatasetService, name: str):
    found = service.store.find(name)
    if found is None:
        raise HTTPException(404, f"no dataset named {name!r}")
    return found


def _batches_in(service: DatasetService, name: str, view: _Range):
    """The dataset and its batches of the page's segment and range, up to date."""
    dataset = _dataset(service, name)
    service.refresh(name)
    batches = service.store.batches(
        name, segment=view.segment, granularity=view.granularity, start=view.start, end=view.end
    )
    return dataset, batches


def _chosen(batches: list[Batch], wanted: str | None, prefer: Batch | None = None):
    if wanted:
        for batch in batches:
            if _when(batch) == wanted or batch.start.isoformat() == wanted:
                return batch
        raise HTTPException(404, f"no batch {wanted!r} in this range")
    return prefer or (batches[-1] if batches else None)


def _when(batch: Batch) -> str:
    if batch.granularity == HOUR:
        return batch.start.strftime("%Y-%m-%dT%H:00")
    return batch.start.date().isoformat()


def _segments(service: DatasetService, name: str, view: _Range) -> list[dict[str, Any]]:
    """Each segment with its violation count in the range."""
    counts: dict[str, int] = {}
    for batch in service.store.batches(
        name, segment=None, granularity=view.granularity, start=view.start, end=view.end
    ):
        counts[batch.segment] = counts.get(batch.segment, 0) + len(batch.violations)
    return [
        {"key": key, "label": segment_label(key), "violations": counts.get(key, 0)}
        for key in service.store.segments(name)
    ]


def _open_violations(service: DatasetService, name: str, latest: Batch | None) -> int:
    if latest is None:
        return 0
    every = service.store.batches(
        name, segment=None, granularity=DAY, start=latest.start, end=latest.end
    )
    return sum(len(batch.violations) for batch in every)


def _distance(entry: dict[str, Any]) -> float | None:
    value = entry.get("hellinger_baseline")
    return value if value is not None else entry.get("hellinger_previous")


def _numeric(batch: Batch, feature: str) -> bool:
    entry = (batch.metrics or {}).get(feature, {})
    return entry.get("type") in ("Integral", "Fractional")


def _query(request: Request, **changes: Any) -> str:
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return urlencode(params)


def _overview_figure(batches: list[Batch]) -> dict[str, Any]:
    times = [b.start.isoformat() for b in batches]
    flagged = [b for b in batches if b.violations]
    return {
        "data": [
            {
                "type": "bar",
                "name": "records",
                "x": times,
                "y": [b.rows for b in batches],
                "marker": {"color": "#a3acb9"},
                "hovertemplate": "%{x}: %{y:,} records<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "largest drift (Hellinger)",
                "x": times,
                "y": [b.max_score for b in batches],
                "yaxis": "y2",
                "line": {"color": PALETTE[0]},
                "hovertemplate": "%{x}: %{y:.3f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "violations",
                "x": [b.start.isoformat() for b in flagged],
                "y": [b.max_score for b in flagged],
                "yaxis": "y2",
                "marker": {"color": BAD, "size": 11, "symbol": "x"},
                "text": [f"{len(b.violations)} violation(s)" for b in flagged],
                "hovertemplate": "%{x}: %{text}<extra></extra>",
            },
        ],
        "layout": _time_layout(
            height=260,
            yaxis={"title": {"text": "records"}, "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "drift"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
            },
            shapes=_highlights(flagged),
        ),
    }


def _feature_figures(batches: list[Batch], feature: str) -> list[dict[str, Any]]:
    times = [b.start.isoformat() for b in batches]
    entries = [(b.metrics or {}).get(feature, {}) for b in batches]
    flagged = [b for b in batches if any(v["feature"] == feature for v in b.violations)]
    shapes = _highlights(flagged)
    nulls = [entry.get("null_fraction") or 0.0 for entry in entries]

    def line(name, key, colour, **extra):
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": times,
            "y": [_get(entry, key) for entry in entries],
            "line": {"color": colour},
            **extra,
        }

    figures = [
        {
            "id": "counts",
            "title": "Records and missing values",
            "data": [
                {
                    "type": "bar",
                    "name": "records",
                    "x": times,
                    "y": [entry.get("count") for entry in entries],
                    "marker": {"color": "#a3acb9"},
                },
                line("null fraction", "null_fraction", BAD, yaxis="y2"),
            ],
            "layout": _time_layout(
                yaxis={"title": {"text": "records"}, "rangemode": "tozero"},
                yaxis2={
                    "title": {"text": "null fraction"},
                    "overlaying": "y",
                    "side": "right",
                    "tickformat": ".0%",
                    # a column without missing values shows a flat line at 0, not noise
                    "range": [0, 1.1 * max([0.05, *nulls])],
                    "showgrid": False,
                },
                shapes=shapes,
            ),
        }
    ]
    if any("mean" in entry for entry in entries):
        figures.append(
            {
                "id": "values",
                "title": "Mean and quantiles (p5, p50, p95)",
                "data": [
                    line("p95", "p95", "#9fb8cc", line_dash="dot"),
                    line("p50", "p50", PALETTE[0]),
                    line("p5", "p5", "#9fb8cc"),
                    line("mean", "mean", PALETTE[2]),
                ],
                "layout": _time_layout(shapes=shapes),
            }
        )
    drift_traces = [
        line("Hellinger to previous batch", "hellinger_previous", "#7b8794"),
        line("Hellinger to baseline", "hellinger_baseline", PALETTE[0]),
    ]
    for against, colour, dash in (("baseline", PALETTE[2], None), ("previous", "#c9a227", "dot")):
        drift_traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"detector score to {against}",
                "x": times,
                "y": [_score(entry, against) for entry in entries],
                "yaxis": "y2",
                "line": {"color": colour, **({"dash": dash} if dash else {})},
            }
        )
    drift_traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "violation",
            "x": [b.start.isoformat() for b in flagged],
            "y": [_get((b.metrics or {}).get(feature, {}), "hellinger_baseline") for b in flagged],
            "marker": {"color": BAD, "size": 12, "symbol": "x"},
            "text": [
                "; ".join(v["description"] for v in b.violations if v["feature"] == feature)
                for b in flagged
            ],
            "hovertemplate": "%{x}: %{text}<extra></extra>",
        }
    )
    figures.append(
        {
            "id": "drift",
            "title": "Drift",
            "data": drift_traces,
            "layout": _time_layout(
                yaxis={"title": {"text": "Hellinger distance"}, "range": [0, 1]},
                yaxis2={
                    "title": {"text": "detector score"},
                    "overlaying": "y",
                    "side": "right",
                    "rangemode": "tozero",
                    "showgrid": False,
                },
                shapes=shapes,
            ),
        }
    )
    for figure in figures:
        for trace in figure["data"]:
            dash = trace.pop("line_dash", None)
            if dash:
                trace["line"]["dash"] = dash
    return figures


def _score(entry: dict[str, Any], against: str) -> float | None:
    found = entry.get(f"drift_{against}")
    return None if not found else found.get("score")


def _get(entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _highlights(flagged: list[Batch]) -> list[dict[str, Any]]:
    """A red band over each flagged batch, centred on its point (drawn at its start)."""
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": (batch.start - (batch.end - batch.start) / 2).isoformat(),
            "x1": (batch.start + (batch.end - batch.start) / 2).isoformat(),
            "y0": 0,
            "y1": 1,
            "fillcolor": BAD,
            "opacity": 0.12,
            "line": {"width": 0},
            "layer": "below",
        }
        for batch in flagged
    ]


def _time_layout(height: int = 240, **extra: Any) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 60, "r": 60, "t": 10, "b": 40},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"type": "date"},
        "hovermode": "x unified",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def _compared(service: DatasetService, name: str, key: str, when: str):
    """(label, profile) of a batch (or of the baseline when ``when`` is ``baseline``),
    or a message saying why it cannot be had."""
    if service.store.find(name) is None:
        return f"no dataset named {name!r}"
    if when == "baseline":
        profile = service.baseline(name)
        if profile is None:
            return f"dataset {name!r} has no baseline"
        return f"{name} · baseline", profile
    try:
        day = dt.date.fromisoformat(when) if when else None
    except ValueError:
        return f"{when!r} is not a date (YYYY-MM-DD)"
    try:
        parse_segment_key(key)
    except WatchkeeperError as exc:
        return str(exc)
    if day is None:
        found = service.store.batches(
            name, segment=key, granularity=DAY, limit=1, newest_first=True
        )
        batch = service.store.batch_by_id(found[0].id) if found else None
    else:
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        batch = service.store.batch(name, key, DAY, moment)
    if batch is None:
        return f"{name} [{segment_label(key)}] has no batch on {when or 'any day'}"
    label = f"{name} · {segment_label(key)} · {batch.start.date().isoformat()}"
    return label, service.profile(batch)


def _compare_features(profiles: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    names: list[str] = []
    for _, profile in profiles:
        names.extend(name for name in profile.columns if name not in names)
    features = []
    for feature in names:
        columns = [profile.columns.get(feature) for _, profile in profiles]
        sides = [
            (label, column, PALETTE[index])
            for index, ((label, _), column) in enumerate(zip(profiles, columns, strict=True))
            if column is not None
        ]
        numeric = any(column is not None and column.is_numeric for column in columns)
        figure = overlaid_numeric_figure(sides) if numeric else None
        figure = figure or grouped_category_figure(sides)
        rows = []
        for column in columns:
            if column is None:
                rows.append(None)
                continue
            quantile = column.quantiles([0.5])[0] if column.kll.n else None
            rows.append(
                {
                    "type": column.inferred_type,
                    "count": column.count,
                    "null_fraction": column.null_fraction,
                    "distinct": column.distinct_count(),
                    "mean": column.mean if column.moments.n else None,
                    "median": None if quantile is None else float(quantile),
                }
            )
        features.append(
            {"name": feature, "rows": rows, "figure": script_json(figure) if figure else None}
        )
    return features


def _scope(segment: str, feature: str) -> str:
    where = "every segment" if segment == ANY else segment_label(segment)
    what = "every feature" if feature == ANY else feature
    return f"{what} of {where}"


def _number(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise WatchkeeperError(f"{what} {text!r} is not a number") from None
    return value


def _back(name: str, **message: str) -> Response:
    return RedirectResponse(f"/datasets/{name}/monitors?{urlencode(message)}", status_code=303)


def _environment():
    environment = template_environment("watchkeeper.ui")
    environment.filters["share"] = formatting.share
    environment.filters["when"] = _when
    environment.filters["label"] = segment_label
    environment.filters["moment"] = lambda m: "—" if m is None else m.strftime("%Y-%m-%d %H:%M")
    return environment
