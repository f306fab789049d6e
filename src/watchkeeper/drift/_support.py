"""What the drift code reads from a column profile: its kind, its CDF, its category counts.

Everything here works on the public reading API of :class:`ColumnProfile` (the KLL
sketch's ``cdf_points`` and ``weighted_items``, the category counts' ``items``), so a
baseline rebuilt from a SageMaker ``statistics.json`` is read exactly like a profile
built from data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING

NUMERIC = "numeric"
CATEGORICAL = "categorical"
UNKNOWN_KIND = "unknown"

# Name of the cell that holds what a frequent-items sketch no longer lists.
OTHER_CATEGORIES = "\x00other"


def column_kind(profile: ColumnProfile) -> str:
    """``numeric`` for Integral/Fractional columns, ``categorical`` for String/Boolean."""
    kind = profile.inferred_type
    if kind in (INTEGRAL, FRACTIONAL):
        return NUMERIC
    if kind in (STRING, BOOLEAN):
        return CATEGORICAL
    return UNKNOWN_KIND


def comparison_kind(baseline: ColumnProfile, current: ColumnProfile) -> str:
    """The kind a comparison reads: the baseline's, or the current one's if the
    baseline never saw a value."""
    kind = column_kind(baseline)
    return kind if kind != UNKNOWN_KIND else column_kind(current)


def require_kind(baseline: ColumnProfile, current: ColumnProfile, wanted: str, what: str) -> None:
    kind = comparison_kind(baseline, current)
    if kind != wanted:
        raise UsageError(
            f"{what} needs {wanted} columns, but the baseline column is "
            f"{baseline.inferred_type} and the current one {current.inferred_type}"
        )


# -- numeric: step CDFs from the KLL sketches ----------------------------------------


@dataclass(frozen=True)
class StepCDF:
    """A weighted empirical CDF: distinct ``values`` and the weight at or below each."""

    values: np.ndarray
    cumulative: np.ndarray

    @classmethod
    def of(cls, profile: ColumnProfile) -> StepCDF:
        values, cumulative = profile.kll.cdf_points()
        return cls(np.asarray(values, dtype=np.float64), np.asarray(cumulative, dtype=np.int64))

    @property
    def total(self) -> int:
        return int(self.cumulative[-1]) if len(self.cumulative) else 0

    def rank(self, x: np.ndarray) -> np.ndarray:
        """Total weight of items ``<= x`` (Deequ's R(x)), vectorised over ``x``."""
        padded = np.concatenate(([0], self.cumulative))
        return padded[np.searchsorted(self.values, x, side="right")]

    def fraction(self, x: np.ndarray) -> np.ndarray:
        return self.rank(x) / self.total


def cdf_pair(baseline: ColumnProfile, current: ColumnProfile) -> tuple[StepCDF, StepCDF] | None:
    """Both columns' CDFs, or None when either has no numeric value."""
    first, second = StepCDF.of(baseline), StepCDF.of(current)
    if first.total == 0 or second.total == 0:
        return None
    return first, second


def sketch_rank_allowance(profile: ColumnProfile, typical_error: float) -> float:
    """How far the sketch's normalised ranks may be from the data's.

    Zero while the sketch keeps every value (all weights 1). Otherwise the smaller of
    the sketch's proven bound and ``typical_error``: the proven bound counts every
    compaction as if it moved the same rank the same way, which overstates the real
    error tenfold for large inputs, and it is unknown (reported as 0) for a sketch
    rebuilt from a SageMaker file.
    """
    _, weights = profile.kll.weighted_items()
    if len(weights) == 0 or int(weights.max()) == 1:
        return 0.0
    proven = profile.kll.rank_error_bound()
    return min(proven, typical_error) if proven > 0 else typical_error


# -- categorical: aligned category counts ---------------------------------------------


@dataclass(frozen=True)
class CategoryTable:
    """Both columns' counts over the union of their categories, sorted by name.

    When a side's counts come from a frequent-items sketch, what it no longer lists is
    kept in an extra cell (:data:`OTHER_CATEGORIES`) so that each side sums to its
    total, and ``*_slack`` says by how much each cell's count may be off: the sketch's
    ``max_error`` for a named category (listed counts are estimates; an unlisted one
    counted as 0 has at most that many), and ``max_error`` times the number of listed
    categories for the remainder. Exact counts have zero slack.
    """

    names: list[str]
    baseline: np.ndarray
    current: np.ndarray
    baseline_slack: np.ndarray
    current_slack: np.ndarray

    @property
    def baseline_total(self) -> int:
        return int(self.baseline.sum())

    @property
    def current_total(self) -> int:
        return int(self.current.sum())


def category_table(
    baseline: ColumnProfile, current: ColumnProfile, with_rest: bool = True
) -> CategoryTable:
    """Align the two columns' category counts (see :class:`CategoryTable`)."""
    first, second = baseline.categories.as_dict(), current.categories.as_dict()
    names = sorted(set(first) | set(second))
    counts_b = np.array([first.get(name, 0) for name in names], dtype=np.int64)
    counts_c = np.array([second.get(name, 0) for name in names], dtype=np.int64)
    rest_b = max(baseline.categories.total - int(counts_b.sum()), 0)
    rest_c = max(current.categories.total - int(counts_c.sum()), 0)
    error_b, error_c = _max_error(baseline), _max_error(current)
    slack_b = np.full(len(names), error_b, dtype=np.float64)
    slack_c = np.full(len(names), error_c, dtype=np.float64)
    if with_rest and (rest_b > 0 or rest_c > 0):
        names.append(OTHER_CATEGORIES)
        counts_b, counts_c = np.append(counts_b, rest_b), np.append(counts_c, rest_c)
        slack_b = np.append(slack_b, error_b * len(first))
        slack_c = np.append(slack_c, error_c * len(second))
    return CategoryTable(names, counts_b, counts_c, slack_b, slack_c)


def _max_error(profile: ColumnProfile) -> float:
    categories = profile.categories
    return 0.0 if categories.is_exact else float(categories.max_error)


# -- shared ----------------------------------------------------------------------------


def c_alpha(alpha: float | None) -> float:
    """Deequ's c(alpha): 1.8 (hard-coded in Deequ 2.0.2) or sqrt(-ln(alpha/2)/2)."""
    if alpha is None:
        return 1.8
    if not 0.0 < alpha < 1.0:
        raise UsageError(f"alpha must be between 0 and 1 (exclusive), got {alpha!r}")
    return math.sqrt(-math.log(alpha / 2.0) / 2.0)


def linf_penalty(n: float, m: float, alpha: float | None = None) -> float:
    """What ``linf_robust`` subtracts: ``c(alpha) * sqrt((n + m) / (n * m))``.

    ``c(alpha)`` is Deequ 2.0.2's hard-coded 1.8 when ``alpha`` is None, otherwise
    ``sqrt(-ln(alpha / 2) / 2)`` as in Deequ 2.0.3+ (the two-sample Kolmogorov–Smirnov
    critical value). For ``n = m = 100`` the default penalty is 0.2546.

    >>> round(linf_penalty(100, 100), 4)
    0.2546
    """
    if n <= 0 or m <= 0:
        return math.nan
    return c_alpha(alpha) * math.sqrt((n + m) / (n * m))
