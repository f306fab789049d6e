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

# Cells of a category table that are not categories: what a side does not list, and
# values that are not text. The leading NUL keeps them apart from any real category.
OTHER_CATEGORIES = "\x00other"
NOT_CATEGORIES = "\x00not text"


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


def exact_values(profile: ColumnProfile) -> np.ndarray | None:
    """Every numeric value of the column, when its KLL sketch still holds them all
    (no compaction yet: every weight 1, up to about 2000 values); None otherwise.

    While this holds, exact rank tests on the data are possible from the profile.
    """
    items, weights = profile.kll.weighted_items()
    if len(weights) == 0 or int(weights.max()) != 1 or len(items) != profile.kll.n:
        return None
    return np.asarray(items, dtype=np.float64)


# -- categorical: aligned category counts ---------------------------------------------


@dataclass(frozen=True)
class CategoryTable:
    """Both columns' counts over shared category cells, for comparing distributions.

    A side may list only part of its categories: a frequent-items sketch lists its
    heavy hitters, and a baseline read from a SageMaker file lists at most 1000. What a
    side does not list goes to an extra cell (:data:`OTHER_CATEGORIES`), and a category
    that such a side does not list is put in that cell on both sides, because its
    count there cannot be told apart from the rest. Values that are not text at all
    (a numeric Arrow type in a String column) get a cell of their own
    (:data:`NOT_CATEGORIES`). Each side thus sums to its number of present values.

    ``*_slack`` says by how much each cell's count may be off: a sketch's
    ``max_error`` for a named category (listed counts are estimates), and that times
    the number of named categories for the remainder. Exact counts have zero slack.
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


@dataclass(frozen=True)
class _Listing:
    """One side's category counts and what they leave out."""

    counts: dict[str, int]
    unlisted: int  # category values the listing leaves out
    not_text: int  # present values that are not categories at all
    error: float

    @classmethod
    def of(cls, profile: ColumnProfile) -> _Listing:
        categories = profile.categories
        counts = categories.as_dict()
        listed = sum(counts.values())
        gap = max(profile.present - categories.total, 0)
        # Numbers of a numeric Arrow type feed the moments but not the categories; a
        # baseline read from a file has no moments, so its gap is a shortened listing.
        not_text = min(gap, profile.moments.n)
        unlisted = max(categories.total - listed, 0) + gap - not_text
        error = 0.0 if categories.is_exact else float(categories.max_error)
        return cls(counts, unlisted, not_text, error)

    @property
    def partial(self) -> bool:
        return self.unlisted > 0 or self.error > 0

    def rest(self, names: list[str]) -> int:
        """Category values outside ``names``: unlisted ones and listed ones left out."""
        kept = sum(self.counts.get(name, 0) for name in names)
        return self.unlisted + sum(self.counts.values()) - kept


def category_table(baseline: ColumnProfile, current: ColumnProfile) -> CategoryTable:
    """Align the two columns' category counts (see :class:`CategoryTable`)."""
    sides = (_Listing.of(baseline), _Listing.of(current))
    names = set(sides[0].counts) | set(sides[1].counts)
    for side in sides:
        if side.partial:
            names &= set(side.counts)
    names = sorted(names)
    named = [np.array([side.counts.get(name, 0) for name in names]) for side in sides]
    other = [side.rest(names) for side in sides]
    not_text = [side.not_text for side in sides]
    labels, counts = list(names), [list(cells) for cells in named]
    slacks = [[side.error] * len(names) for side in sides]
    for label, cells, slack in (
        (OTHER_CATEGORIES, other, [side.error * len(names) for side in sides]),
        (NOT_CATEGORIES, not_text, [0.0, 0.0]),
    ):
        if cells[0] > 0 or cells[1] > 0:
            labels.append(label)
            for index in (0, 1):
                counts[index].append(cells[index])
                slacks[index].append(slack[index])
    as_counts = [np.array(cells, dtype=np.int64) for cells in counts]
    as_slack = [np.array(cells, dtype=np.float64) for cells in slacks]
    return CategoryTable(labels, as_counts[0], as_counts[1], as_slack[0], as_slack[1])


@dataclass(frozen=True)
class OneSidedCategories:
    """Categories listed on one side only, where the other side's listing is complete.

    ``names`` and ``counts`` are the categories and their counts on the side that has
    them; ``absent_at_most`` is what the other side's count could be (its sketch's
    ``max_error``; 0 for exact counts); ``total`` and ``other_total`` are the present
    values of the two sides, and ``compared`` the number of categories either side
    lists: each of them could have turned up on one side only.
    """

    names: list[str]
    counts: np.ndarray
    absent_at_most: float
    total: int
    other_total: int
    compared: int


def one_sided_categories(
    baseline: ColumnProfile, current: ColumnProfile
) -> tuple[OneSidedCategories, OneSidedCategories]:
    """The categories new in ``current`` and those that vanished from ``baseline``.

    A category missing from a listing that leaves values out (a baseline read from a
    SageMaker file lists at most 1000) may simply be unlisted, so such a side declares
    no category absent.
    """
    sides = (_Listing.of(baseline), _Listing.of(current))
    totals = [sum(side.counts.values()) + side.unlisted + side.not_text for side in sides]
    compared = len(set(sides[0].counts) | set(sides[1].counts))
    found = []
    for present, absent in ((1, 0), (0, 1)):
        names: list[str] = []
        if sides[absent].unlisted == 0:
            listed = sides[absent].counts
            names = sorted(
                name
                for name, count in sides[present].counts.items()
                if count > 0 and listed.get(name, 0) == 0
            )
        counts = np.array([sides[present].counts[name] for name in names], dtype=np.float64)
        # What a sketch lists is an estimate: count only what its error cannot explain.
        counts = np.maximum(counts - sides[present].error, 0.0)
        found.append(
            OneSidedCategories(
                names, counts, sides[absent].error, totals[present], totals[absent], compared
            )
        )
    return found[0], found[1]


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
