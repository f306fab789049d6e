"""One monitoring job: a window of captured traffic judged by its schedule's kind.

The window is claimed (one execution per window), judged by the kind's judge
(:mod:`watchkeeper.monitor.kinds`), which writes its artefacts under
``{report}/{endpoint}/{schedule}/yyyy/mm/dd/HH/`` and finishes the execution with
SageMaker's status and its metric rows; the rows its ``history`` option names are then
judged against their series' past (:mod:`watchkeeper.monitor.history_job`); then the
team is alerted when violations appear or the job fails.
"""

from __future__ import annotations

import datetime as dt
import logging

from watchkeeper.capture.scripts import run_post_analytics
from watchkeeper.catalog import (
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    IN_PROGRESS,
    Execution,
    MonitoringStore,
    Schedule,
)
from watchkeeper.checks.metrics import MetricsDestination
from watchkeeper.checks.violations import Violation
from watchkeeper.errors import WatchkeeperError
from watchkeeper.monitor.artifacts import output_folder
from watchkeeper.monitor.history_job import judge_history
from watchkeeper.monitor.kinds import kind_of
from watchkeeper.monitor.window import POST_ANALYTICS
from watchkeeper.notify import Notifier
from watchkeeper.notify.messages import (
    check_alert,
    failure_alert,
    failure_reason,
    metrics_failure_alert,
)

log = logging.getLogger("watchkeeper.monitor")


def run_job(
    store: MonitoringStore,
    schedule: Schedule,
    scheduled_for: dt.datetime,
    window: tuple[dt.datetime, dt.datetime],
    *,
    notifier: Notifier | None = None,
    storage_options: dict | None = None,
    metrics: MetricsDestination | None = None,
) -> Execution | None:
    """Run ``schedule`` over ``window``; None when that window was run already.

    The window is a unit of failure: whatever the job raises ends the execution as
    Failed with the error's one-line reason, and is alerted. ``metrics`` (e.g.
    :class:`watchkeeper.integrations.cloudwatch.CloudWatchMetrics`) receives the
    execution's metric series with the dimensions ``Endpoint`` and ``MonitoringSchedule``;
    when it fails, the execution keeps its status, records why in ``metrics_error`` and
    the team is told.
    """
    execution = store.start_execution(schedule, scheduled_for, window)
    if execution is None:
        return None
    violations: list[Violation] = []
    folder = output_folder(schedule, execution.window_end)
    try:
        judge = kind_of(schedule.kind).judge
        now = dt.datetime.now(dt.UTC)
        finished, violations = judge(store, schedule, execution, storage_options, folder, now)
    except Exception as exc:  # whatever one window raises is that window's failure
        finished = _failed(store, execution, exc)
    if finished.status != FAILED:
        finished, anomalies = _judge_history(store, schedule, finished, storage_options)
        violations = [*violations, *anomalies]
        if schedule.options.get(POST_ANALYTICS):
            post_analytics(schedule, finished, folder, notifier)
    if metrics is not None:
        finished = publish(store, metrics, finished, notifier)
    alert(notifier, finished, violations)
    return finished


def publish(
    store: MonitoringStore,
    metrics: MetricsDestination,
    execution: Execution,
    notifier: Notifier | None = None,
) -> Execution:
    """Send the metric points ``execution`` recorded to ``metrics``, stamped with its
    window's end as the catalog's series are. A failure is recorded and alerted."""
    points = [(p.name, p.statistic, p.value) for p in store.metrics_of(execution.id)]
    if not points:
        return execution
    try:
        kind = store.schedule(execution.schedule).kind
        metrics.publish(
            points,
            {"Endpoint": execution.endpoint, "MonitoringSchedule": execution.schedule},
            kind=kind,
            timestamp=execution.window_end,
        )
    except Exception as exc:  # the judgement stands; its series did not go out
        reason = failure_reason(exc)
        log.warning("%s: metrics not published: %s", execution.schedule, reason)
        try:
            execution = store.record_metrics_error(execution.id, reason)
            if notifier is not None:
                window = f"{execution.window_end:%Y-%m-%d %H:%M} UTC"
                where = f"schedule {execution.schedule}, window to {window}"
                notifier.send(metrics_failure_alert(where, reason))
        except Exception as again:  # the catalog or outbox too: the log line is what is left
            log.error("%s: could not record it: %s", execution.schedule, failure_reason(again))
    return execution


def post_analytics(
    schedule: Schedule, execution: Execution, folder: str, notifier: Notifier | None
) -> None:
    """Run the schedule's post-analytics script once the window's files are written,
    in the environment SageMaker's container gives it (``output_path`` is the window's
    folder). The execution stands whatever the script does; a failure is logged and
    alerted."""
    environment = {
        "output_path": folder,
        "dataset_source": schedule.capture,
        "sagemaker_endpoint_name": schedule.endpoint,
        "sagemaker_monitoring_schedule_name": schedule.name,
        "start_time": f"{execution.window_start:%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{execution.window_end:%Y-%m-%dT%H:%M:%SZ}",
    }
    try:
        run_post_analytics(schedule.options[POST_ANALYTICS], environment)
    except Exception as exc:  # the judgement stands; the user's script is what failed
        reason = failure_reason(exc)
        log.warning("%s: %s", schedule.name, reason)
        if notifier is not None:
            where = f"endpoint {execution.endpoint}, schedule {execution.schedule}"
            try:
                notifier.send(failure_alert(where, reason))
            except Exception as again:  # the outbox too: the log line is what is left
                log.error("%s: could not queue the alert: %s", schedule.name,
                          failure_reason(again))  # fmt: skip


def _judge_history(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    storage_options: dict | None,
) -> tuple[Execution, list[Violation]]:
    """The execution's metrics judged against their history; the execution stands
    whatever happens there."""
    try:
        return judge_history(store, schedule, execution, storage_options)
    except Exception as exc:  # the window was judged; only its history's verdict is lost
        log.warning("%s: metrics not judged against their history: %s",
                    schedule.name, failure_reason(exc))  # fmt: skip
        return execution, []


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


def alert(notifier: Notifier | None, execution: Execution, violations: list[Violation]) -> None:
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
                check_alert(
                    where,
                    f"window {window}",
                    execution.records,
                    [violation.to_dict() for violation in violations],
                    report,
                )
            )
    except Exception as exc:  # the execution stands; its alert is what failed
        log.error("%s: could not queue the alert: %s", execution.schedule, failure_reason(exc))
