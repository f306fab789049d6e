"""The figures of a batch, and the verdict of its monitors on them.

:func:`batch_metrics` reads three profiles (the batch, the batch before it, the
baseline) once and keeps, per feature, what the pages and the monitors need: counts,
null fraction, type, distinct count, moments and quantiles, the Hellinger distance to
the previous batch and to the baseline, and the default drift detector's judgement
against each. :func:`judge` applies
the monitor settings to those numbers, so a changed threshold needs no profile.
"""

from __future__ import annotations

import math
from typing import Any

from watchkeeper.datasets.monitors import (
    BASELINE,
    DETECTOR,
    PREVIOUS,
    MonitorSettings,
    resolve,
)
from watchkeeper.drift import detect, hellinger
from watchkeeper.profile import ColumnProfile, DatasetProfile

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
        entry["hellinger_previous"] = _finite(hellinger(before, column)) if before else None
        entry["hellinger_baseline"] = (
            _finite(hellinger(reference, column)) if reference else None
        )
        entry["drift_previous"] = _detected(before, column)
        entry["drift_baseline"] = _detected(reference, column)
        figures[name] = entry
    return figures


def _detected(reference: ColumnProfile | None, column: ColumnProfile) -> dict | None:
    if reference is None:
        return None
    result = detect(reference, column)
    return {
        "score": _finite(result.score),
        "test": result.test,
        "p_value": _finite(result.p_value),
        "effect": _finite(result.effect),
    }


def _statistics(column: ColumnProfile) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": column.inferred_type,
        "count": column.count,
        "null_fraction": column.null_fraction,
        "distinct": _finite(column.distinct_count()),
    }
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
) -> tuple[list[dict[str, Any]], float | None]:
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
        if limit is not None and entry["null_fraction"] > limit:
            violations.append(
                {
                    "feature": feature,
                    "check": "null_fraction",
                    "value": entry["null_fraction"],
                    "threshold": limit,
                    "description": (
                        f"{entry['null_fraction']:.1%} of values are missing "
                        f"(threshold {limit:.1%})"
                    ),
                }
            )
    return violations, largest


def _drift(feature: str, entry: dict[str, Any], settings: MonitorSettings) -> dict | None:
    threshold = settings.threshold
    against = settings.compare_to
    if against == BASELINE and entry.get("hellinger_baseline") is None:
        against = PREVIOUS  # no baseline (or the feature is new): judge the change
    if settings.drift_method == DETECTOR:
        found = entry.get(f"drift_{against}")
        value = None if found is None else found["score"]
        if value is None or value < threshold:
            return None
        detail = f"{found['test']} test, p={_short(found['p_value'])}"
        text = f"drift score {value:.3g} ≥ {threshold:g} against the {_NAMES[against]} ({detail})"
    else:
        value = entry.get(f"hellinger_{against}")
        if value is None or value < threshold:
            return None
        text = f"Hellinger distance {value:.3f} ≥ {threshold:g} to the {_NAMES[against]}"
    return {
        "feature": feature,
        "check": "drift",
        "method": settings.drift_method,
        "compare_to": against,
        "value": value,
        "threshold": threshold,
        "description": text,
    }


_NAMES = {BASELINE: "baseline", PREVIOUS: "previous batch"}


def _short(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
