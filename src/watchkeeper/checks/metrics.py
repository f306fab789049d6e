"""Metric series of a monitoring run, named as SageMaker's CloudWatch metrics.

Per feature: ``feature_data_<name>`` (numeric features: SampleCount, Sum, Minimum,
Maximum), ``feature_non_null_<name>`` (completeness), ``feature_baseline_drift_<name>``
(the figure the drift check judged: with ``--drift sagemaker`` SageMaker's distance with
the constraints' method, as SageMaker's series; by default the effect of the detector's
deciding test, the ``observed`` of its violation) and ``feature_drift_score_<name>``
(the detector's score: at 1 or more the feature drifted); a free-text feature also
has ``feature_text_drift_<name>`` per descriptor (the statistic names it, e.g.
``text_length``, ``out_of_vocabulary_share``; the value is its largest effect). Across
columns: the
multivariate figure with its band (``Value``, ``Lower``, ``Upper``; see
:mod:`watchkeeper.checks.multivariate`).

As SageMaker, no series is emitted when the constraints' ``monitoring_config`` says
``emit_metrics: Disabled``, nor for a feature whose override says so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Protocol

from watchkeeper.baseline import Constraints
from watchkeeper.checks.pipeline import CheckOutcome
from watchkeeper.drift import DriftResult
from watchkeeper.profile.text import OUT_OF_VOCABULARY

VALUE = "Value"
# the kind of series a landed file's check gives, beside the monitoring schedules' kinds
LANDING_FILES = "landing-files"


class MetricsDestination(Protocol):
    """Where metric series go besides the catalog (e.g.
    :class:`watchkeeper.integrations.cloudwatch.CloudWatchMetrics`): ``publish`` sends
    ``(name, statistic, value)`` points with their dimensions, the kind of check that
    made them (a schedule's kind or :data:`LANDING_FILES`) and their time, and raises
    when they do not get there."""

    def publish(
        self,
        points: Iterable[tuple[str, str, float]],
        dimensions: dict[str, str],
        *,
        kind: str,
        timestamp: dt.datetime,
    ) -> int: ...


def metric_points(
    outcome: CheckOutcome, constraints: Constraints | None = None
) -> list[tuple[str, str, float]]:
    """(metric name, statistic, value) for every feature of a check's outcome whose
    ``constraints`` (when given) let it emit metrics."""
    if constraints is not None and not constraints.config.emit_metrics:
        return []
    features = constraints.features if constraints is not None else {}
    points: list[tuple[str, str, float]] = []
    for name, column in outcome.profile.columns.items():
        if name in features and not features[name].emit_metrics:
            continue
        if column.is_numeric and column.moments.n:
            moments = column.moments
            points += [
                (f"feature_data_{name}", "SampleCount", float(moments.n)),
                (f"feature_data_{name}", "Sum", moments.total),
                (f"feature_data_{name}", "Minimum", moments.min),
                (f"feature_data_{name}", "Maximum", moments.max),
            ]
        points.append((f"feature_non_null_{name}", VALUE, column.completeness))
        verdict = outcome.drift.get(name)
        if isinstance(verdict, DriftResult):
            if verdict.test is not None:
                points.append((f"feature_baseline_drift_{name}", VALUE, verdict.effect))
                points.append((f"feature_drift_score_{name}", VALUE, verdict.score))
            points += _text_points(name, verdict)
        elif verdict is not None:
            points.append((f"feature_baseline_drift_{name}", VALUE, float(verdict)))
    points += outcome.multivariate_series(constraints)
    return [point for point in points if math.isfinite(point[2])]


def _text_points(name: str, verdict: DriftResult) -> list[tuple[str, str, float]]:
    if verdict.kind != "text":
        return []
    effects: dict[str, float] = {}
    for test in verdict.tests:
        descriptor = test.name.partition(":")[0]
        if ":" in test.name or test.name == OUT_OF_VOCABULARY:
            # a spread's effect is a ratio either way: its distance from 1 is the change
            size = abs(math.log(test.effect)) if test.name.endswith(":scale") else test.effect
            effects[descriptor] = max(effects.get(descriptor, -math.inf), size)
    return [(f"feature_text_drift_{name}", key, value) for key, value in effects.items()]
