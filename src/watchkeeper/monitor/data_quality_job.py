"""The data-quality kind: a window of captured traffic judged against a data baseline.

Captured records of the window → profile → the same check a file gets against the
baseline → artefacts (``statistics.json``, the window's suggested ``constraints.json``,
``constraint_violations.json`` and the report) → metric rows; the window's profile also
joins the endpoint's dataset, so the dashboard shows captured traffic over time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import pyarrow as pa

from watchkeeper.artifacts import CONSTRAINTS
from watchkeeper.baseline import Baseline, constraints_json, load_baseline, suggest_constraints
from watchkeeper.capture.assemble import columns_to_judge
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    Execution,
    MonitoringStore,
    Schedule,
)
from watchkeeper.checks.metrics import metric_points
from watchkeeper.checks.pipeline import run_check, write_outcome
from watchkeeper.checks.violations import Violation
from watchkeeper.errors import InputError
from watchkeeper.monitor.artifacts import report_heading
from watchkeeper.monitor.window import captured_on_spark, captured_window
from watchkeeper.notify.messages import failure_reason
from watchkeeper.profile import DatasetProfile

log = logging.getLogger("watchkeeper.monitor")


def judge_data_quality(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    storage_options: dict | None,
    folder: str,
    now: dt.datetime,
) -> tuple[Execution, list[Violation]]:
    """Profile the window's captured inputs and judge them against the data baseline."""
    baseline = load_baseline(schedule.baseline, storage_options)
    if schedule.options.get("engine") == "spark":
        select = partial(features_of, baseline=baseline)
        seen: dict[str, Any] = {}

        def on_spark(
            _: object, observers: Sequence[Any], text_columns: dict[str, bool]
        ) -> DatasetProfile:
            # the check's observers (rules, the multivariate sums) ride along on Spark
            profile, seen["captured"], seen["empty"] = captured_on_spark(
                store, schedule, execution, storage_options, select, observers, text_columns
            )
            return profile if seen["empty"] is None else DatasetProfile()

        try:
            outcome = run_check(
                schedule.capture,
                baseline=baseline,
                storage_options=storage_options,
                profiler=on_spark,
            )
        except InputError:
            if seen.get("empty") is None:
                raise
            return seen["empty"], []
        captured = seen["captured"]
    else:
        captured, empty = captured_window(store, schedule, execution, storage_options)
        if empty is not None:
            return empty, []
        judged = features_of(captured.table, baseline)
        outcome = run_check(judged, baseline=baseline, storage_options=storage_options)
    artifacts = write_outcome(
        outcome,
        folder,
        storage_options,
        **report_heading(schedule, execution, now),
        extra={CONSTRAINTS: constraints_json(suggest_constraints(outcome.profile))},
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
        metrics=metric_points(outcome, baseline.constraints),
    )
    log.info("%s: %s (%d records)", schedule.name, finished.exit_message, captured.records)
    _to_dataset(store, schedule, execution, outcome.profile, baseline)
    return finished, outcome.violations


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
    """The captured columns to judge against ``baseline``: see
    :func:`watchkeeper.capture.assemble.columns_to_judge`, with the baseline's features."""
    return columns_to_judge(table, baseline.feature_names)
