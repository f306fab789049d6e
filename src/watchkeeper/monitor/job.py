"""One monitoring job: a window of captured traffic judged against a baseline.

Captured records of the window → profile → checks against the baseline → artefacts
(``statistics.json``, ``constraints.json``, ``constraint_violations.json`` and the
report) under ``{report}/{endpoint}/{schedule}/yyyy/mm/dd/HH/`` (HH the hour the window
ends, as SageMaker names its execution folders) → an execution row with SageMaker's
status → metric rows → alerts when violations appear or the job fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pyarrow as pa

from watchkeeper.baseline import Baseline, constraints_json, load_baseline, suggest_constraints
from watchkeeper.capture import read_capture
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    IN_PROGRESS,
    Execution,
    MonitoringStore,
    Schedule,
)
from watchkeeper.checks.pipeline import run_check, write_outcome
from watchkeeper.errors import WatchkeeperError
from watchkeeper.io.storage import join
from watchkeeper.monitor.clarify_jobs import (
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    judge_bias,
    judge_explainability,
)
from watchkeeper.monitor.metrics import metric_points
from watchkeeper.monitor.quality_job import MODEL_QUALITY, judge_model_quality
from watchkeeper.notify import Notifier
from watchkeeper.notify.messages import check_alert, failure_alert, failure_reason

log = logging.getLogger("watchkeeper.monitor")

_POSITIONAL = re.compile(r"_c\d+")
# the judges of the schedule kinds other than data quality
JUDGES = {
    MODEL_QUALITY: judge_model_quality,
    MODEL_BIAS: judge_bias,
    MODEL_EXPLAINABILITY: judge_explainability,
}


def output_folder(schedule: Schedule, window_end: dt.datetime) -> str:
    """``{report}/{endpoint}/{schedule}/yyyy/mm/dd/HH`` as SageMaker lays executions out;
    a window that does not end on the hour gets a ``MM-SS`` folder below, so that runs
    over shorter windows do not overwrite each other."""
    parts = [window_end.strftime("%Y"), window_end.strftime("%m"), window_end.strftime("%d")]
    parts.append(window_end.strftime("%H"))
    if window_end.minute or window_end.second:
        parts.append(window_end.strftime("%M-%S"))
    return join(schedule.report, schedule.endpoint, schedule.name, *parts)


def run_job(
    store: MonitoringStore,
    schedule: Schedule,
    scheduled_for: dt.datetime,
    window: tuple[dt.datetime, dt.datetime],
    *,
    notifier: Notifier | None = None,
    storage_options: dict | None = None,
) -> Execution | None:
    """Run ``schedule`` over ``window``; None when that window was run already.

    The window is a unit of failure: whatever the job raises ends the execution as
    Failed with the error's one-line reason, and is alerted.
    """
    execution = store.start_execution(schedule, scheduled_for, window)
    if execution is None:
        return None
    violations: list[dict] = []
    try:
        judge = JUDGES.get(schedule.kind)
        if judge is None:
            finished, violations = _judge(store, schedule, execution, storage_options)
        else:
            folder = output_folder(schedule, execution.window_end)
            now = dt.datetime.now(dt.UTC)
            finished, violations = judge(store, schedule, execution, storage_options, folder, now)
    except Exception as exc:  # whatever one window raises is that window's failure
        finished = _failed(store, execution, exc)
    alert(notifier, finished, violations)
    return finished


def _failed(store: MonitoringStore, execution: Execution, exc: Exception) -> Execution:
    reason = failure_reason(exc)
    if not isinstance(exc, WatchkeeperError):
        # a bug met by this window's data: the reason is in the execution, the trace here
        log.debug("monitoring job %s failed", execution.schedule, exc_info=exc)
    current = store.execution(execution.id)
    if current.status != IN_PROGRESS:
        # the job recorded its outcome, then failed on something after it (its dataset)
        log.warning("%s: after the execution finished: %s", execution.schedule, reason)
        return current
    log.warning("%s: the window failed: %s", execution.schedule, reason)
    return store.finish_execution(execution.id, status=FAILED, failure_reason=reason)


def _judge(
    store: MonitoringStore, schedule: Schedule, execution: Execution, storage_options: dict | None
) -> tuple[Execution, list[dict]]:
    baseline = load_baseline(schedule.baseline, storage_options)
    captured = read_capture(
        schedule.capture,
        schedule.endpoint,
        schedule.variant,
        start=execution.window_start,
        end=execution.window_end,
        storage_options=storage_options,
    )
    if captured.records == 0:
        empty = store.finish_execution(
            execution.id,
            status=FAILED,
            failure_reason=(
                f"no captured records for {schedule.endpoint} between "
                f"{execution.window_start:%Y-%m-%dT%H:%M}Z and "
                f"{execution.window_end:%Y-%m-%dT%H:%M}Z"
            ),
            corrupt_lines=captured.corrupt_lines,
        )
        return empty, []
    table = features_of(captured.table, baseline)
    folder = output_folder(schedule, execution.window_end)
    outcome = run_check(table, baseline=baseline, storage_options=storage_options)
    artifacts = write_outcome(
        outcome,
        folder,
        storage_options,
        title=f"watchkeeper: {schedule.endpoint} / {schedule.name}",
        extra={"constraints.json": constraints_json(suggest_constraints(outcome.profile))},
    )
    outcome.artifacts = artifacts
    status = COMPLETED_WITH_VIOLATIONS if outcome.violations else COMPLETED
    finished = store.finish_execution(
        execution.id,
        status=status,
        records=captured.records,
        corrupt_lines=captured.corrupt_lines,
        violations=len(outcome.violations),
        artifacts=artifacts,
        metrics=metric_points(outcome, baseline),
    )
    log.info("%s: %s (%d records)", schedule.name, finished.exit_message, captured.records)
    _to_dataset(store, schedule, execution, outcome.profile, baseline)
    return finished, [violation.to_dict() for violation in outcome.violations]


def _to_dataset(store, schedule, execution, profile, baseline) -> None:
    """The window's profile joins the endpoint's dataset (named after the endpoint), so
    the dashboard shows captured traffic over time; the schedule's baseline becomes the
    dataset's baseline when it has none. The execution stands whatever happens here."""
    from watchkeeper.datasets.service import DatasetService

    try:
        service = DatasetService(store.catalog)
        service.receive(schedule.endpoint, profile, timestamp=execution.window_start)
        dataset = service.dataset(schedule.endpoint)
        if dataset is not None and not dataset.has_baseline and baseline.statistics is not None:
            service.set_baseline(schedule.endpoint, baseline.statistics, schedule.baseline)
    except Exception as exc:  # the execution stands whatever happens here
        log.warning(
            "%s: profile not added to dataset %s: %s",
            schedule.name, schedule.endpoint, failure_reason(exc),
        )  # fmt: skip


