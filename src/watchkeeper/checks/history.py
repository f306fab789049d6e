"""An anomaly of a metric's history as a violation: the one form a schedule's series
and a dataset's monitors both report."""

from __future__ import annotations

from typing import Any, Protocol

from watchkeeper.checks.violations import HISTORY_ANOMALY, Violation


class Judged(Protocol):
    """What a judgement of a value against its history says (a
    :class:`watchkeeper.history.Judgement`, or one the catalog kept)."""

    value: float
    expected: float | None
    low: float | None
    high: float | None
    reason: str


def history_violation(
    feature_name: str, what: str, method: str, judged: Judged, **details: Any
) -> Violation:
    """The ``metric_history_check`` violation of an anomalous ``judged`` value; ``what``
    names the series in the description.

    >>> from watchkeeper.history import RollingBand
    >>> judged = RollingBand(window=3, k=3).judge([1.0, 1.1, 0.9], 5.0)
    >>> found = history_violation("price", "mean of price", "rolling", judged)
    >>> found.constraint_check_type, found.observed, round(found.threshold, 2)
    ('metric_history_check', 5.0, 1.3)
    """
    above = judged.high is not None and judged.value > judged.high
    return Violation(
        feature_name=feature_name,
        constraint_check_type=HISTORY_ANOMALY,
        description=f"{what} is anomalous against its history ({method}): {judged.reason}",
        observed=judged.value,
        threshold=judged.high if above else judged.low,
        details={
            "method": method,
            **details,
            "expected": judged.expected,
            "low": judged.low,
            "high": judged.high,
        },
    )
