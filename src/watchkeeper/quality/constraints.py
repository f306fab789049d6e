"""Model-quality constraints: suggest them from a baseline, check statistics against them.

A suggested threshold is the baseline's value. Metrics where smaller is better (errors
and false rates) are violated when the current value is ``GreaterThanThreshold``; every
other metric when it is ``LessThanThreshold``, as in SageMaker's suggested
``constraints.json``.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.baseline.jackson import JavaDouble, java_double
from watchkeeper.checks.violations import Violation
from watchkeeper.errors import FormatError

KINDS = ("binary_classification", "multiclass_classification", "regression")
SMALLER_IS_BETTER = {"mae", "mse", "rmse", "false_positive_rate", "false_negative_rate"}
OPERATORS = ("LessThanThreshold", "GreaterThanThreshold")


def _kind(document: dict, suffix: str, what: str) -> str:
    if not isinstance(document, dict):
        raise FormatError(f"{what} must be a JSON object, not {type(document).__name__}")
    found = [kind for kind in KINDS if isinstance(document.get(f"{kind}_{suffix}"), dict)]
    if len(found) != 1:
        raise FormatError(
            f"{what} must hold exactly one of {', '.join(f'{kind}_{suffix}' for kind in KINDS)}"
        )
    return found[0]


def suggest_quality_constraints(statistics: dict) -> dict:
    """SageMaker's suggested model-quality ``constraints.json`` for a baseline.

    Every scalar metric with a value gets a constraint whose threshold is that value;
    the best-constant-classifier references, the confusion matrix and the curves do not.

    >>> statistics = {"version": 0.0, "dataset": {"item_count": 3}, "regression_metrics": {
    ...     "mae": {"value": 0.5, "standard_deviation": "NaN"},
    ...     "r2": {"value": 0.6, "standard_deviation": "NaN"}}}
    >>> suggest_quality_constraints(statistics)["regression_constraints"]["mae"]
    {'threshold': 0.5, 'comparison_operator': 'GreaterThanThreshold'}
    """
    kind = _kind(statistics, "metrics", "model-quality statistics")
    constraints: dict[str, Any] = {}
    for name, metric in statistics[f"{kind}_metrics"].items():
        if name.endswith("_best_constant_classifier") or not isinstance(metric, dict):
            continue
        value = metric.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue  # curves, the confusion matrix and "NaN" values set no threshold
        constraints[name] = {
            "threshold": JavaDouble(value),
            "comparison_operator": (
                "GreaterThanThreshold" if name in SMALLER_IS_BETTER else "LessThanThreshold"
            ),
        }
    return {"version": JavaDouble(0.0), f"{kind}_constraints": constraints}


def check_quality(statistics: dict, constraints: dict) -> list[Violation]:
    """The violations of ``constraints`` by ``statistics`` (``to_sagemaker()`` gives
    SageMaker's entries).

    A metric whose current value is ``"NaN"`` (undefined for the data) is not judged.

    >>> constraints = {"regression_constraints": {
    ...     "mae": {"threshold": 0.4, "comparison_operator": "GreaterThanThreshold"}}}
    >>> statistics = {"regression_metrics": {"mae": {"value": 0.5}}}
    >>> [v.to_sagemaker() for v in check_quality(statistics, constraints)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'constraint_check_type': 'GreaterThanThreshold',
      'description': 'Metric mae with 0.5 was GreaterThanThreshold 0.4', 'metric_name': 'mae'}]
    """
    kind = _kind(constraints, "constraints", "model-quality constraints")
    if kind != _kind(statistics, "metrics", "model-quality statistics"):
        raise FormatError(
            f"the constraints are {kind}_constraints but the statistics are not {kind}_metrics"
        )
    metrics = statistics[f"{kind}_metrics"]
    violations = []
    for name, rule in constraints[f"{kind}_constraints"].items():
        threshold, operator = _rule(name, rule)
        if name not in metrics:
            raise FormatError(f"metric {name!r} is constrained but missing from the statistics")
        value = metrics[name].get("value") if isinstance(metrics[name], dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            continue
        broken = value < threshold if operator == "LessThanThreshold" else value > threshold
        if broken:
            violations.append(_violation(name, float(value), threshold, operator))
    return violations


def _violation(name: str, value: float, threshold: float, operator: str) -> Violation:
    description = (
        f"Metric {name} with {java_double(value)} was {operator} {java_double(threshold)}"
    )
    return Violation(
        name, operator, description, value, threshold,
        sagemaker={"constraint_check_type": operator, "description": description,
                   "metric_name": name},
    )  # fmt: skip


def _rule(name: str, rule: Any) -> tuple[float, str]:
    if not isinstance(rule, dict):
        raise FormatError(f"constraint {name!r} must be an object with threshold and operator")
    threshold, operator = rule.get("threshold"), rule.get("comparison_operator")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise FormatError(f"constraint {name!r}: threshold must be a number, not {threshold!r}")
    if operator not in OPERATORS:
        raise FormatError(
            f"constraint {name!r}: comparison_operator must be LessThanThreshold or "
            f"GreaterThanThreshold, not {operator!r}"
        )
    return float(threshold), operator
