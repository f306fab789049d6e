"""A schedule's ``history`` option: which metric series are judged against their own
history, and by which detector.

>>> [rule] = parse_history([{"metric": "feature_baseline_drift_*", "method": "rolling",
...                          "window": 14, "k": 3}])
>>> rule.matches("feature_baseline_drift_age"), rule.detector
(True, RollingBand(window=14, k=3, min_points=None, method='rolling'))
>>> parse_history([{"metric": "feature_non_null_age", "method": "rolling", "window": 1}])
Traceback (most recent call last):
...
watchkeeper.errors.UsageError: history[0].window must be a whole number from 2 to 10000, got 1
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from fnmatch import fnmatchcase
from typing import Any

from watchkeeper.errors import UsageError
from watchkeeper.history.detectors import Detector, RateOfChange, RollingBand, Seasonal

METHODS: dict[str, type] = {"rate": RateOfChange, "rolling": RollingBand, "seasonal": Seasonal}
# the series a rule names when it gives no statistic (SageMaker's single-value series)
VALUE = "Value"
MAX_RULES = 100


@dataclass(frozen=True)
class HistoryRule:
    """Judge the series named ``metric`` (a name, or a pattern with ``*`` and ``?``) and
    ``statistic`` with ``detector``."""

    metric: str
    detector: Detector
    statistic: str = VALUE

    def matches(self, name: str) -> bool:
        return fnmatchcase(name, self.metric)

    def to_dict(self) -> dict[str, Any]:
        parameters = {
            item.name: getattr(self.detector, item.name)
            for item in fields(self.detector)  # type: ignore[arg-type]
            if item.name != "method"
        }
        return {
            "metric": self.metric,
            "statistic": self.statistic,
            "method": self.detector.method,
            **parameters,
        }


def parse_history(entries: Any) -> list[HistoryRule]:
    """The rules of a ``history`` option (a list of mappings with ``metric``, ``method``,
    optionally ``statistic`` and the method's parameters); a :class:`UsageError` naming
    the entry and field otherwise."""
    if not isinstance(entries, list) or len(entries) > MAX_RULES:
        raise UsageError(
            f"history must be a list of up to {MAX_RULES} rules such as "
            '{"metric": "feature_baseline_drift_age", "method": "rolling", "window": 14, "k": 3}'
        )
    return [_rule(f"history[{index}]", entry) for index, entry in enumerate(entries)]


def _rule(where: str, entry: Any) -> HistoryRule:
    if not isinstance(entry, dict):
        raise UsageError(f"{where} must be a mapping with metric and method, got {entry!r:.80}")
    metric = entry.get("metric")
    if not isinstance(metric, str) or not 0 < len(metric) <= 512 or not metric.isprintable():
        raise UsageError(f"{where}.metric must name a metric series (1 to 512 characters), "
                         f"got {metric!r:.80}")  # fmt: skip
    statistic = entry.get("statistic", VALUE)
    if not isinstance(statistic, str) or not 0 < len(statistic) <= 32:
        raise UsageError(f"{where}.statistic must be a statistic's name such as Value or Sum, "
                         f"got {statistic!r:.80}")  # fmt: skip
    method = entry.get("method")
    if method not in METHODS:
        raise UsageError(
            f"{where}.method must be one of {', '.join(METHODS)}; got {method!r:.80}"
        )
    detector = METHODS[method]
    allowed = {item.name for item in fields(detector)} - {"method"}
    parameters = {key: value for key, value in entry.items()
                  if key not in ("metric", "statistic", "method")}  # fmt: skip
    unknown = sorted(set(parameters) - allowed)
    if unknown:
        raise UsageError(
            f"{where}: {', '.join(unknown)}: not a parameter of method {method}; "
            f"it takes {', '.join(sorted(allowed))}"
        )
    try:
        return HistoryRule(metric, detector(**parameters), statistic)
    except UsageError as exc:
        raise UsageError(f"{where}.{exc}") from None
