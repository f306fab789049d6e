"""The figures of a batch, and the verdict of its monitors on them.

:func:`batch_metrics` reads three profiles (the batch, the batch before it, the
baseline) once and keeps, per feature, what the pages and the monitors need: counts,
null fraction, type, distinct count, moments and quantiles, and what the drift check
units measure against the previous batch and the baseline (the default detector's
figures, the Hellinger distance). :func:`judge` runs the units the monitor settings
configure on those figures, so a changed threshold needs no profile, and a batch reads
as the same check on a file or a scheduled job reads: the same units, the same
:class:`~watchkeeper.checks.violations.Violation`.
"""

from __future__ import annotations

import math
from typing import Any

from watchkeeper.checks.drift_checks import BASELINE, PREVIOUS, DetectorDrift, HellingerDrift
from watchkeeper.checks.missing_values import MissingValues
from watchkeeper.checks.violations import Violation
from watchkeeper.datasets.monitors import DETECTOR, MonitorSettings, resolve
from watchkeeper.profile import ColumnProfile, DatasetProfile
from watchkeeper.report.table import distinct_values

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def batch_metrics(
    current: DatasetProfile,
    previous: DatasetProfile | None,
    baseline: DatasetProfile | None,
) -> dict[str, dict[str, Any]]:
    """Feature → figures of ``current`` (NaN and infinities are written as None)."""
    figures = {}
    for name, column in current.columns.items():
        entry = _statistics(column)
        before = previous.columns.get(name) if previous is not None else None
        reference = baseline.columns.get(name) if baseline is not None else None
        for against, other in ((PREVIOUS, before), (BASELINE, reference)):
            entry[f"hellinger_{against}"] = _HELLINGER.measure(other, column) if other else None
            entry[f"drift_{against}"] = _DETECTOR.measure(other, column) if other else None
        figures[name] = entry
    return figures


_DETECTOR, _HELLINGER = DetectorDrift(), HellingerDrift()


def current(metrics: dict[str, dict[str, Any]] | None) -> bool:
    """Whether stored figures hold what today's units judge (older ones are measured
    again)."""
    if metrics is None:
        return False
    return all(
        entry.get(f"drift_{against}") is None or "floor" in entry[f"drift_{against}"]
        for entry in metrics.values()
        for against in (PREVIOUS, BASELINE)
    )


def _statistics(column: ColumnProfile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": column.inferred_type,
        "count": column.count,
        "null_fraction": column.null_fraction,
    }
    # counted exactly where the sketch knows, else an estimate capped at the values present
    distinct = distinct_values(column)
    entry.update(
        distinct=distinct.count, distinct_exact=distinct.exact, all_unique=distinct.all_unique
    )
    if column.moments.n:
        quantiles = column.quantiles(list(QUANTILES))
        entry.update(
            mean=_finite(column.mean),
            std=_finite(column.std_dev),
            min=_finite(column.min),
            max=_finite(column.max),
            **{f"p{round(q * 100)}": _finite(v) for q, v in zip(QUANTILES, quantiles, strict=True)},
        )
    return entry


def judge(
    metrics: dict[str, dict[str, Any]],
    stored_settings: dict[tuple[str, str], dict[str, Any]],
    segment: str,
) -> tuple[list[Violation], float | None]:
    """The violations of a batch under the monitor settings, and its largest drift
    distance (Hellinger to the baseline, else to the previous batch) for sparklines."""
    violations = []
    largest: float | None = None
    for feature, entry in metrics.items():
        distance = entry.get("hellinger_baseline")
        if distance is None:
            distance = entry.get("hellinger_previous")
        if distance is not None:
            largest = distance if largest is None else max(largest, distance)
        settings = resolve(stored_settings, segment, feature)
        if not settings.enabled:
            continue
        found = _drift(feature, entry, settings)
        if found is not None:
            violations.append(found)
        limit = settings.null_fraction_threshold
        if limit is not None:
            figures = {
                "share": entry["null_fraction"],
                "missing": round(entry["null_fraction"] * entry["count"]),
                "rows": entry["count"],
            }
            found = MissingValues(limit).judge(feature, figures)
            if found is not None:
                violations.append(found)
    return violations, largest


def _drift(feature: str, entry: dict[str, Any], settings: MonitorSettings) -> Violation | None:
    against = settings.compare_to
    if against == BASELINE and entry.get("hellinger_baseline") is None:
        against = PREVIOUS  # no baseline (or the feature is new): judge the change
    if settings.drift_method == DETECTOR:
        unit = DetectorDrift(multiple=settings.threshold, against=against)
        return unit.judge(feature, entry.get(f"drift_{against}"))
    unit = HellingerDrift(settings.threshold, against)
    return unit.judge(feature, entry.get(f"hellinger_{against}"))


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
