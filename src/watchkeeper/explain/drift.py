"""Feature attribution drift: how far the live ranking of features strays from the baseline's.

As SageMaker Model Monitor's explainability monitor, features are ranked by their global
SHAP value in the baseline (F) and in the live data (F′); with a(f) the baseline value
of feature f, the ranking's quality is

    nDCG = Σ a(F′_i) / log2(i + 1)  ÷  Σ a(F_i) / log2(i + 1)     (i from 1)

and the live data violates the baseline when nDCG falls below the threshold (0.9).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from watchkeeper.checks.violations import ATTRIBUTION_DRIFT, Violation
from watchkeeper.errors import SchemaError, UsageError
from watchkeeper.explain.output import parse_explanations

__all__ = [
    "DEFAULT_THRESHOLD",
    "AttributionDrift",
    "attribution_drift",
    "attribution_drift_violations",
    "ndcg",
]

DEFAULT_THRESHOLD = 0.9


@dataclass(frozen=True)
class AttributionDrift:
    """The nDCG of one label's live ranking against its baseline ranking."""

    label: str
    ndcg: float
    threshold: float

    @property
    def violated(self) -> bool:
        return self.ndcg < self.threshold

    def violation(self) -> Violation | None:
        """The violation when the drift is too large, else None (``observed`` is the nDCG,
        which violates when it falls below ``threshold``)."""
        if not self.violated:
            return None
        description = (
            f"Feature attribution drift {self.ndcg!r} exceeds threshold {self.threshold!r}"
        )
        sagemaker = {
            "label": self.label,
            "metric_name": "shap",
            "constraint_check_type": ATTRIBUTION_DRIFT,
            "description": description,
        }
        return Violation(
            self.label, ATTRIBUTION_DRIFT, description, self.ndcg, self.threshold,
            {"metric_name": "nDCG"}, sagemaker,
        )  # fmt: skip


def ndcg(baseline: Mapping[str, float], current: Mapping[str, float]) -> float:
    """nDCG of the ranking by ``current`` values, graded by the ``baseline`` values.

    Ties keep the order in which the features are listed. A baseline whose values are all
    zero ranks nothing, and any ranking of it scores 1.0.

    >>> round(ndcg({"a": 0.70, "b": 0.50, "c": 0.05}, {"a": 0.05, "b": 0.50, "c": 0.70}), 3)
    0.688
    >>> ndcg({"a": 0.7, "b": 0.5}, {"a": 9.0, "b": 1.0})
    1.0
    """
    if set(baseline) != set(current):
        missing = sorted(set(baseline) - set(current))
        extra = sorted(set(current) - set(baseline))
        raise SchemaError(
            "the baseline and current attributions name different features"
            + (f"; missing now: {', '.join(missing)}" if missing else "")
            + (f"; new: {', '.join(extra)}" if extra else "")
        )
    for name, values in (("baseline", baseline), ("current", current)):
        bad = [feature for feature, value in values.items() if not _is_finite(value)]
        if bad:
            raise UsageError(f"{name} attribution of {bad[0]!r} is not a finite number")
    ideal = sorted(baseline, key=lambda feature: -baseline[feature])
    live = sorted(current, key=lambda feature: -current[feature])
    best = _gain(baseline, ideal)
    if best == 0:
        return 1.0
    return _gain(baseline, live) / best


def attribution_drift(
    baseline_global: Mapping[str, float],
    current_global: Mapping[str, float],
    threshold: float = DEFAULT_THRESHOLD,
    *,
    label: str = "label0",
) -> AttributionDrift:
    """Compare one label's global SHAP values, live against baseline.

    >>> drift = attribution_drift({"a": 0.70, "b": 0.50, "c": 0.05},
    ...                           {"a": 0.05, "b": 0.50, "c": 0.70})
    >>> drift.violated, drift.violation().constraint_check_type
    (True, 'feature_attribution_drift_check')
    """
    if not _is_finite(threshold) or not 0 <= threshold <= 1:
        raise UsageError(f"threshold must be a number from 0 to 1, not {threshold!r}")
    return AttributionDrift(label, ndcg(baseline_global, current_global), float(threshold))


def attribution_drift_violations(
    baseline_analysis: Mapping[str, Any],
    current_analysis: Mapping[str, Any],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Violation]:
    """The violations of every label of two explainability ``analysis.json`` documents."""
    baseline = _kernel_shap(baseline_analysis, "baseline")
    current = _kernel_shap(current_analysis, "current")
    missing = [label for label in baseline if label not in current]
    if missing:
        raise SchemaError(f"the current analysis has no label {missing[0]!r}")
    violations = []
    for label, entry in baseline.items():
        drift = attribution_drift(
            entry["global_shap_values"],
            current[label]["global_shap_values"],
            threshold,
            label=label,
        )
        if drift.violated:
            violations.append(drift.violation())
    return violations


def _kernel_shap(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    return dict(parse_explanations(document, f"the {name} analysis")["explanations"]["kernel_shap"])


def _gain(grades: Mapping[str, float], ranking: list[str]) -> float:
    return sum(grades[feature] / math.log2(rank + 1) for rank, feature in enumerate(ranking, 1))


def _is_finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
