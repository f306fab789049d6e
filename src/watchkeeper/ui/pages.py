"""The dashboard's pages, rendered on the server (Jinja2), charts drawn by plotly.js.

Pages read the batches' stored figures, not profiles, except where a distribution is
drawn (one batch and the baseline, or the compared profiles).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from watchkeeper.catalog import MAX_ID, MonitoringStore
from watchkeeper.catalog.datasets import DAY, HOUR, Batch
from watchkeeper.datasets.merging import one_line
from watchkeeper.datasets.monitors import (
    ANY,
    COMPARE_TO,
    DRIFT_METHODS,
)
from watchkeeper.datasets.segments import (
    WHOLE,
    check_dataset_id,
    segment_label,
)
from watchkeeper.datasets.service import DatasetService
from watchkeeper.errors import WatchkeeperError
from watchkeeper.notify.urls import redact
from watchkeeper.report import formatting
from watchkeeper.report.batch_charts import feature_figures, overview_figure
from watchkeeper.report.charts import (
    BASELINE_COLOUR,
    COMPARED_COLOURS,
    CURRENT_COLOUR,
    distribution_figure,
    script_json,
)
from watchkeeper.report.page import template_environment
from watchkeeper.report.sparkline import sparkline
from watchkeeper.ui.auth import COOKIE, LoginThrottle, Tokens, client_address, safe_next
from watchkeeper.ui.views import (
    PageRange,
    compared,
    problem_of,
    settings_in_force,
)

MAX_COMPARED = 3

log = logging.getLogger("watchkeeper.ui")


def pages_router(
    service: DatasetService, tokens: Tokens, throttle: LoginThrottle | None = None
) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    templates = _environment()
    monitoring = MonitoringStore(service.catalog)
    throttle = throttle or LoginThrottle()

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
        client = client_address(request)
        wait = throttle.retry_after(client)
        if wait is not None:
            answer = page(
                "login.html",
                request,
                status=429,
                next=safe_next(next),
                error=f"Too many wrong tokens from this address: try again in {wait} s.",
                title="Log in",
            )
            answer.headers["Retry-After"] = str(wait)
            return answer
        if not tokens.accepts(token):
            throttle.failed(client)
            return page(
                "login.html",
                request,
                status=401,
                next=safe_next(next),
                error="That token is not valid.",
                title="Log in",
            )
        throttle.succeeded(client)
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
        for dataset in service.datasets():
            days = service.batches(dataset.name, granularity=DAY)
            latest = days[-1] if days else None
            open_violations = _open_violations(service, dataset.name, latest)
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
        view: Annotated[PageRange, Depends()],
    ) -> Response:
        segment = view.segment
        dataset, batches = _batches_in(service, name, view)
        chosen = _chosen(batches, view.batch)
        segments = _segments(service, name, view)
        failed_count, failed_parts = service.failed_parts(name, 5)
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
            failed_count=failed_count,
            failed_parts=failed_parts,
            overview_chart=script_json(overview_figure(batches)),
            query=lambda **changes: _query(request, **changes),
        )

    # -- feature ----------------------------------------------------------------------

    @router.get("/datasets/{name}/features/{feature:path}")
    def feature_page(
        request: Request,
        name: str,
        feature: str,
        view: Annotated[PageRange, Depends()],
    ) -> Response:
        segment = view.segment
        dataset, batches = _batches_in(service, name, view)
        present = [b for b in batches if feature in (b.metrics or {})]
        if batches and not present:
            raise HTTPException(404, f"dataset {name!r} has no feature {feature!r}")
        flagged = [b for b in present if any(v["feature"] == feature for v in b.violations)]
        chosen = _chosen(present, view.batch, prefer=flagged[-1] if flagged else None)
        distribution, problems = None, []
        if chosen is not None:
            try:
                distribution = _distribution(service, name, chosen, feature)
            except Exception as exc:  # this page only: the rest of it still shows
                log.warning("%s/%s: distribution not drawn: %s", name, feature, one_line(exc))
                problems.append(f"The distribution cannot be drawn: {one_line(exc)}")
        settings, problem = settings_in_force(service, name, segment, feature)
        problems += [problem] if problem else []
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
            charts=script_json(feature_figures(present, feature)),
            distribution=script_json(distribution) if distribution else None,
            problems=problems,
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
        names = [d.name for d in service.datasets()]
        chosen, problems = [], []
        for index, name in enumerate(dataset[:MAX_COMPARED]):
            when = date[index] if index < len(date) else ""
            key = segment[index] if index < len(segment) else WHOLE
            if not name:
                continue
            found = compared(service, name, key, when)
            if isinstance(found, str):
                problems.append(found)
            else:
                chosen.append(found)
        if len(dataset) > MAX_COMPARED:
            problems.append(f"at most {MAX_COMPARED} profiles are compared; the first 3 are shown")
        profiles = [(label, profile) for label, profile in chosen]
        try:
            features = compare_features(profiles)
        except Exception as exc:  # this page only
            log.warning("profiles not compared: %s", one_line(exc))
            features = []
            problems.append(f"The profiles cannot be compared: {one_line(exc)}")
        choices = {
            name: {
                "segments": [
                    (key, segment_label(key)) for key in service.segments(name)
                ],
                "dates": [
                    b.start.date().isoformat()
                    for b in service.batches(name, granularity=DAY)
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
            colours=COMPARED_COLOURS,
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
    def artifact(execution_id: Annotated[int, Path(ge=1, le=MAX_ID)], artifact: str) -> Response:
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
        latest = service.latest_batch(name)
        features = sorted((latest.metrics or {}) if latest else {})
        stored = service.monitor_settings(name)
        return page(
            "monitors.html",
            request,
            title=f"Monitors · {name} · watchkeeper",
            dataset=dataset,
            stored=sorted(stored.items()),
            features=features,
            segments=[(key, segment_label(key)) for key in service.segments(name) if key],
            methods=DRIFT_METHODS,
            compare_to=COMPARE_TO,
            defaults=settings_in_force(service, name, ANY, ANY)[0],
            channels=[(url, redact(url)) for url in service.channels(name)],
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
                service.add_channel(name, url.strip())
                return _back(name, message=f"added {redact(url.strip())}")
            if action == "remove":
                service.remove_channel(name, url)
                return _back(name, message=f"removed {redact(url)}")
            if action == "cooldown":
                minutes = service.set_cooldown(name, _number(cooldown_minutes, "cooldown"))
                return _back(name, message=f"alerts at most every {minutes} minutes")
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


def _dataset(service: DatasetService, name: str):
    try:
        check_dataset_id(name)
    except WatchkeeperError as exc:
        raise HTTPException(404, f"no dataset named {name[:200]!r}: {exc}") from None
    found = service.dataset(name)
    if found is None:
        raise HTTPException(404, f"no dataset named {name!r}")
    return found


def _batches_in(service: DatasetService, name: str, view: PageRange):
    """The dataset and its batches of the page's segment and range, up to date."""
    dataset = _dataset(service, name)
    service.refresh(name)
    batches = service.batches(
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


def _segments(service: DatasetService, name: str, view: PageRange) -> list[dict[str, Any]]:
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


def _open_violations(service: DatasetService, name: str, latest: Batch | None) -> int:
    if latest is None:
        return 0
    every = service.batches(
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


def _distribution(service: DatasetService, name: str, chosen: Batch, feature: str):
    column = service.profile(chosen).columns.get(feature)
    reference = service.baseline(name)
    base = reference.columns.get(feature) if reference is not None else None
    sides = [("baseline", base, BASELINE_COLOUR)] if base is not None else []
    sides.append((f"batch {_when(chosen)}", column, CURRENT_COLOUR))
    sides = [side for side in sides if side[1] is not None]
    return distribution_figure(sides, _numeric(chosen, feature))


def compare_features(profiles: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Each feature of the compared (label, profile) pairs: a row of figures per profile
    (None where it lacks the feature) and their distributions in one chart."""
    names: list[str] = []
    for _, profile in profiles:
        names.extend(name for name in profile.columns if name not in names)
    features = []
    for feature in names:
        columns = [profile.columns.get(feature) for _, profile in profiles]
        sides = [
            (label, column, COMPARED_COLOURS[index])
            for index, ((label, _), column) in enumerate(zip(profiles, columns, strict=True))
            if column is not None
        ]
        numeric = any(column is not None and column.is_numeric for column in columns)
        figure = distribution_figure(sides, numeric)
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
