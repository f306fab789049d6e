"""Drift distances between a baseline and a current column profile.

Each function takes two :class:`ColumnProfile` objects (baseline first) and returns a
float; the baseline's type decides how they are read: Integral/Fractional columns
through their quantile sketches, String/Boolean columns through their category counts.
A side with no value of that kind gives NaN. All are deterministic.

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.profile import DatasetProfile
>>> def column(values):
...     profile = DatasetProfile()
...     profile.track(pa.table({"x": values}))
...     return profile.columns["x"]
>>> a, b = column(np.arange(100.0)), column(np.arange(100.0) + 30)
>>> round(linf_simple(a, b), 4), round(linf_robust(a, b), 4)
(0.3, 0.0454)
"""

from __future__ import annotations

import math

from watchkeeper.drift import categorical, numeric
from watchkeeper.drift._support import (
    CATEGORICAL,
    NUMERIC,
    UNKNOWN_KIND,
    comparison_kind,
)
from watchkeeper.drift.divergence import hellinger_of, jensen_shannon_of, psi_of
from watchkeeper.profile.column import ColumnProfile


def linf_simple(baseline: ColumnProfile, current: ColumnProfile) -> float:
    """SageMaker's (Deequ's) L-infinity distance, without the sample-size correction.

    Numeric columns: ``max_x |R1(x)/n - R2(x)/m|`` over the union of both sketches'
    items, R the weight of items ``<= x`` (the KS statistic of the sketches). String and
    Boolean columns: ``max_v |p1(v) - p2(v)|`` over the union of categories.
    """
    kind = comparison_kind(baseline, current)
    if kind == NUMERIC:
        return numeric.numeric_linf(baseline, current)
    if kind == CATEGORICAL:
        return categorical.categorical_linf(baseline, current)
    return math.nan


def linf_robust(
    baseline: ColumnProfile, current: ColumnProfile, alpha: float | None = None
) -> float:
    """``max(0, linf_simple - c(alpha) * sqrt((n + m) / (n * m)))`` (Deequ's ``Robust``).

    ``c(alpha)`` is 1.8 (Deequ 2.0.2, alpha about 0.003) unless ``alpha`` is given, then
    ``sqrt(-ln(alpha / 2) / 2)``. n and m are the two sides' value counts (sketch
    weights or category totals). See :func:`linf_penalty`.
    """
    kind = comparison_kind(baseline, current)
    if kind == NUMERIC:
        return numeric.numeric_linf_robust(baseline, current, alpha)
    if kind == CATEGORICAL:
        return categorical.categorical_linf_robust(baseline, current, alpha)
    return math.nan


def psi(baseline: ColumnProfile, current: ColumnProfile, bins: int = numeric.DEFAULT_BINS) -> float:
    """Population stability index over baseline quantile bins or over categories.

    ``sum((c - b) * ln(c / b))`` with b, c the two sides' shares per cell after adding
    :data:`~watchkeeper.drift.divergence.PSI_EPSILON` to each (see there). Numeric
    columns use ``bins`` quantile bins of the baseline (:func:`numeric.quantile_bins`).
    """
    shares = _shares(baseline, current, bins)
    return math.nan if shares is None else psi_of(*shares)


def jensen_shannon(
    baseline: ColumnProfile, current: ColumnProfile, bins: int = numeric.DEFAULT_BINS
) -> float:
    """Jensen–Shannon divergence in bits (0..1, symmetric) over pooled bins or categories."""
    shares = _shares(baseline, current, bins, pooled=True)
    return math.nan if shares is None else jensen_shannon_of(*shares)


def hellinger(
    baseline: ColumnProfile, current: ColumnProfile, bins: int = numeric.DEFAULT_BINS
) -> float:
    """Hellinger distance (0..1, symmetric) over pooled quantile bins or categories."""
    shares = _shares(baseline, current, bins, pooled=True)
    return math.nan if shares is None else hellinger_of(*shares)


def _shares(baseline: ColumnProfile, current: ColumnProfile, bins: int, pooled: bool = False):
    # PSI's usual thresholds were set on the baseline's quantile bins; the symmetric
    # distances bin both sides alike
    kind = comparison_kind(baseline, current)
    if kind == NUMERIC:
        if pooled:
            return numeric.pooled_bins(baseline, current, bins)
        return numeric.quantile_bins(baseline, current, bins)
    if kind == CATEGORICAL:
        return categorical.category_shares(baseline, current)
    assert kind == UNKNOWN_KIND
    return None
