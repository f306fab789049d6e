"""Scheduled monitoring of captured traffic: schedules, jobs, executions, metrics.

A schedule says which endpoint's captured records are judged against which baseline,
when (cron) and where the results go; the scheduler runs each window once; each run is
an execution with SageMaker's statuses, its artefacts, metric series and alerts.
"""

from __future__ import annotations

import datetime as dt
import re

from watchkeeper.capture.layout import check_name
from watchkeeper.capture.scripts import POSTPROCESS_HANDLER, load_handler, load_preprocessor
from watchkeeper.catalog import Catalog, MonitoringStore, Schedule
from watchkeeper.catalog.monitoring import DATA_QUALITY
from watchkeeper.checks.metrics import metric_points
from watchkeeper.errors import UsageError
from watchkeeper.history import parse_history
from watchkeeper.monitor.artifacts import output_folder
from watchkeeper.monitor.history_job import HISTORY
from watchkeeper.monitor.job import run_job
from watchkeeper.monitor.kinds import REGISTRY, Kind, kind_of
from watchkeeper.monitor.scheduler import Scheduler
from watchkeeper.monitor.timing import (
    check_window_offsets,
    last_firing,
    next_firing,
    normalise_cron,
    parse_duration,
    parse_window,
    window_for,
)
from watchkeeper.monitor.window import POST_ANALYTICS, RECORD_PREPROCESSOR, SCRIPT_OPTIONS

__all__ = [
    "REGISTRY",
    "Kind",
    "Scheduler",
    "check_location",
    "check_schedule_name",
    "create_schedule",
    "kind_of",
    "last_firing",
    "metric_points",
    "next_firing",
    "normalise_cron",
    "output_folder",
    "parse_duration",
    "parse_window",
    "run_job",
    "window_for",
]


# a schedule's name is a folder of its results and a label of its metrics
SCHEDULE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_schedule_name(name: str) -> str:
    """``name`` if it can name a schedule, else a :class:`UsageError` saying why.

    >>> check_schedule_name("churn-hourly")
    'churn-hourly'
    >>> try:
    ...     check_schedule_name("churn\\n")
    ... except UsageError as error:
    ...     print(str(error).split(":")[0])
    schedule name 'churn\\n' is not allowed
    """
    if not isinstance(name, str) or not SCHEDULE_NAME.fullmatch(name):
        raise UsageError(
            f"schedule name {name!r} is not allowed: use up to 128 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit"
        )
    return name


# the length the catalog keeps of a schedule's folders and URIs
MAX_LOCATION = 2048


def check_location(what: str, location: str) -> str:
    """``location`` (a folder or URI) if the catalog can keep it, else a UsageError.

    >>> check_location("report folder", "s3://bucket/monitoring")
    's3://bucket/monitoring'
    >>> try:
    ...     check_location("capture folder", "capture\\n")
    ... except UsageError as error:
    ...     print(error)
    capture folder 'capture\\n' holds a control character
    """
    if not isinstance(location, str) or not 0 < len(location) <= MAX_LOCATION:
        raise UsageError(f"{what} must be a folder or URI of 1 to {MAX_LOCATION} characters")
    if any(ord(character) < 32 or ord(character) == 127 for character in location):
        raise UsageError(f"{what} {location!r} holds a control character")
    return location


def check_scripts(options: dict) -> None:
    """The schedule's script options name Python files that load, with the handler
    SageMaker calls; a record preprocessor runs where watchkeeper reads the window."""
    for option, what in ((RECORD_PREPROCESSOR, "record preprocessor"),
                         (POST_ANALYTICS, "post-analytics script")):  # fmt: skip
        if option in options:
            path = options[option]
            if not isinstance(path, str):
                raise UsageError(f"option {option} must be the path of a Python file")
            check_location(what, path)
    if RECORD_PREPROCESSOR in options:
        if options.get("engine") == "spark":
            raise UsageError("a record preprocessor runs with engine=local only")
        load_preprocessor(options[RECORD_PREPROCESSOR])
    if POST_ANALYTICS in options:
        load_handler(options[POST_ANALYTICS], POSTPROCESS_HANDLER)


def create_schedule(
    catalog: Catalog,
    *,
    name: str,
    endpoint: str,
    capture: str,
    baseline: str,
    report: str,
    cron: str = "0 * * * *",
    variant: str | None = None,
    window_start: str | None = None,
    window_end: str | None = None,
    storage_options: dict | None = None,
    created_at: dt.datetime | None = None,
    kind: str = DATA_QUALITY,
    options: dict | None = None,
) -> Schedule:
    """Validate and store a schedule: the cron, the window offsets, the baseline and the
    kind's options are checked now, so that a mistake is an error at creation, not a
    failed run at 3 a.m.

    ``kind`` is one of :data:`REGISTRY` (:mod:`watchkeeper.monitor.kinds`):
    ``data-quality`` (a profile of the captured inputs against a data baseline),
    ``model-quality`` (captured predictions joined to ground truth, judged against a
    model-quality baseline's ``constraints.json``; ``options`` as
    :mod:`watchkeeper.monitor.quality_job` lists them), ``model-bias`` or
    ``model-explainability`` (against a Clarify ``analysis.json``; options as
    :mod:`watchkeeper.monitor.clarify_jobs` lists them). Every kind also takes
    ``history``: rules judging the schedule's metric series against their own history
    (:func:`watchkeeper.history.parse_history`), and SageMaker's scripts:
    ``record_preprocessor`` and ``post_analytics`` (Python files; see
    :mod:`watchkeeper.capture.scripts`), loaded now.
    """
    check_schedule_name(name)
    # the endpoint and variant are folders of the capture layout, so they follow its rule
    check_name("endpoint", endpoint)
    if variant is not None:
        check_name("variant", variant)
    check_location("capture folder", capture)
    check_location("baseline", baseline)
    check_location("report folder", report)
    expression = normalise_cron(cron)
    check_window_offsets(expression, window_start, window_end)
    options = dict(options or {})
    if HISTORY in options:
        parse_history(options[HISTORY])
    check_scripts(options)
    own = {key: value for key, value in options.items() if key not in (HISTORY, *SCRIPT_OPTIONS)}
    kind_of(kind).check(baseline, own, storage_options)
    schedule = Schedule(
        name=name,
        endpoint=endpoint,
        capture=capture,
        baseline=baseline,
        report=report,
        cron=expression,
        variant=variant,
        window_start=window_start,
        window_end=window_end,
        created_at=created_at,
        kind=kind,
        options=options,
    )
    return MonitoringStore(catalog).create_schedule(schedule)
