"""Bias-drift and feature-attribution-drift jobs over a window of captured traffic.

Both judge the window against a Clarify ``analysis.json`` made beforehand (the
schedule's baseline folder holds it), write the window's own ``analysis.json`` and
``constraint_violations.json`` under the execution's folder, record metric series named
as SageMaker's CloudWatch metrics, and alert like any other job.

* ``model-bias``: the window's captured answers joined to their ground truth (as a
  model-quality job joins them), then Clarify's post-training bias metrics (and the
  pre-training ones when the baseline has them). A metric violates when it is farther
  from its neutral value than in the baseline (0 for every metric, 1 for DI), as
  SageMaker's bias-drift check rules, by more than ``tolerance`` (0.05 by default; 0
  is SageMaker's bare rule, which flags any window whose sampling noise lands on the
  far side of a near-neutral baseline). Series ``bias_metric_<NAME>``.
  Options: ``ground_truth``, ``label_values`` or ``label_threshold``, ``facet``,
  ``facet_values`` or ``facet_threshold``, ``group_variable``, ``methods`` (``all`` or
  a list of metric names), ``tolerance``, and the answer column: ``predicted_label``,
  or ``probability`` with ``probability_threshold``. Captured answers are named as
  they name themselves (``predictions``, ``probabilities_1`` … for the answers of
  ``watchkeeper serve``; ``_c0`` from a CSV answer is ``predictions`` too, and either
  name is accepted).
* ``model-explainability``: Kernel SHAP values of the window's captured inputs
  (at most ``max_rows`` of them, drawn with the seed) with the schedule's ``model``;
  a label whose global ranking has an nDCG below ``threshold`` (0.9) against the
  baseline's violates. Series ``feature_<name>`` and ``ExpectedValue``. CSV records'
  fields take the baseline's feature names by position after the answer. Options:
  ``model``, ``num_samples``, ``num_clusters``, ``agg_method``, ``seed``, ``max_rows``,
  ``threshold``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.artifacts import ANALYSIS, CONSTRAINT_VIOLATIONS, REPORT_HTML
from watchkeeper.capture.assemble import ANSWER, answer_name, named_by_position
from watchkeeper.catalog import COMPLETED, COMPLETED_WITH_VIOLATIONS, FAILED, Execution, Schedule
from watchkeeper.catalog.monitoring import MODEL_BIAS, MODEL_EXPLAINABILITY
from watchkeeper.checks.violations import BIAS_DRIFT, Violation, violations_document
from watchkeeper.errors import FormatError, UsageError
from watchkeeper.io.storage import join
from watchkeeper.monitor.artifacts import report_heading, write_artifacts
from watchkeeper.monitor.window import captured_window
from watchkeeper.report.bias_page import render_bias_html
from watchkeeper.report.explanations_page import render_explanations_html

LABEL = "groundTruth"
_POSITIONAL = re.compile(r"_c\d+")
NEUTRAL = {"DI": 1.0}

BIAS_OPTIONS = (
    "ground_truth",
    "label_values",
    "label_threshold",
    "facet",
    "facet_values",
    "facet_threshold",
    "group_variable",
    "predicted_label",
    "probability",
    "probability_threshold",
    "methods",
    "tolerance",
)
DEFAULT_TOLERANCE = 0.05
EXPLAIN_OPTIONS = (
    "model",
    "num_samples",
    "num_clusters",
    "agg_method",
    "seed",
    "max_rows",
    "threshold",
)


def check_bias_options(options: dict[str, Any]) -> dict[str, Any]:
    _known(options, BIAS_OPTIONS, MODEL_BIAS)
    for needed in ("ground_truth", "facet"):
        if not options.get(needed):
            raise UsageError(f"a {MODEL_BIAS} schedule needs {needed}")
    if ("label_values" in options) == ("label_threshold" in options):
        raise UsageError(f"a {MODEL_BIAS} schedule needs label_values or label_threshold")
    if ("predicted_label" in options) == ("probability" in options):
        raise UsageError(
            f"a {MODEL_BIAS} schedule needs the answer column: predicted_label or probability"
        )
    tolerance = options.get("tolerance", DEFAULT_TOLERANCE)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        raise UsageError(f"tolerance must be a number ≥ 0, got {tolerance!r}")
    return options


def check_explain_options(options: dict[str, Any]) -> dict[str, Any]:
    _known(options, EXPLAIN_OPTIONS, MODEL_EXPLAINABILITY)
    if not options.get("model"):
        raise UsageError(f"a {MODEL_EXPLAINABILITY} schedule needs model (a model file)")
    threshold = options.get("threshold", 0.9)
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise UsageError(f"threshold must be in (0, 1], got {threshold!r}")
    return options


def _known(options: dict, allowed: tuple[str, ...], kind: str) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise UsageError(
            f"unknown {kind} option(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


# -- bias ------------------------------------------------------------------------------


def judge_bias(store, schedule: Schedule, execution: Execution, storage_options, folder, now):
    from watchkeeper.fairness import bias_report, posttraining_bias, pretraining_bias
    from watchkeeper.fairness.analysis import dumps, read_analysis
    from watchkeeper.quality import merge_with_captures, read_ground_truth

    options = schedule.options
    baseline = read_analysis(join(schedule.baseline, ANALYSIS), storage_options)
    captured, empty = captured_window(store, schedule, execution, storage_options)
    if empty is not None:
        return empty, []
    labels = read_ground_truth(
        options["ground_truth"], schedule.endpoint, execution.window_start,
        max(now, execution.window_end), storage_options=storage_options,
    )  # fmt: skip
    merged = merge_with_captures(captured.table, labels, label_column=LABEL).table
    if merged.num_rows == 0:
        reason = (
            f"no ground truth has joined the {captured.records} captured records of the window "
            f"yet (labels under {options['ground_truth']})"
        )
        finished = store.finish_execution(
            execution.id, status=FAILED, failure_reason=reason, records=captured.records
        )
        return finished, []
    merged = merged.select([n for n in merged.column_names if not n.startswith("__")])
    # a CSV answer is positional (_c0), a JSON one named: one column either way
    merged = named_by_position(merged, [ANSWER])
    common = {
        "label": LABEL,
        "label_values": options.get("label_values"),
        "label_threshold": options.get("label_threshold"),
        "facet": options["facet"],
        "facet_values": options.get("facet_values"),
        "facet_threshold": options.get("facet_threshold"),
        "group_variable": options.get("group_variable"),
        "methods": options.get("methods", "all"),
    }
    # labels arrive as text: numbers again where the baseline compared numbers
    merged = _numeric_label(merged, options)
    post = posttraining_bias(
        merged,
        predicted_label=answer_name(options.get("predicted_label")),
        probability=answer_name(options.get("probability")),
        probability_threshold=float(options.get("probability_threshold", 0.5)),
        **common,
    )
    pre = pretraining_bias(merged, **common) if "pre_training_bias_metrics" in baseline else None
    current = bias_report(pre=pre, post=post)
    tolerance = float(options.get("tolerance", DEFAULT_TOLERANCE))
    violations = bias_drift_violations(baseline, current, tolerance)
    files = {
        ANALYSIS: dumps(current),
        REPORT_HTML: render_bias_html(
            current, **report_heading(schedule, execution, now)
        ),
        CONSTRAINT_VIOLATIONS: json.dumps(violations_document(violations, "1.0"), indent=4),
    }
    artifacts = write_artifacts(folder, files, storage_options)
    finished = store.finish_execution(
        execution.id,
        status=COMPLETED_WITH_VIOLATIONS if violations else COMPLETED,
        records=merged.num_rows,
        corrupt_lines=captured.corrupt_lines,
        violations=len(violations),
        artifacts=artifacts,
        metrics=_bias_points(current),
    )
    return finished, violations


def bias_drift_violations(baseline: dict, current: dict, tolerance: float = 0.0) -> list[Violation]:
    """SageMaker's bias-drift check: a metric farther from its neutral value than in the
    baseline (0, or 1 for DI), by more than ``tolerance``, violates; a metric the
    baseline could not compute is not judged. ``observed`` is the current distance from
    neutral, ``threshold`` the baseline's plus the tolerance.

    >>> section = lambda value: {"label": "y", "facets": {"sex": [{"value_or_threshold": "0",
    ...     "metrics": [{"name": "DPPL", "description": "", "value": value}]}]}}
    >>> base = {"post_training_bias_metrics": section(0.2)}
    >>> bias_drift_violations(base, {"post_training_bias_metrics": section(0.1)})
    []
    >>> [v.to_sagemaker()["metric_name"] for v in bias_drift_violations(
    ...     base, {"post_training_bias_metrics": section(-0.3)})]
    ['DPPL']
    """
    found = []
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        if stage not in baseline or stage not in current:
            continue
        before = _values(baseline[stage])
        for (facet, value, name), now in _values(current[stage]).items():
            then = before.get((facet, value, name))
            if then is None or now is None:
                continue
            neutral = NEUTRAL.get(name, 0.0)
            distance = abs(_number(now) - neutral)
            limit = abs(_number(then) - neutral) + tolerance
            if distance > limit:
                found.append(_bias_violation(facet, value, name, now, distance, limit))
    return found


def _bias_violation(
    facet: str, value: str, name: str, now: Any, distance: float, limit: float
) -> Violation:
    description = f"Value {now} does not meet the constraint requirement"
    sagemaker = {
        "facet": facet,
        "facet_value": value,
        "metric_name": name,
        "constraint_check_type": BIAS_DRIFT,
        "description": description,
    }
    return Violation(
        f"{facet}={value}", BIAS_DRIFT, description, distance, limit,
        {"metric_name": name}, sagemaker,
    )  # fmt: skip


def _values(section: dict) -> dict[tuple[str, str, str], Any]:
    values = {}
    for facet, groups in section.get("facets", {}).items():
        for group in groups:
            for metric in group.get("metrics", []):
                key = (facet, str(group.get("value_or_threshold")), metric["name"])
                values[key] = metric.get("value")
    return values


def _number(value: Any) -> float:
    if value in ("Infinity", "-Infinity"):
        return math.inf  # either way, as far from neutral as can be
    return float(value)


def _bias_points(document: dict) -> list[tuple[str, str, float]]:
    points = []
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for (facet, value, name), number in _values(document.get(stage, {})).items():
            if number is None or isinstance(number, str):
                continue
            if math.isfinite(float(number)):
                # the statistic column says which group the value is of
                points.append((f"bias_metric_{name}", f"{facet}={value}"[:32], float(number)))
    return points


def _numeric_label(table: pa.Table, options: dict) -> pa.Table:
    values = options.get("label_values")
    wants_numbers = options.get("label_threshold") is not None or (
        values and all(isinstance(v, int | float) for v in values)
    )
    if not wants_numbers:
        return table
    import pyarrow.compute as pc

    position = table.column_names.index(LABEL)
    try:
        numbers = pc.cast(table[LABEL], pa.float64())
    except pa.ArrowInvalid:
        raise FormatError("the uploaded ground truth is not numeric") from None
    return table.set_column(position, LABEL, numbers)


# -- feature attribution ---------------------------------------------------------------


def judge_explainability(store, schedule: Schedule, execution: Execution, storage_options,
                         folder, now):  # fmt: skip
    from watchkeeper.explain import explain
    from watchkeeper.explain.drift import attribution_drift_violations
    from watchkeeper.explain.output import analysis_document, read_explanations

    options = schedule.options
    baseline = read_explanations(join(schedule.baseline, ANALYSIS), storage_options)
    captured, empty = captured_window(store, schedule, execution, storage_options)
    if empty is not None:
        return empty, []
    shap = baseline["explanations"]["kernel_shap"]
    features = list(next(iter(shap.values()))["global_shap_values"])
    table = captured.table
    if not any(_POSITIONAL.fullmatch(name) for name in features):
        # CSV records' fields take the model's feature names, after the one answer field
        table = named_by_position(table, [ANSWER, *features])
    limit = int(options.get("max_rows", 100))
    seed = int(options.get("seed", 0))
    if table.num_rows > limit:
        rows = np.sort(np.random.default_rng(seed).choice(table.num_rows, limit, replace=False))
        table = table.take(pa.array(rows))
    explanation = explain(
        options["model"],
        table,
        num_clusters=options.get("num_clusters"),
        num_samples=options.get("num_samples"),
        agg_method=options.get("agg_method", "mean_abs"),
        seed=seed,
        label_headers=list(shap),
        features=features,
    )
    current = analysis_document(explanation)
    violations = attribution_drift_violations(
        baseline, current, float(options.get("threshold", 0.9))
    )
    files = {
        ANALYSIS: json.dumps(current, indent=4),
        REPORT_HTML: render_explanations_html(
            current, local=explanation, **report_heading(schedule, execution, now)
        ),
        CONSTRAINT_VIOLATIONS: json.dumps(violations_document(violations, "1.0"), indent=4),
    }
    artifacts = write_artifacts(folder, files, storage_options)
    points = []
    for label, entry in current["explanations"]["kernel_shap"].items():
        tag = label[:32]
        points += [(f"feature_{name}", tag, value)
                   for name, value in entry["global_shap_values"].items()]  # fmt: skip
        points.append(("ExpectedValue", tag, entry["expected_value"]))
    finished = store.finish_execution(
        execution.id,
        status=COMPLETED_WITH_VIOLATIONS if violations else COMPLETED,
        records=captured.records,
        corrupt_lines=captured.corrupt_lines,
        violations=len(violations),
        artifacts=artifacts,
        metrics=[p for p in points if isinstance(p[2], float) and math.isfinite(p[2])],
    )
    return finished, violations


__all__ = [
    "MODEL_BIAS",
    "MODEL_EXPLAINABILITY",
    "bias_drift_violations",
    "check_bias_options",
    "check_explain_options",
    "judge_bias",
    "judge_explainability",
]
