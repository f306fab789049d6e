"""Distances between the numeric distributions of two column profiles, from their sketches.

Every function reads the two KLL sketches as weighted empirical distributions (items
with weights ``2**level``) and works on the union of their items with ``searchsorted``
over cumulative weights: a few thousand items per side, whatever the row count. While a
sketch keeps all its values (up to 2050) the results are those of the raw data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from watchkeeper.drift._support import StepCDF, cdf_pair, linf_penalty
from watchkeeper.profile.column import ColumnProfile

DEFAULT_BINS = 10


@dataclass(frozen=True)
class KSResult:
    """Two-sample Kolmogorov–Smirnov statistic and its p-value."""

    statistic: float
    p_value: float
    n: int
    m: int


def numeric_linf(baseline: ColumnProfile, current: ColumnProfile) -> float:
    """Deequ's ``linf_simple``: ``max_x |R1(x)/n - R2(x)/m|`` over both sketches' items.

    R(x) is the total weight of sketch items ``<= x`` and n, m the total weights. The
    maximum of the difference of two right-continuous step functions is reached at one
    of their jump points, so evaluating at the union of items is exact; it equals the
    two-sample KS statistic of the data when both sketches are exact. NaN when a side
    has no numeric value.

    Deequ's own code builds its rank map with one entry per distinct item, so on data
    with many ties (small integers) it ranks distinct values rather than weights and
    reports a different number; the weighted definition above is the one its
    documentation states and the one that means what a user reads into it.
    """
    pair = cdf_pair(baseline, current)
    if pair is None:
        return math.nan
    first, second = pair
    grid = np.union1d(first.values, second.values)
    return float(np.max(np.abs(first.fraction(grid) - second.fraction(grid))))


def ks_test(
    baseline: ColumnProfile, current: ColumnProfile, statistic: float | None = None
) -> KSResult:
    """Two-sample Kolmogorov–Smirnov test from the sketches.

    The statistic is :func:`numeric_linf` (or ``statistic`` when given, e.g. after
    subtracting the sketches' rank error). The p-value is the asymptotic one that
    ``scipy.stats.ks_2samp(method="asymp")`` gives: the one-sample Kolmogorov
    distribution ``kstwo`` at the effective size ``round(n*m/(n+m))``, with n and m the
    sketches' total weights (the row counts). It is conservative for discrete data.
    """
    n, m = baseline.kll.n, current.kll.n
    if statistic is None:
        statistic = numeric_linf(baseline, current)
    if n == 0 or m == 0 or math.isnan(statistic):
        return KSResult(math.nan, math.nan, n, m)
    effective = max(1, round(n * m / (n + m)))
    from scipy import stats  # imported when first needed: it is slow to load

    p_value = float(stats.kstwo.sf(statistic, effective)) if statistic > 0 else 1.0
    return KSResult(float(statistic), min(1.0, p_value), n, m)


def numeric_linf_robust(
    baseline: ColumnProfile, current: ColumnProfile, alpha: float | None = None
) -> float:
    """Deequ's ``linf_robust``: ``max(0, linf_simple - c(alpha) * sqrt((n+m)/(n*m)))``."""
    simple = numeric_linf(baseline, current)
    if math.isnan(simple):
        return math.nan
    return max(0.0, simple - linf_penalty(baseline.kll.n, current.kll.n, alpha))


def wasserstein(baseline: ColumnProfile, current: ColumnProfile) -> float:
    """Wasserstein-1 distance between the two distributions, in units of the baseline's spread.

    ``W1 = integral |F1(x) - F2(x)| dx`` over the weighted empirical CDFs of the two
    sketches (equal to ``scipy.stats.wasserstein_distance`` with the sketch weights),
    divided by the baseline's standard deviation so that it reads like a mean shift
    in standard deviations and is comparable across features. The standard deviation
    comes from the exact moments. A constant baseline has no spread of its own (its
    IQR is 0 too), so the pooled standard deviation of both columns is used instead;
    if both are constant the result is 0 for equal constants and infinity otherwise.
    """
    pair = cdf_pair(baseline, current)
    if pair is None:
        return math.nan
    distance = _w1(*pair)
    scale = baseline.moments.std_dev
    if not scale > 0:
        scale = baseline.moments.merge(current.moments).std_dev
    if not scale > 0:
        return 0.0 if distance == 0 else math.inf
    return distance / scale


def _w1(first: StepCDF, second: StepCDF) -> float:
    grid = np.union1d(first.values, second.values)
    gaps = np.diff(grid)
    difference = np.abs(first.fraction(grid[:-1]) - second.fraction(grid[:-1]))
    return float(np.dot(difference, gaps))


def quantile_bins(
    baseline: ColumnProfile, current: ColumnProfile, bins: int = DEFAULT_BINS
) -> tuple[np.ndarray, np.ndarray] | None:
    """Share of each column in ``bins`` quantile bins of the baseline.

    Edges are the baseline sketch's quantiles at ``1/bins, ..., (bins-1)/bins``, made
    unique (a discrete column has fewer distinct quantiles than bins); bins are
    ``(-inf, e1], (e1, e2], ..., (e_last, inf)``, so every value of either column
    falls in one. Quantile bins put about the same baseline mass in each bin, which is
    what PSI's usual thresholds (0.1, 0.25) were set on. None when a side is empty.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    pair = cdf_pair(baseline, current)
    if pair is None:
        return None
    edges = np.unique(baseline.kll.quantiles(np.arange(1, bins) / bins))
    return tuple(_bin_shares(cdf, edges) for cdf in pair)


def pooled_bins(
    first: ColumnProfile, second: ColumnProfile, bins: int = DEFAULT_BINS
) -> tuple[np.ndarray, np.ndarray] | None:
    """Share of each column in ``bins`` quantile bins of the two columns pooled.

    The edges are quantiles of the even mixture of both sides (each weighted alike,
    whatever its size), taken from both sketches' quantiles, so swapping the columns
    swaps the shares and leaves the edges: a distance over these bins is symmetric.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    pair = cdf_pair(first, second)
    if pair is None:
        return None
    fine = np.arange(1, 4 * bins) / (4 * bins)
    candidates = np.unique(np.concatenate([first.kll.quantiles(fine), second.kll.quantiles(fine)]))
    mixture = sum(cdf.rank(candidates) / cdf.total for cdf in pair) / 2.0
    wanted = np.arange(1, bins) / bins
    positions = np.minimum(np.searchsorted(mixture, wanted), len(candidates) - 1)
    edges = np.unique(candidates[positions])
    return tuple(_bin_shares(cdf, edges) for cdf in pair)


def _bin_shares(cdf: StepCDF, edges: np.ndarray) -> np.ndarray:
    ranks = np.concatenate(([0], cdf.rank(edges), [cdf.total]))
    return np.diff(ranks) / cdf.total
