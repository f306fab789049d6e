"""A finished execution's metric points judged against their series' history.

The schedule's ``history`` option (:func:`watchkeeper.history.parse_history`) names the
series and the detector for each; every point of the execution that a rule names is
judged against the points before it, the judgement kept in the catalog (the dashboard
draws its band) and each anomaly made a violation of the execution (counted in it and
added to its ``constraint_violations.json``), alerted with the others. One series is a
unit of failure: a judgement that fails is logged, the other series are judged.
"""

from __future__ import annotations

import logging

from watchkeeper.baseline.jackson import dumps
from watchkeeper.catalog import Execution, MetricJudgement, MonitoringStore, Schedule
from watchkeeper.checks.history import history_violation
from watchkeeper.checks.violations import HISTORY_ANOMALY, Violation
from watchkeeper.history import HistoryRule, Judgement, parse_history
from watchkeeper.io.storage import read_json, write_text
from watchkeeper.notify.messages import failure_reason

log = logging.getLogger("watchkeeper.monitor")

HISTORY = "history"
__all__ = ["HISTORY", "HISTORY_ANOMALY", "judge_history"]


def judge_history(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    storage_options: dict | None = None,
) -> tuple[Execution, list[Violation]]:
    """Judge ``execution``'s metric points that the schedule's rules name; the execution
    as it stands after, and a violation per anomalous point."""
    rules = parse_history(schedule.options.get(HISTORY, []))
    if not rules:
        return execution, []
    judgements: list[MetricJudgement] = []
    for point in store.metrics_of(execution.id):
        rule = next((r for r in rules if r.statistic == point.statistic and r.matches(point.name)),
                    None)  # fmt: skip
        if rule is None:
            continue
        try:
            earlier = store.metric_series(
                schedule.name, point.name, point.statistic,
                before=point.timestamp, last=rule.detector.span,
            )  # fmt: skip
            judgement = rule.detector.judge([p.value for p in earlier], point.value)
        except Exception as exc:  # one series' failure; the others are judged
            log.warning(
                "%s: %s (%s) not judged against its history: %s",
                schedule.name, point.name, point.statistic, failure_reason(exc),
            )  # fmt: skip
            continue
        judgements.append(_kept(schedule, point, rule, judgement))
    if not judgements:
        return execution, []
    finished = store.record_judgements(execution.id, judgements)
    violations = [_violation(judgement) for judgement in judgements if judgement.anomalous]
    if violations:
        _add_to_violations_file(schedule, finished, violations, storage_options)
    return finished, violations


def _add_to_violations_file(
    schedule: Schedule,
    execution: Execution,
    violations: list[Violation],
    storage_options: dict | None,
) -> None:
    """The anomalies join the window's ``constraint_violations.json``, so the file lists
    what the execution counts. The judgements stand whatever happens here."""
    uri = execution.artifacts.get("violations")
    if uri is None:
        return
    try:
        document = read_json(uri, storage_options)
        listed = [*document.get("violations", []), *(v.to_sagemaker() for v in violations)]
        write_text(uri, dumps({**document, "violations": listed}), storage_options)
    except Exception as exc:  # the verdict is kept in the catalog and alerted
        log.warning("%s: anomalies not added to %s: %s", schedule.name, uri, failure_reason(exc))


def _kept(schedule: Schedule, point, rule: HistoryRule, judgement: Judgement) -> MetricJudgement:
    def bound(value: float | None) -> float | None:
        # an open side of a band (a rate with one bound) is kept as no bound
        return None if value is None or abs(value) == float("inf") else float(value)

    return MetricJudgement(
        schedule=schedule.name,
        name=point.name,
        statistic=point.statistic,
        method=rule.detector.method,
        timestamp=point.timestamp,
        value=judgement.value,
        expected=bound(judgement.expected),
        low=bound(judgement.low),
        high=bound(judgement.high),
        anomalous=judgement.anomalous,
        reason=judgement.reason,
    )


def _violation(judgement: MetricJudgement) -> Violation:
    statistic = "" if judgement.statistic == "Value" else f" ({judgement.statistic})"
    return history_violation(
        judgement.name,
        f"{judgement.name}{statistic}",
        judgement.method,
        judgement,
        statistic=judgement.statistic,
    )
