"""Distances between the category distributions of two column profiles.

String and Boolean columns are compared through their category counts (exact up to
1000 distinct values, then a frequent-items sketch whose unlisted remainder is kept
as one extra cell where a method needs the shares to sum to one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from watchkeeper.drift._support import category_table, linf_penalty
from watchkeeper.profile.column import ColumnProfile

# Deequ's validity rules for its chi-square test (Distance.scala, 2.0.3+): with two
# categories every expected count must reach 10 (Cochran); with more, at most 20% of
# them may be below 5 (Yates, Moore & McCabe).
TWO_CATEGORY_MIN_EXPECTED = 10.0
MIN_EXPECTED = 5.0
MAX_SHARE_BELOW = 0.2


@dataclass(frozen=True)
class ChiSquareResult:
    """A chi-square statistic, its p-value and degrees of freedom (NaN if not testable)."""

    statistic: float
    p_value: float
    dof: int
    categories: tuple[str, ...] = ()


def categorical_linf(baseline: ColumnProfile, current: ColumnProfile) -> float:
    """Deequ's categorical ``linf_simple``: ``max_v |p1(v) - p2(v)|`` over all categories.

    ``p(v) = count(v) / total``: per-category probabilities, not a CDF (Deequ's
    ``categoricalLInfinityDistance``). NaN when a side has no category value.
    """
    first, second = baseline.categories.as_dict(), current.categories.as_dict()
    n, m = baseline.categories.total, current.categories.total
    if n == 0 or m == 0:
        return math.nan
    names = sorted(set(first) | set(second))
    p1 = np.array([first.get(name, 0) for name in names], dtype=np.float64) / n
    p2 = np.array([second.get(name, 0) for name in names], dtype=np.float64) / m
    return float(np.max(np.abs(p1 - p2)))


def categorical_linf_robust(
    baseline: ColumnProfile, current: ColumnProfile, alpha: float | None = None
) -> float:
    """``max(0, linf_simple - c(alpha) * sqrt((n+m)/(n*m)))``, n and m the category totals."""
    simple = categorical_linf(baseline, current)
    if math.isnan(simple):
        return math.nan
    n, m = baseline.categories.total, current.categories.total
    return max(0.0, simple - linf_penalty(n, m, alpha))


def chi_square(baseline: ColumnProfile, current: ColumnProfile) -> ChiSquareResult:
    """SageMaker's ``ChiSquared`` categorical drift: a goodness-of-fit test of the
    current counts against the baseline's, as Deequ's ``categoricalChiSquareTest`` does.

    * Current categories the baseline never saw are left out, and the baseline counts
      are rescaled to the current total over the baseline's categories: these are the
      expected counts.
    * While the table breaks the validity rule (two categories: an expected count
      below 10; more: over 20% of expected counts below 5), the category with the
      smallest expected count is folded into the next smallest (ties go to the name
      that sorts first, so the result is deterministic).
    * Fewer than two categories left: statistic and p-value are NaN.

    The statistic is Pearson's ``sum((observed - expected)**2 / expected)`` with
    ``categories - 1`` degrees of freedom (``scipy.stats.chisquare``).
    """
    expected_counts = baseline.categories.as_dict()
    observed_counts = current.categories.as_dict()
    names = sorted(expected_counts)
    expected = np.array([expected_counts[name] for name in names], dtype=np.float64)
    observed = np.array([observed_counts.get(name, 0) for name in names], dtype=np.float64)
    if expected.sum() > 0:
        expected = expected / expected.sum() * observed.sum()
    groups = [(name,) for name in names]
    observed, expected, groups = _regroup(observed, expected, groups)
    if len(expected) < 2:
        return ChiSquareResult(math.nan, math.nan, 0)
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = len(expected) - 1
    from scipy import stats  # imported when first needed: it is slow to load

    p_value = float(stats.chi2.sf(statistic, dof))
    labels = tuple("+".join(group) for group in groups)
    return ChiSquareResult(statistic, p_value, dof, labels)


def _regroup(
    observed: np.ndarray, expected: np.ndarray, groups: list[tuple[str, ...]]
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Fold the smallest expected cell into the next smallest until the table is valid.

    One fold per iteration over at most the number of categories, each O(categories):
    category counts are small, and folding one at a time is what the rule prescribes.
    """
    observed, expected, groups = observed.copy(), expected.copy(), list(groups)
    while len(expected) >= 2 and not _valid(expected):
        order = np.lexsort((np.arange(len(expected)), expected))
        smallest, second = int(order[0]), int(order[1])
        expected[second] += expected[smallest]
        observed[second] += observed[smallest]
        groups[second] = groups[second] + groups[smallest]
        keep = np.arange(len(expected)) != smallest
        observed, expected = observed[keep], expected[keep]
        del groups[smallest]
    return observed, expected, groups


def _valid(expected: np.ndarray) -> bool:
    if len(expected) == 2:
        return bool(np.all(expected >= TWO_CATEGORY_MIN_EXPECTED))
    allowed = int(MAX_SHARE_BELOW * len(expected))
    return int(np.sum(expected < MIN_EXPECTED)) <= allowed


def category_shares(
    baseline: ColumnProfile, current: ColumnProfile
) -> tuple[np.ndarray, np.ndarray] | None:
    """Both columns' shares over the union of categories, with one cell for what a side
    does not list (see :class:`~watchkeeper.drift._support.CategoryTable`); None when a
    side has no value."""
    table = category_table(baseline, current)
    if table.baseline_total == 0 or table.current_total == 0:
        return None
    return table.baseline / table.baseline_total, table.current / table.current_total
