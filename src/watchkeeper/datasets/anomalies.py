"""A dataset's figures judged against their own history: the monitors' history rules.

A rule applies to a segment and a feature (``*``: every one), names one of the figures
every batch keeps (:data:`METRICS`) and a detector of :mod:`watchkeeper.history` with
its parameters; the rules of every scope that applies add up. When a batch is evaluated,
its figure is judged against the same figure of the batches before it (same segment and
granularity); the judgement is kept with the batch's figures, under :data:`KEPT` (the
feature page draws its band), and an anomaly is a ``metric_history_check`` violation of
the batch, alerted with the others.

>>> rule = parse_rule({"metric": "null_fraction", "method": "rolling", "window": 3})
>>> stored = {("*", "price"): {HISTORY: [rule.to_dict()]}}
>>> earlier = [{"price": {"null_fraction": share}} for share in (0.010, 0.012, 0.011)]
>>> metrics, found = judge_history({"price": {"null_fraction": 0.3}}, earlier, stored, "")
>>> [(v.feature_name, v.constraint_check_type) for v in found]
[('price', 'metric_history_check')]
>>> metrics["price"][KEPT][0]["anomalous"]
True
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, fields
from typing import Any

from watchkeeper.catalog import Batch, MetricJudgement, MetricPoint
from watchkeeper.checks.history import history_violation
from watchkeeper.checks.violations import Violation
from watchkeeper.datasets.merging import one_line
from watchkeeper.datasets.monitors import ANY, HISTORY, resolve, scopes
from watchkeeper.errors import UsageError
from watchkeeper.history import METHODS, Detector

log = logging.getLogger("watchkeeper.datasets")

# the figures of a feature's batches a rule can judge: those the feature page charts
METRICS = {
    "count": "values counted",
    "null_fraction": "share of missing values",
    "distinct": "distinct values",
    "mean": "mean",
    "std": "standard deviation",
    "min": "minimum",
    "max": "maximum",
    "p5": "5th percentile",
    "p50": "median",
    "p95": "95th percentile",
    "hellinger_baseline": "Hellinger distance to the baseline",
    "hellinger_previous": "Hellinger distance to the previous batch",
    "drift_score_baseline": "detector score to the baseline",
    "drift_score_previous": "detector score to the previous batch",
}
KEPT = "history"  # beside a feature's figures: the judgements of its history rules
MAX_RULES = 50  # per scope


@dataclass(frozen=True)
class BatchHistoryRule:
    """Judge the batch figure ``metric`` with ``detector``."""

    metric: str
    detector: Detector

    def to_dict(self) -> dict[str, Any]:
        parameters = {
            item.name: getattr(self.detector, item.name)
            for item in fields(self.detector)  # type: ignore[arg-type]
            if item.name != "method" and getattr(self.detector, item.name) is not None
        }
        return {"metric": self.metric, "method": self.detector.method, **parameters}

    @property
    def label(self) -> str:
        """``metric: method (parameters)``, as the monitors page lists it."""
        parameters = {k: v for k, v in self.to_dict().items() if k not in ("metric", "method")}
        shown = ", ".join(f"{key}={value}" for key, value in parameters.items())
        return f"{self.metric}: {self.detector.method} ({shown})"


def parse_rule(entry: Any) -> BatchHistoryRule:
    """A rule from a mapping of ``metric``, ``method`` and the method's parameters; a
    :class:`UsageError` saying which field is wrong otherwise.

    >>> parse_rule({"metric": "mean", "method": "rolling", "window": 1})
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UsageError: history rule (rolling): window must be a whole number from 2 to 10000, got 1
    """  # noqa: E501
    if not isinstance(entry, dict):
        raise UsageError(f"a history rule is a mapping with metric and method, got {entry!r:.80}")
    metric, method = entry.get("metric"), entry.get("method")
    if metric not in METRICS:
        raise UsageError(
            f"history rule: metric {metric!r:.80} is not a batch figure; use one of "
            f"{', '.join(METRICS)}"
        )
    if method not in METHODS:
        raise UsageError(
            f"history rule: method {method!r:.80} is not known; use one of {', '.join(METHODS)}"
        )
    detector = METHODS[method]
    allowed = {item.name for item in fields(detector)} - {"method"}
    parameters = {key: value for key, value in entry.items() if key not in ("metric", "method")}
    unknown = sorted(set(parameters) - allowed)
    if unknown:
        raise UsageError(
            f"history rule ({method}): {', '.join(unknown)}: not a parameter; it takes "
            f"{', '.join(sorted(allowed))}"
        )
    try:
        return BatchHistoryRule(metric, detector(**parameters))
    except UsageError as exc:
        raise UsageError(f"history rule ({method}): {exc}") from None


def scope_rules(stored: dict[tuple[str, str], dict[str, Any]], segment: str, feature: str):
    """The rules stored for exactly this scope (as their mappings)."""
    return list(stored.get((segment, feature), {}).get(HISTORY, []))


def rules_in_force(
    stored: dict[tuple[str, str], dict[str, Any]], segment: str, feature: str
) -> list[BatchHistoryRule]:
    """The rules of every scope that applies to ``feature`` of ``segment``, once each."""
    rules: list[BatchHistoryRule] = []
    for key in scopes(segment, feature):
        for entry in stored.get(key, {}).get(HISTORY, []):
            rule = parse_rule(entry)
            if rule not in rules:
                rules.append(rule)
    return rules


def has_rules(stored: dict[tuple[str, str], dict[str, Any]]) -> bool:
    return any(settings.get(HISTORY) for settings in stored.values())


def longest_span(stored: dict[tuple[str, str], dict[str, Any]]) -> int:
    """How many earlier batches the longest-reaching rule reads."""
    spans = [parse_rule(entry).detector.span
             for settings in stored.values() for entry in settings.get(HISTORY, [])]  # fmt: skip
    return max(spans, default=0)


def metric_value(entry: dict[str, Any], metric: str) -> float | None:
    """The figure ``metric`` of a feature's batch entry, if it is a finite number."""
    if metric.startswith("drift_score_"):
        found = entry.get("drift_" + metric.removeprefix("drift_score_"))
        value = found.get("score") if isinstance(found, dict) else None
    else:
        value = entry.get(metric)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if math.isfinite(value) else None


