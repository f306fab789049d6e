"""Monitor settings: how each feature of each segment is judged.

Settings are stored per (segment, feature), ``*`` standing for every segment or every
feature; the most specific one wins, field by field: (segment, feature), then
(segment, ``*``), then (``*``, feature), then (``*``, ``*``), then the defaults.

>>> stored = {("*", "*"): {"drift_method": "hellinger", "drift_threshold": 0.3},
...           ("country=DE", "price"): {"enabled": False}}
>>> resolve(stored, "country=DE", "price")
MonitorSettings(enabled=False, drift_method='hellinger', drift_threshold=0.3, compare_to='baseline', null_fraction_threshold=None)
>>> resolve(stored, "country=FR", "price").enabled
True
"""  # noqa: E501

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from watchkeeper.checks.drift_checks import BASELINE, PREVIOUS
from watchkeeper.errors import UsageError

DETECTOR, HELLINGER = "detector", "hellinger"
DRIFT_METHODS = (DETECTOR, HELLINGER)
COMPARE_TO = (BASELINE, PREVIOUS)
DEFAULT_THRESHOLDS = {DETECTOR: 1.0, HELLINGER: 0.2}
ANY = "*"
# a scope's history rules, stored beside its settings (:mod:`watchkeeper.datasets.anomalies`):
# rules add up over the scopes, where settings give way to the more specific
HISTORY = "history"


@dataclass(frozen=True)
class MonitorSettings:
    """How a feature is judged.

    * ``enabled``: judge it at all.
    * ``drift_method``: ``detector`` (watchkeeper's default drift detector, the check
      a file or a scheduled job runs; the threshold multiplies its minimal meaningful
      effects: 1 flags what ``watchkeeper check`` flags, 2 asks for twice the size) or
      ``hellinger`` (Hellinger distance, 0..1, over quantile bins or categories).
    * ``drift_threshold``: a feature drifts when the method's value reaches it
      (``None``: the method's default, 1.0 for the detector and 0.2 for Hellinger).
    * ``compare_to``: ``baseline`` (the reference profile; the previous batch when the
      dataset has none) or ``previous`` (the batch just before).
    * ``null_fraction_threshold``: flag a batch whose share of missing values exceeds
      this (``None``: no such check).
    """

    enabled: bool = True
    drift_method: str = DETECTOR
    drift_threshold: float | None = None
    compare_to: str = BASELINE
    null_fraction_threshold: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise UsageError(f"enabled must be true or false, got {self.enabled!r}")
        if self.drift_method not in DRIFT_METHODS:
            raise UsageError(
                f"drift_method must be one of {', '.join(DRIFT_METHODS)}; got {self.drift_method!r}"
            )
        if self.compare_to not in COMPARE_TO:
            raise UsageError(
                f"compare_to must be one of {', '.join(COMPARE_TO)}; got {self.compare_to!r}"
            )
        if self.drift_threshold is not None:
            _positive("drift_threshold", self.drift_threshold)
            if self.drift_method == HELLINGER and self.drift_threshold > 1:
                raise UsageError(
                    f"drift_threshold is at most 1 for Hellinger, got {self.drift_threshold!r}"
                )
        if self.null_fraction_threshold is not None:
            value = self.null_fraction_threshold
            if not _is_number(value) or not 0.0 <= value < 1.0:
                raise UsageError(f"null_fraction_threshold must be in [0, 1), got {value!r}")

    @property
    def threshold(self) -> float:
        """The drift threshold in force (the method's default when unset)."""
        if self.drift_threshold is not None:
            return float(self.drift_threshold)
        return DEFAULT_THRESHOLDS[self.drift_method]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_FIELDS = {item.name for item in fields(MonitorSettings)}
MAX_FEATURE_NAME = 512  # characters, as the catalog stores a monitor's feature


def check_feature(feature: str) -> str:
    r"""``feature`` if it can name a monitored feature (``*``: every feature).

    >>> check_feature("price\n")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UsageError: feature 'price\n' is not a feature name: use 1 to 512 printable characters
    """  # noqa: E501
    if (
        not isinstance(feature, str)
        or not 0 < len(feature) <= MAX_FEATURE_NAME
        or not feature.isprintable()
    ):
        raise UsageError(
            f"feature {feature!r:.80} is not a feature name: use 1 to {MAX_FEATURE_NAME} "
            "printable characters"
        )
    return feature


def check_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a partial setting (only the fields given); returns it."""
    unknown = set(values) - _FIELDS
    if unknown:
        raise UsageError(
            f"unknown monitor setting(s) {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(_FIELDS))}"
        )
    MonitorSettings(**values)  # raises on a bad value
    return dict(values)


def resolve(
    stored: dict[tuple[str, str], dict[str, Any]], segment: str, feature: str
) -> MonitorSettings:
    """The settings in force for ``feature`` of ``segment``."""
    merged: dict[str, Any] = {}
    for key in scopes(segment, feature):
        merged.update(stored.get(key, {}))
    merged.pop(HISTORY, None)
    return MonitorSettings(**merged)


def scopes(segment: str, feature: str) -> tuple[tuple[str, str], ...]:
    """The stored scopes that apply to ``feature`` of ``segment``, the least specific
    first."""
    return ((ANY, ANY), (ANY, feature), (segment, ANY), (segment, feature))


def _positive(name: str, value: Any) -> None:
    if not _is_number(value) or value <= 0:
        raise UsageError(f"{name} must be a positive number, got {value!r}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
