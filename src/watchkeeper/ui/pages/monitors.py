"""A dataset's monitors: the drift and missing-value settings and the history rules per
segment and feature, its alert channels (with a test message) and the cooldown between
alerts; each change answered with a redirect back to the page carrying a message or the error."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from watchkeeper.datasets.anomalies import METRICS, parse_rule, scope_rules
from watchkeeper.datasets.monitors import ANY, COMPARE_TO, DRIFT_METHODS, HISTORY
from watchkeeper.datasets.segments import segment_label
from watchkeeper.datasets.service import DatasetService
from watchkeeper.errors import WatchkeeperError
from watchkeeper.history import METHODS
from watchkeeper.notify import Notifier
from watchkeeper.notify.urls import redact
from watchkeeper.ui.pages.shared import Pages, dataset_or_404, settings_in_force


def monitors_router(service: DatasetService, pages: Pages) -> APIRouter:
    """``/datasets/{name}/monitors`` (the page, and saving or removing a setting) and
    ``/datasets/{name}/alerts`` (channels and the cooldown)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/datasets/{name}/monitors")
    def monitors_page(
        request: Request, name: str, message: str | None = None, error: str | None = None
    ) -> Response:
        return render(request, name, message=message, error=error)

    def render(
        request: Request,
        name: str,
        *,
        message: str | None = None,
        error: str | None = None,
        typed_url: str = "",
    ) -> Response:
        dataset = dataset_or_404(service, name)
        service.refresh(name)
        latest = service.latest_batch(name)
        features = sorted((latest.metrics or {}) if latest else {})
        stored = service.monitor_settings(name)
        settings = {key: {k: v for k, v in value.items() if k != HISTORY}
                    for key, value in stored.items()}  # fmt: skip
        rules = [
            (key, index, _rule_label(entry))
            for key, value in sorted(stored.items())
            for index, entry in enumerate(value.get(HISTORY, []))
        ]
        return pages.render(
            "monitors.html",
            request,
            title=f"Monitors · {name} · watchkeeper",
            dataset=dataset,
            stored=sorted((key, value) for key, value in settings.items() if value),
            history_rules=rules,
            history_metrics=METRICS,
            history_methods=list(METHODS),
            features=features,
            segments=[(key, segment_label(key)) for key in service.segments(name) if key],
            methods=DRIFT_METHODS,
            compare_to=COMPARE_TO,
            defaults=settings_in_force(service, name, ANY, ANY)[0],
            channels=[(url, redact(url)) for url in service.channels(name)],
            server_channels=[redact(url) for url in service.notify],
            message=message,
            error=error,
            typed_url=typed_url,
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
        dataset_or_404(service, name)
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

    @router.post("/datasets/{name}/history")
    def save_history_rule(
        name: str,
        segment: str = Form(ANY),
        feature: str = Form(ANY),
        action: str = Form("add"),
        metric: str = Form(""),
        method: str = Form(""),
        index: int = Form(-1),
        window: str = Form(""),
        k: str = Form(""),
        period: str = Form(""),
        min_points: str = Form(""),
        max_increase: str = Form(""),
        max_decrease: str = Form(""),
        relative: str | None = Form(None),
        trend: str | None = Form(None),
    ) -> Response:
        dataset_or_404(service, name)
        rules = scope_rules(service.monitor_settings(name), segment, feature)
        scope = _scope(segment, feature)
        try:
            if action == "remove":
                if not 0 <= index < len(rules):
                    raise WatchkeeperError(f"no history rule {index} for {scope}")
                removed = rules.pop(index)
                note = f"removed the history rule {_rule_label(removed)} of {scope}"
            else:
                typed = {"window": window, "k": k, "period": period, "min_points": min_points,
                         "max_increase": max_increase, "max_decrease": max_decrease}  # fmt: skip
                entry: dict[str, Any] = {"metric": metric, "method": method}
                for key, text in typed.items():
                    value = _number(text, key.replace("_", " "))
                    if value is not None:
                        entry[key] = int(value) if key in _WHOLE and value.is_integer() else value
                if method == "rate":
                    entry["relative"] = relative is not None
                if method == "seasonal":
                    entry["trend"] = trend is not None
                rule = parse_rule(entry)
                rules.append(rule.to_dict())
                note = f"added the history rule {rule.label} for {scope}"
            service.set_history_rules(name, rules, segment=segment, feature=feature)
            service.refresh(name)
        except WatchkeeperError as exc:
            return _back(name, error=str(exc))
        return _back(name, message=note)

    @router.post("/datasets/{name}/alerts")
    def save_alerts(
        request: Request,
        name: str,
        action: str = Form(...),
        url: str = Form(""),
        cooldown_minutes: str = Form(""),
    ) -> Response:
        dataset_or_404(service, name)
        typed = url.strip()
        try:
            if action == "add":
                service.add_channel(name, typed)
                return _back(name, message=f"added {redact(typed)}")
            if action == "remove":
                service.remove_channel(name, url)
                return _back(name, message=f"removed {redact(url)}")
            if action == "cooldown":
                minutes = service.set_cooldown(name, _number(cooldown_minutes, "cooldown"))
                return _back(name, message=f"alerts at most every {minutes} minutes")
            if action == "test":
                if typed:
                    # the URL typed in the box is tried before it is added, and stays
                    # there to be added or corrected
                    [(shown, ok)] = _test_one(service, typed).items()
                    note = f"test message {'sent to' if ok else 'not accepted by'} {shown}"
                    outcome = {"message": note} if ok else {"error": note}
                    return render(request, name, typed_url=typed, **outcome)
                results = service.test_channels(name)
                failed = [shown for shown, ok in results.items() if not ok]
                if failed:
                    return _back(name, error=f"test message not accepted by {', '.join(failed)}")
                return _back(name, message=f"test message sent to {len(results)} channel(s)")
        except WatchkeeperError as exc:
            if typed and action in ("add", "test"):
                # shown again in its box to be corrected; never put in a redirect's
                # address, where it would reach logs with its credentials
                return render(request, name, error=str(exc), typed_url=typed)
            return _back(name, error=str(exc))
        raise HTTPException(422, f"unknown action {action!r}")

    return router


# parameters that count points: 14 typed as "14" is the whole number a detector takes
_WHOLE = ("window", "period", "min_points")


def _rule_label(entry: dict[str, Any]) -> str:
    try:
        return parse_rule(entry).label
    except WatchkeeperError as exc:  # a stored rule this version refuses: shown to remove
        return f"{entry!r:.120} (not valid: {exc})"


def _test_one(service: DatasetService, url: str) -> dict[str, bool]:
    """Send the test message to ``url`` alone, without adding it: redacted URL → accepted."""
    notifier = Notifier([url], service.catalog, attempts=1)
    return {notifier.channels[key]: ok for key, ok in notifier.test_message().items()}


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
