"""Landing-file quality: check every file that lands in a folder or bucket.

The job teams otherwise write an S3-PUT Lambda for, self-hosted: each new or replaced
object is read, profiled and judged against a rules file (and a baseline, if given); a
report lands beside it (under ``reports/``) and the team is told when a rule is broken::

    from watchkeeper.watch import watch

    watch("landing/", rules="rules.yaml", notify=["json://hooks.local/qa"], once=True)

Each object is a unit of failure: whatever its check does, it ends as a record (done,
or failed with a one-line reason) and the next object is checked. With
``isolate=True`` (what the ``watchkeeper watch`` command does) each check runs in a
child process, so that even a reader's native crash or a check past ``time_limit``
seconds is only that object's failure; call it from a script guarded by
``if __name__ == "__main__":``, as any ``multiprocessing`` program. Several watchers may
share one catalog (see :mod:`watchkeeper.watch.runner`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from watchkeeper.baseline import Baseline, load_baseline
from watchkeeper.catalog import Catalog, ProcessedObject
from watchkeeper.catalog.times import DEFAULT_LEASE
from watchkeeper.checks.metrics import MetricsDestination
from watchkeeper.checks.rules import Rules, read_rules
from watchkeeper.io import CsvOptions
from watchkeeper.notify import Notifier
from watchkeeper.watch.events import handle_event, parse_event
from watchkeeper.watch.isolation import (
    DEFAULT_TIME_LIMIT,
    ChildProcess,
    InProcess,
    UnitFailed,
    make_isolation,
)
from watchkeeper.watch.objects import Filters, LandedObject, Location
from watchkeeper.watch.process import FileChecker, WatchSettings
from watchkeeper.watch.runner import Watcher

__all__ = [
    "ChildProcess",
    "FileChecker",
    "Filters",
    "InProcess",
    "LandedObject",
    "Location",
    "UnitFailed",
    "WatchSettings",
    "Watcher",
    "handle_s3_event",
    "make_settings",
    "parse_event",
    "watch",
    "watcher",
]

Reference = Rules | Baseline | str | os.PathLike[str] | None


def make_settings(
    *,
    rules: Rules | str | os.PathLike[str] | None = None,
    baseline: Baseline | str | os.PathLike[str] | None = None,
    reports: str = "reports",
    report_url: str | None = None,
    drift: str = "default",
    csv: CsvOptions | None = None,
    storage_options: dict | None = None,
) -> WatchSettings:
    """Settings with the rules file and baseline read (and validated) up front."""
    if rules is not None and not isinstance(rules, Rules):
        rules = read_rules(rules, storage_options)
    if baseline is not None and not isinstance(baseline, Baseline):
        baseline = load_baseline(baseline, storage_options)
    return WatchSettings(
        rules=rules,
        baseline=baseline,
        reports=reports,
        report_url=report_url,
        drift=drift,
        csv=csv,
        storage_options=storage_options,
    )


def watcher(
    source: str | os.PathLike[str],
    *,
    rules: Reference = None,
    baseline: Reference = None,
    notify: Sequence[str] = (),
    prefix: str = "",
    suffix: str | None = None,
    reports: str = "reports",
    report_url: str | None = None,
    interval: float = 5.0,
    settle: float = 2.0,
    database: str | None = None,
    storage_options: dict | None = None,
    on_processed: Callable[[ProcessedObject], None] | None = None,
    isolate: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = None,
    lease: float = DEFAULT_LEASE,
    metrics: MetricsDestination | None = None,
) -> Watcher:
    """A :class:`Watcher` for ``source``, with rules, baseline and channels validated.

    ``isolate`` checks each object in a child process, stopped after ``time_limit``
    seconds and, when given, limited to ``memory_limit`` MiB; ``lease`` is how long this
    watcher's claims on objects and messages outlive it if it dies (see :class:`Catalog`);
    ``metrics`` receives each checked object's metric series (see :class:`FileChecker`).
    """
    settings = make_settings(
        rules=rules,
        baseline=baseline,
        reports=reports,
        report_url=report_url,
        storage_options=storage_options,
    )
    runner = make_isolation(isolate, time_limit, memory_limit)
    location = Location(source, storage_options)
    catalog = Catalog(database, lease=lease)
    notifier = Notifier(list(notify), catalog)
    filters = Filters(prefix, suffix, (settings.reports_key(location) or "",))
    return Watcher(
        location,
        FileChecker(location, settings, catalog, notifier, runner, metrics),
        catalog,
        notifier,
        filters,
        interval=interval,
        settle=settle,
        on_processed=on_processed,
    )


def watch(
    source: str | os.PathLike[str], *, once: bool = False, **options: Any
) -> list[ProcessedObject]:
    """Watch ``source`` (a folder or ``s3://bucket/prefix/``): see the module docs.

    ``options`` are those of :func:`watcher` (``rules``, ``baseline``, ``notify``,
    ``prefix``, ``suffix``, ``reports`` …). With ``once``, checks what is there and
    returns the records; otherwise runs until interrupted (KeyboardInterrupt, or
    :meth:`Watcher.stop` from another thread).
    """
    running = watcher(source, **options)
    if once:
        return running.run_once()
    running.run_forever()
    return []


def handle_s3_event(
    event: Any,
    *,
    rules: Reference = None,
    baseline: Reference = None,
    notify: Sequence[str] = (),
    reports: str = "reports",
    report_url: str | None = None,
    database: str | None = None,
    storage_options: dict | None = None,
    isolate: bool = False,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: int | None = None,
    metrics: MetricsDestination | None = None,
) -> list[ProcessedObject]:
    """Check the objects an S3 event notification names (a dict or its JSON text).

    Reports go to ``reports/`` in the same bucket; returns one record per object this
    call checked. ``isolate``, ``time_limit``, ``memory_limit`` and ``metrics`` are as
    for :func:`watcher`.
    """
    settings = make_settings(
        rules=rules,
        baseline=baseline,
        reports=reports,
        report_url=report_url,
        storage_options=storage_options,
    )
    runner = make_isolation(isolate, time_limit, memory_limit)
    catalog = Catalog(database)
    return handle_event(
        event,
        settings=settings,
        catalog=catalog,
        notifier=Notifier(list(notify), catalog),
        isolation=runner,
        metrics=metrics,
    )
