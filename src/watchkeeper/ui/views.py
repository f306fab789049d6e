"""What the dashboard's pages read from the query string and from the datasets, each
failure turned into a 4xx or a message on the page, never an error of the server."""

from __future__ import annotations

import datetime as dt

from fastapi import HTTPException

from watchkeeper.catalog.datasets import DAY, GRANULARITIES
from watchkeeper.datasets.monitors import MonitorSettings, resolve
from watchkeeper.datasets.segments import (
    WHOLE,
    check_dataset_id,
    check_segment_key,
    parse_segment_key,
    segment_label,
)
from watchkeeper.datasets.service import DatasetService, as_time
from watchkeeper.errors import WatchkeeperError


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


def problem_of(service: DatasetService, dataset) -> str | None:
    """Why a dataset's figures may be incomplete: its last refresh failed, or received
    profiles were set aside."""
    if dataset.error:
        return dataset.error
    failed, _ = service.failed_parts(dataset.name, 0)
    return f"{failed} received profile(s) could not be merged" if failed else None


def settings_in_force(service: DatasetService, name: str, segment: str, feature: str):
    """The monitor settings in force, and a note when the stored ones cannot be read."""
    try:
        return resolve(service.monitor_settings(name), segment, feature), None
    except WatchkeeperError as exc:
        return MonitorSettings(), f"The stored monitor settings are not valid: {exc}"


def compared(service: DatasetService, name: str, key: str, when: str):
    """(label, profile) of a batch (or of the baseline when ``when`` is ``baseline``),
    or a message saying why it cannot be had."""
    try:
        return _compared_profile(service, name, key, when)
    except WatchkeeperError as exc:
        return f"{name} cannot be compared: {exc}"


def _compared_profile(service: DatasetService, name: str, key: str, when: str):
    try:
        check_dataset_id(name)
    except WatchkeeperError:
        return f"no dataset named {name[:200]!r}"
    if service.dataset(name) is None:
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
        batch = service.latest_batch(name, key)
    else:
        moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        batch = service.batch(name, key, DAY, moment)
    if batch is None:
        return f"{name} [{segment_label(key)}] has no batch on {when or 'any day'}"
    label = f"{name} · {segment_label(key)} · {batch.start.date().isoformat()}"
    return label, service.profile(batch)
