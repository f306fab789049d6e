"""Checking one landed object: the check pipeline, the report beside it, the record, the alert."""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from watchkeeper.baseline import Baseline
from watchkeeper.catalog import Catalog, ProcessedObject
from watchkeeper.checks.metrics import LANDING_FILES, MetricsDestination, metric_points
from watchkeeper.checks.pipeline import run_check
from watchkeeper.checks.rules import Rules
from watchkeeper.errors import WatchkeeperError
from watchkeeper.io import CsvOptions
from watchkeeper.io.storage import join
from watchkeeper.notify import Notifier
from watchkeeper.notify.messages import (
    check_alert,
    failure_alert,
    failure_reason,
    metrics_failure_alert,
)
from watchkeeper.report import write_plotly_bundle
from watchkeeper.report.page import plotly_bundle_name
from watchkeeper.watch.isolation import ChildProcess, InProcess, UnitFailed
from watchkeeper.watch.objects import LandedObject, Location

log = logging.getLogger("watchkeeper.watch")
# Each object's outcome has its own logger: a face that prints a line per object itself
# (the watch command) silences it rather than showing every outcome twice.
OUTCOMES = "watchkeeper.watch.outcomes"
outcomes = logging.getLogger(OUTCOMES)

ASSETS = "_assets"
DONE, FAILED = "done", "failed"


@dataclass
class WatchSettings:
    """How each object is judged and where its report goes.

    ``reports`` is a prefix below the watched root (``reports`` by default) or a full
    folder or URI of its own; each object's report lands in a folder named after its
    key there. ``report_url``, when given, is the web address of that reports folder,
    used for links in messages instead of storage paths.
    """

    rules: Rules | None = None
    baseline: Baseline | None = None
    reports: str = "reports"
    report_url: str | None = None
    drift: str = "default"
    csv: CsvOptions | None = None
    storage_options: dict | None = None
    title: str = "watchkeeper: landed file"
    _bundles: set[str] = field(default_factory=set, repr=False)

    def reports_root(self, location: Location) -> str:
        if "://" in self.reports or os.path.isabs(self.reports):
            return self.reports.rstrip("/")
        if location.is_local:
            return join(location.root, self.reports)
        return f"{location.display.rstrip('/')}/{self.reports.strip('/')}"

    def reports_key(self, location: Location) -> str | None:
        """The reports prefix as a key below the root, so that listing skips reports."""
        if "://" in self.reports or os.path.isabs(self.reports):
            return None
        return self.reports.strip("/")


@dataclass(frozen=True)
class Verdict:
    """What checking one object found: rows read, violations (as dictionaries), report,
    and its metric series ``(name, statistic, value)``."""

    rows: int
    violations: list[dict[str, Any]]
    report: str | None
    metrics: list[tuple[str, str, float]] = field(default_factory=list)


def judge(uri: str, settings: WatchSettings, folder: str, plotly_src: str) -> Verdict:
    """Check one object and write its report to ``folder``: the part of processing an
    object that reads its bytes, run in a child process when the watcher isolates."""
    outcome = run_check(
        uri,
        baseline=settings.baseline,
        rules=settings.rules,
        output=folder,
        drift=settings.drift,
        csv=settings.csv,
        storage_options=settings.storage_options,
        title=settings.title,
        plotly_src=plotly_src,
    )
    violations = [violation.to_dict() for violation in outcome.violations]
    constraints = settings.baseline.constraints if settings.baseline is not None else None
    return Verdict(
        outcome.profile.rows,
        violations,
        outcome.artifacts.get("html"),
        metric_points(outcome, constraints),
    )