def features_of(table: pa.Table, baseline: Baseline) -> pa.Table:
    """The captured columns to judge: metadata dropped; positional names (``_c0`` …, from
    CSV payloads and unnamed predictions) replaced by the baseline's names at the same
    positions, as SageMaker matches features by position, when the counts agree."""
    keep = [name for name in table.column_names if not name.startswith("__")]
    table = table.select(keep)
    names = list(baseline.constraints.features) or (
        list(baseline.statistics.columns) if baseline.statistics else []
    )
    if len(names) != table.num_columns:
        return table
    renamed = [
        names[position]
        if _POSITIONAL.fullmatch(current) and names[position] not in keep
        else current
        for position, current in enumerate(table.column_names)
    ]
    return table.rename_columns(renamed)


def alert(notifier: Notifier | None, execution: Execution, violations: list[dict]) -> None:
    """Tell the team about a failed execution, or one with violations. A channel or
    outbox that fails is logged: it never fails the execution."""
    if notifier is None:
        return
    where = f"endpoint {execution.endpoint}, schedule {execution.schedule}"
    window = f"{execution.window_start:%Y-%m-%d %H:%M} to {execution.window_end:%Y-%m-%d %H:%M} UTC"
    try:
        if execution.status == FAILED:
            notifier.send(
                failure_alert(f"{where}, window {window}", execution.failure_reason or "")
            )
        elif execution.status == COMPLETED_WITH_VIOLATIONS:
            report = execution.artifacts.get("html")
            notifier.send(
                check_alert(where, f"window {window}", execution.records, violations, report)
            )
    except Exception as exc:  # the execution stands; its alert is what failed
        log.error("%s: could not queue the alert: %s", execution.schedule, failure_reason(exc))
