"""Scheduled monitoring of captured traffic: schedules, jobs, executions, metrics.

A schedule says which endpoint's captured records are judged against which baseline,
when (cron) and where the results go; the scheduler runs each window once; each run is
an execution with SageMaker's statuses, its artefacts, metric series and alerts.
"""

from __future__ import annotations

import datetime as dt

from watchkeeper.baseline import load_baseline
from watchkeeper.catalog import Catalog, MonitoringStore, Schedule
from watchkeeper.monitor.job import output_folder, run_job
from watchkeeper.monitor.metrics import metric_points
from watchkeeper.monitor.scheduler import Scheduler
from watchkeeper.monitor.timing import (
    last_firing,
    next_firing,
    normalise_cron,
    parse_duration,
    parse_window,
    window_for,
)

__all__ = [
    "Scheduler",
    "create_schedule",
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
) -> Schedule:
    """Validate and store a schedule: the cron, the window offsets and the baseline are
    checked now, so that a mistake is an error at creation, not a failed run at 3 a.m."""
    expression = normalise_cron(cron)
    for offset in (window_start, window_end):
        if offset:
            parse_duration(offset)
    load_baseline(baseline, storage_options)
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
    )
    return MonitoringStore(catalog).create_schedule(schedule)
