"""Profiles compared side by side: up to three, each a day of a dataset's segment or a
dataset's baseline, with their figures and overlaid distributions."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from watchkeeper.catalog.datasets import DAY
from watchkeeper.datasets.merging import one_line
from watchkeeper.datasets.segments import (
    WHOLE,
    check_dataset_id,
    parse_segment_key,
    segment_label,
)
from watchkeeper.datasets.service import DatasetService
from watchkeeper.errors import WatchkeeperError
from watchkeeper.report.charts import COMPARED_COLOURS, distribution_figure, script_json
from watchkeeper.report.table import distinct_values
from watchkeeper.ui.pages.shared import Pages

MAX_COMPARED = len(COMPARED_COLOURS)  # one colour of the palette per compared profile

log = logging.getLogger("watchkeeper.ui")


def compare_router(service: DatasetService, pages: Pages) -> APIRouter:
    """``/compare?dataset=…&segment=…&date=…`` (each repeated once per profile; the date
    ``baseline`` stands for the dataset's baseline, none for its latest day)."""
    router = APIRouter(include_in_schema=False)

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
            problems.append(
                f"at most {MAX_COMPARED} profiles are compared; the first {MAX_COMPARED} are shown"
            )
        profiles = [(label, profile) for label, profile in chosen]
        try:
            features = compare_features(profiles)
        except Exception as exc:  # this page only
            log.warning("profiles not compared: %s", one_line(exc))
            features = []
            problems.append(f"The profiles cannot be compared: {one_line(exc)}")
        choices = {
            name: {
                "segments": [(key, segment_label(key)) for key in service.segments(name)],
                "dates": [batch.start.date().isoformat() for batch in service.batches(name)],
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
        return pages.render(
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

    return router


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
                    "distinct": distinct_values(column),
                    "mean": column.mean if column.moments.n else None,
                    "median": None if quantile is None else float(quantile),
                }
            )
        features.append(
            {"name": feature, "rows": rows, "figure": script_json(figure) if figure else None}
        )
    return features