class FileChecker:
    """Runs the one judgement pipeline on landed objects and records each outcome.

    ``isolation`` runs each object's check (:class:`InProcess` by default, or
    :class:`ChildProcess`); whatever the check does ends as a record, done or failed.
    ``metrics`` receives each checked object's metric series, with the dimension
    ``Source`` (the watched folder or bucket); when that fails the object stays done,
    its record's ``error`` says why and the team is told.
    """

    def __init__(
        self,
        location: Location,
        settings: WatchSettings,
        catalog: Catalog,
        notifier: Notifier,
        isolation: InProcess | ChildProcess | None = None,
        metrics: MetricsDestination | None = None,
    ) -> None:
        if settings.rules is None and settings.baseline is None:
            raise WatchkeeperError("nothing to check against: give rules, a baseline, or both")
        self.location, self.settings = location, settings
        self.catalog, self.notifier = catalog, notifier
        self.isolation = isolation or InProcess()
        self.metrics = metrics

    def process(self, item: LandedObject) -> ProcessedObject | None:
        """Check one object, write its report beside it, record it and queue its alert.

        None when another process sharing the catalog checks (or checked) this version.
        """
        if not self.catalog.claim(item.uri, item.version, self.location.display):
            log.info("%s: another process is checking it", item.uri)
            return None
        try:
            record, rows = self._judged(item)
            recorded = self.catalog.record(record, rows)
        except BaseException:
            self._release(item)  # stopped (a second Ctrl-C) or the catalog failed
            raise
        if not recorded:
            log.info("%s: another process recorded it first", item.uri)
            return None
        if record.status == DONE:
            outcomes.info(
                "%s: %d rows, %d violations, report %s",
                item.uri, record.rows, record.violations, record.report,
            )  # fmt: skip
        else:
            outcomes.warning("could not read %s: %s", item.uri, record.error)
        return record

    def _judged(self, item: LandedObject) -> tuple[ProcessedObject, list]:
        """The record of one object and its alert's outbox rows."""
        reports = self.settings.reports_root(self.location)
        folder = join(reports, *PurePosixPath(item.key).parts)
        try:
            plotly_src = self._shared_plotly(reports, item.key)
            verdict = self.isolation.run(judge, item.uri, self.settings, folder, plotly_src)
        except UnitFailed as exc:
            return self._failed(item, str(exc))
        except Exception as exc:  # e.g. the reports folder cannot be written
            return self._failed(item, failure_reason(exc))
        record = ProcessedObject(
            source=self.location.display,
            key=item.uri,
            version=item.version,
            status=DONE,
            violations=len(verdict.violations),
            rows=verdict.rows,
            report=verdict.report,
        )
        rows = []
        unpublished = self._publish(item, verdict)
        if unpublished is not None:
            record = replace(record, error=f"metrics not published: {unpublished}")
            rows = self.notifier.rows(metrics_failure_alert(item.uri, unpublished))
        if not verdict.violations:
            return record, rows
        alert = check_alert(
            self.location.display,
            item.uri,
            verdict.rows,
            verdict.violations,
            self._link(verdict.report),
        )
        return record, self.notifier.rows(alert) + rows

    def _publish(self, item: LandedObject, verdict: Verdict) -> str | None:
        """Send the object's metric series; the reason when they did not get there."""
        if self.metrics is None or not verdict.metrics:
            return None
        try:
            self.metrics.publish(
                verdict.metrics,
                {"Source": self.location.display},
                kind=LANDING_FILES,
                timestamp=dt.datetime.now(dt.UTC),
            )
        except Exception as exc:  # the check stands; its series did not go out
            reason = failure_reason(exc)
            log.warning("%s: metrics not published: %s", item.uri, reason)
            return reason
        return None

    def _failed(self, item: LandedObject, reason: str) -> tuple[ProcessedObject, list]:
        # The error already names the file; the message says it once, plainly.
        detail = reason[len(item.uri) + 2 :] if reason.startswith(item.uri + ": ") else reason
        record = ProcessedObject(
            source=self.location.display,
            key=item.uri,
            version=item.version,
            status=FAILED,
            error=detail,
        )
        return record, self.notifier.rows(failure_alert(item.uri, detail))

    def _release(self, item: LandedObject) -> None:
        try:
            self.catalog.release(item.uri, item.version)
        except Exception as exc:  # the claim then expires with its lease
            log.warning("%s: could not release its claim: %s", item.uri, exc)

    def _shared_plotly(self, reports: str, key: str) -> str:
        """Write plotly's bundle once per reports folder; the relative address for a report."""
        if reports not in self.settings._bundles:
            write_plotly_bundle(join(reports, ASSETS), self.settings.storage_options)
            self.settings._bundles.add(reports)
        depth = len(PurePosixPath(key).parts)
        return "../" * depth + f"{ASSETS}/{plotly_bundle_name()}"

    def _link(self, report: str | None) -> str | None:
        base = self.settings.report_url
        if report is None or not base:
            return report
        reports = self.settings.reports_root(self.location)
        relative = report[len(reports) :].lstrip("/") if report.startswith(reports) else report
        return f"{base.rstrip('/')}/{relative.replace(os.sep, '/')}"