def judge_history(
    metrics: dict[str, dict[str, Any]],
    earlier: list[dict[str, dict[str, Any]]],
    stored: dict[tuple[str, str], dict[str, Any]],
    segment: str,
) -> tuple[dict[str, dict[str, Any]], list[Violation]]:
    """A batch's figures with the judgements of their history rules, and a violation per
    anomaly; ``earlier`` holds the figures of the batches before it, oldest first. One
    series is a unit of failure: a judgement that fails is logged, the others go on."""
    judged: dict[str, dict[str, Any]] = {}
    violations: list[Violation] = []
    for feature, entry in metrics.items():
        entry = {key: value for key, value in entry.items() if key != KEPT}
        judged[feature] = entry
        if not resolve(stored, segment, feature).enabled:
            continue
        kept = []
        for rule in rules_in_force(stored, segment, feature):
            value = metric_value(entry, rule.metric)
            if value is None:
                continue
            history = [metric_value(before.get(feature, {}), rule.metric) for before in earlier]
            series = [point for point in history if point is not None][-rule.detector.span :]
            try:
                judgement = rule.detector.judge(series, value)
            except Exception as exc:  # one series' failure (a fit, a wild history); not the batch's
                log.warning("%s of %s not judged against its history: %s",
                            rule.metric, feature, one_line(exc))  # fmt: skip
                continue
            method = rule.detector.method
            kept.append({
                "metric": rule.metric, "method": method, "value": value,
                "expected": _bound(judgement.expected),
                "low": _bound(judgement.low), "high": _bound(judgement.high),
                "anomalous": judgement.anomalous, "reason": judgement.reason,
            })  # fmt: skip
            if judgement.anomalous:
                what = f"{rule.metric} of {feature}"
                violations.append(
                    history_violation(feature, what, method, judgement, metric=rule.metric)
                )
        if kept:
            entry[KEPT] = kept
    return judged, violations


def judged_series(
    batches: list[Batch], feature: str
) -> dict[tuple[str, str], tuple[list[MetricPoint], list[MetricJudgement]]]:
    """``feature``'s figures that a rule judged over ``batches``: per (metric, method),
    every batch's value and the judgements, placed mid-batch as the dashboard's charts
    place batches."""
    judged: dict[tuple[str, str], list[MetricJudgement]] = {}
    for batch in batches:
        when = batch.start + (batch.end - batch.start) / 2
        for kept in (batch.metrics or {}).get(feature, {}).get(KEPT, []):
            judged.setdefault((kept["metric"], kept["method"]), []).append(
                MetricJudgement(
                    batch.dataset, kept["metric"], "Value", kept["method"], when,
                    metric_value(kept, "value") or 0.0, kept["expected"], kept["low"],
                    kept["high"], kept["anomalous"], kept["reason"],
                )
            )
    series = {}
    for (metric, method), judgements in judged.items():
        points = []
        for batch in batches:
            value = metric_value((batch.metrics or {}).get(feature, {}), metric)
            if value is not None:
                when = batch.start + (batch.end - batch.start) / 2
                points.append(MetricPoint(batch.dataset, "", metric, "Value", value, when))
        series[(metric, method)] = (points, judgements)
    return series


def _bound(value: float | None) -> float | None:
    # an open side of a band (a rate with one bound) is kept as no bound
    return None if value is None or not math.isfinite(value) else float(value)


__all__ = [
    "ANY",
    "KEPT",
    "METRICS",
    "BatchHistoryRule",
    "has_rules",
    "judge_history",
    "judged_series",
    "longest_span",
    "parse_rule",
    "rules_in_force",
    "scope_rules",
]
