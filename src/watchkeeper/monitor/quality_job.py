"""A model-quality job: a window's captured predictions joined to their ground truth.

Captured records of the window → joined to the labels uploaded since the window began
(by inference id, else event id) → SageMaker's model-quality ``statistics.json`` →
checked against the baseline's ``constraints.json`` → ``constraint_violations.json``
under the execution's folder → an execution row → metric rows named as the statistics'
keys (``accuracy``, ``f1``, ``mae`` …) → alerts.

With a labelled ``reference`` file, the job also *estimates* the window's metrics from
every captured record (``watchkeeper.quality.estimation``): a binary classifier's
accuracy, precision, recall, F1 and AUC from its scores, a multiclass classifier's
accuracy and weighted recall, precision and F-scores from its class probabilities, a
regression model's MAE, MSE, RMSE and R² from its inputs and predictions. Performance
is so watched before the labels arrive: the estimates are kept as
``estimated_<metric>`` series beside the realized ones and, while no label has joined,
judged against the same constraints (their violations say "estimated").

Schedule options (``Schedule.options``): ``problem_type``, ``inference_attribute``,
``probability_attribute``, ``probability_threshold``, ``positive_label``,
``ground_truth`` (where labels are uploaded), and for the estimate ``reference``, a
labelled file with ``reference_label`` and the same probability columns (classifiers:
``probabilities`` stands for ``probabilities_0``, ``probabilities_1``, … of a multiclass
answer; ``classes`` names their classes in order) or the same prediction and feature
columns (regression: ``features``, by default the numeric columns both share).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.artifacts import CONSTRAINT_VIOLATIONS, CONSTRAINTS, REPORT_HTML, STATISTICS
from watchkeeper.capture.assemble import ANSWER, answer_columns, answer_name, named_by_position
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    Execution,
    MonitoringStore,
    Schedule,
)
from watchkeeper.checks.violations import Violation, violations_document
from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.io.storage import join, read_json
from watchkeeper.monitor.artifacts import report_heading, write_artifacts
from watchkeeper.monitor.window import captured_window
from watchkeeper.quality import check_quality, merge_with_captures, model_quality
from watchkeeper.quality import read_ground_truth as read_labels
from watchkeeper.quality.estimation import ESTIMATED
from watchkeeper.quality.metrics import KIND, quality_metric_points
from watchkeeper.report.quality_page import render_quality_html

log = logging.getLogger("watchkeeper.monitor")

LABEL = "groundTruth"
OPTIONS = (
    "problem_type",
    "inference_attribute",
    "probability_attribute",
    "probability_threshold",
    "positive_label",
    "ground_truth",
    "reference",
    "reference_label",
    "classes",
    "features",
)


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """Validate a model-quality schedule's options (at creation, not at the first run)."""
    from watchkeeper.quality import PROBLEM_TYPES

    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise UsageError(
            f"unknown model-quality option(s) {', '.join(unknown)}; allowed: {', '.join(OPTIONS)}"
        )
    if options.get("problem_type") not in PROBLEM_TYPES:
        raise UsageError(
            f"a model-quality schedule needs problem_type, one of {', '.join(PROBLEM_TYPES)}"
        )
    if not options.get("ground_truth"):
        raise UsageError("a model-quality schedule needs ground_truth: where labels are uploaded")
    if not options.get("inference_attribute") and not options.get("probability_attribute"):
        raise UsageError("a model-quality schedule needs inference_attribute (the prediction)")
    for listed in ("classes", "features"):
        if listed in options and not (
            isinstance(options[listed], list) and options[listed]
            and all(isinstance(item, str | int | float) for item in options[listed])
        ):  # fmt: skip
            raise UsageError(
                f"{listed} must be a non-empty list, e.g. {listed}=[\"a\", \"b\"], not "
                f"{options[listed]!r}"
            )
    if options.get("reference"):
        regression = options["problem_type"] == "Regression"
        needed = "inference_attribute" if regression else "probability_attribute"
        if not (options.get(needed) and options.get("reference_label")):
            raise UsageError(
                f"estimating performance from a reference needs {needed} and reference_label"
            )
    return options


