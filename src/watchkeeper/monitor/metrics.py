"""Metric series of a monitoring run, named as SageMaker's CloudWatch metrics.

Per feature: ``feature_data_<name>`` (numeric features: SampleCount, Sum, Minimum,
Maximum), ``feature_non_null_<name>`` (completeness), ``feature_baseline_drift_<name>``
(SageMaker's L-infinity distance with the constraints' method, so the series means what
SageMaker's does) and ``feature_drift_score_<name>`` (watchkeeper's detector score:
at 1 or more the feature drifted).
"""

from __future__ import annotations

import math

from watchkeeper.baseline import Baseline
from watchkeeper.checks.pipeline import CheckOutcome
from watchkeeper.drift import DriftResult, baseline_drift_distance

VALUE = "Value"


def metric_points(outcome: CheckOutcome, baseline: Baseline) -> list[tuple[str, str, float]]:
    """(metric name, statistic, value) for every feature of a check's outcome."""
    points: list[tuple[str, str, float]] = []
    config = baseline.constraints.config
    for name, column in outcome.profile.columns.items():
        if column.is_numeric and column.moments.n:
            moments = column.moments
            points += [
                (f"feature_data_{name}", "SampleCount", float(moments.n)),
                (f"feature_data_{name}", "Sum", moments.total),
                (f"feature_data_{name}", "Minimum", moments.min),
                (f"feature_data_{name}", "Maximum", moments.max),
            ]
        points.append((f"feature_non_null_{name}", VALUE, column.completeness))
        reference = baseline.statistics.columns.get(name) if baseline.statistics else None
        if reference is not None:
            distance = baseline_drift_distance(
                reference, column, config.comparison_method, config.categorical_drift_method
            ).judged
            if not math.isnan(distance):
                points.append((f"feature_baseline_drift_{name}", VALUE, distance))
        verdict = outcome.drift.get(name)
        if isinstance(verdict, DriftResult) and verdict.test is not None:
            points.append((f"feature_drift_score_{name}", VALUE, verdict.score))
    return [point for point in points if math.isfinite(point[2])]