def judge_model_quality(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    storage_options: dict | None,
    folder: str,
    now: dt.datetime,
) -> tuple[Execution, list[Violation]]:
    options = schedule.options
    constraints = read_json(join(schedule.baseline, CONSTRAINTS), storage_options)
    captured, empty = captured_window(store, schedule, execution, storage_options)
    if empty is not None:
        return empty, []
    labels = read_labels(
        options["ground_truth"],
        schedule.endpoint,
        execution.window_start,
        max(now, execution.window_end),
        storage_options=storage_options,
    )
    merged = merge_with_captures(captured.table, labels, label_column=LABEL)
    # the answer is named as it names itself (``predictions``) or by position (``_c0``)
    table = named_by_position(merged.table, [ANSWER])
    points: list[tuple[str, str, float]] = [
        ("records_captured", "Value", float(captured.records)),
        ("records_with_ground_truth", "Value", float(table.num_rows)),
        ("ground_truth_unmatched", "Value", float(merged.unmatched_ground_truth)),
    ]
    estimate = _estimate(options, captured.table, storage_options)
    if estimate is not None:
        points += [(f"estimated_{name}", "Value", estimate[name])
                   for name in ESTIMATED[options["problem_type"]]]  # fmt: skip
    files: dict[str, str] = {}
    violations: list[Violation] = []
    if table.num_rows:
        statistics = model_quality(
            table,
            problem_type=options["problem_type"],
            inference_attribute=answer_name(options.get("inference_attribute")),
            ground_truth_attribute=LABEL,
            probability_attribute=options.get("probability_attribute")
            if options["problem_type"] == "BinaryClassification" else None,
            probability_threshold=float(options.get("probability_threshold", 0.5)),
            positive_label=options.get("positive_label", 1),
        )
        violations = check_quality(statistics, constraints)
        files[STATISTICS] = json.dumps(statistics, indent=4)
        files[REPORT_HTML] = render_quality_html(
            statistics,
            baseline=_baseline_statistics(schedule, storage_options),
            violations=violations,
            **report_heading(schedule, execution, now),
            estimates=estimate,
        )
        points += quality_metric_points(statistics)
    elif estimate is not None:
        violations = _estimated_violations(options["problem_type"], estimate, constraints)
    else:
        reason = (
            f"no ground truth has joined the {captured.records} captured records of the window "
            f"yet (labels under {options['ground_truth']})"
        )
        finished = store.finish_execution(
            execution.id, status=FAILED, failure_reason=reason, records=captured.records,
            corrupt_lines=captured.corrupt_lines, metrics=points,
        )  # fmt: skip
        return finished, []
    files[CONSTRAINT_VIOLATIONS] = json.dumps(violations_document(violations), indent=4)
    artifacts = write_artifacts(folder, files, storage_options)
    finished = store.finish_execution(
        execution.id,
        status=COMPLETED_WITH_VIOLATIONS if violations else COMPLETED,
        records=table.num_rows or captured.records,
        corrupt_lines=captured.corrupt_lines,
        violations=len(violations),
        artifacts=artifacts,
        metrics=[point for point in points if np.isfinite(point[2])],
    )
    log.info("%s: %s", schedule.name, finished.exit_message)
    return finished, violations


def _baseline_statistics(schedule: Schedule, storage_options: dict | None) -> dict | None:
    """The baseline's statistics.json, drawn beside the window's in the report (a
    baseline folder may hold only its constraints)."""
    try:
        return read_json(join(schedule.baseline, STATISTICS), storage_options)
    except WatchkeeperError:
        return None


def _estimate(options: dict, table: pa.Table, storage_options: dict | None) -> dict | None:
    """The window's estimated metrics, or None when no reference is set up."""
    if not options.get("reference"):
        return None
    from watchkeeper.quality.estimation import estimate_window

    # the answer is named as it names itself (``predictions``) or by position (``_c0``)
    window = named_by_position(table, [ANSWER])
    return estimate_window(
        options["reference"],
        window,
        problem_type=options["problem_type"],
        label=options["reference_label"],
        prediction=answer_name(options.get("inference_attribute")),
        probability=options.get("probability_attribute"),
        threshold=float(options.get("probability_threshold", 0.5)),
        positive_label=options.get("positive_label", 1),
        classes=options.get("classes"),
        features=options.get("features"),
        answers=answer_columns(window),
        storage_options=storage_options,
    )


def _estimated_violations(problem_type: str, estimate: dict, constraints: dict) -> list[Violation]:
    metrics = {name: {"value": estimate[name]} for name in ESTIMATED[problem_type]}
    kind = KIND[problem_type]
    rules = constraints.get(f"{kind}_constraints", {})
    found = check_quality(
        {f"{kind}_metrics": metrics},
        {f"{kind}_constraints": {n: r for n, r in rules.items() if n in metrics}},
    )
    return [_estimated(violation) for violation in found]


def _estimated(violation: Violation) -> Violation:
    description = f"Estimated (no ground truth yet): {violation.description}"
    sagemaker = {**(violation.sagemaker or {}), "description": description}
    return replace(violation, description=description, sagemaker=sagemaker)

