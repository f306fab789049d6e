"""The tests behind :func:`~watchkeeper.drift.detector.detect_distribution`, one per question.

Each returns a :class:`DriftTest` with the raw (unadjusted) p-value, or None when it
does not apply (too few values, nothing to compare). Every one reads exact counts and
moments or the sketches, never rows.
"""

from __future__ import annotations

import math

import numpy as np

from watchkeeper.drift._support import (
    CategoryTable,
    category_table,
    exact_values,
    sketch_rank_allowance,
)
from watchkeeper.drift.category_tests import expected_total_variation
from watchkeeper.drift.numeric import ks_test, numeric_linf
from watchkeeper.drift.ranks import rank_location_p_value, rank_scale_p_value
from watchkeeper.drift.result import DriftSettings, DriftTest
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.moments import Moments


def null_fraction_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Two-proportion z-test on the share of missing values; effect = change of that share.

    Runs only if some value is missing on either side: without a missing value it
    could never reject, and leaving it out keeps the other tests' share of ``alpha``.
    """
    if baseline.count == 0 or current.count == 0:
        return None
    if baseline.null_count == 0 and current.null_count == 0:
        return None
    return _proportion_test(
        "null_fraction",
        baseline.null_count,
        baseline.count,
        current.null_count,
        current.count,
        settings.min_null_change,
    )


def numeric_share_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Two-proportion z-test on the share of present values that are numbers, for a
    numeric column; effect = change of that share.

    A numeric column whose values start arriving as text changes here even when the
    numbers it still has look the same. Runs only if some present value on either
    side is not a number. (A categorical column needs no such test: whatever it does
    not count as a category lands in the category test's remainder cell.)
    """
    present_b, present_c = baseline.present, current.present
    if present_b == 0 or present_c == 0:
        return None
    numbers_b = min(baseline.moments.n, present_b)
    numbers_c = min(current.moments.n, present_c)
    if numbers_b == present_b and numbers_c == present_c:
        return None
    return _proportion_test(
        "value_kind", numbers_b, present_b, numbers_c, present_c, settings.min_null_change
    )


def _proportion_test(name: str, x1: int, n1: int, x2: int, n2: int, floor: float) -> DriftTest:
    # Pooled standard error: the test of equal proportions (the 2x2 chi-square test).
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    z = (p2 - p1) / se if se > 0 else 0.0
    from scipy import stats  # imported when first needed: it is slow to load

    p_value = float(2.0 * stats.norm.sf(abs(z)))
    effect = p2 - p1
    return DriftTest(name, z, p_value, effect, floor, abs(effect) / floor)


def location_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Did the values move? Effect = mean shift in pooled standard deviations.

    While both sketches hold every value (up to about 2000 a side) and the baseline's
    values are skewed or heavy-tailed (:func:`_ranks_suit`), the p-value is the Mann–Whitney
    rank test's (:func:`~watchkeeper.drift.ranks.rank_location_p_value`): it keeps its
    level for any distribution and, unlike a test of means, its power on such data.
    Otherwise Welch's t-test on the exact moments, the more powerful on normal-like
    data and reliable by the central limit theorem at large sizes.

    The pooled standard deviation is ``sqrt((s1**2 + s2**2) / 2)`` (sample variances),
    so the effect is symmetric in the two sides. Skipped when both sides are constant;
    the shape test then sees any change of the constant.
    """
    a, b = baseline.moments, current.moments
    if a.n < 2 or b.n < 2:
        return None
    var_a, var_b = a.m2 / (a.n - 1), b.m2 / (b.n - 1)
    if not (math.isfinite(var_a) and math.isfinite(var_b)) or var_a + var_b <= 0:
        return None
    se_a, se_b = var_a / a.n, var_b / b.n
    t = (b.mean - a.mean) / math.sqrt(se_a + se_b)
    # Welch-Satterthwaite, written in the shares of the standard error so that no
    # square of a variance is formed: values of 1e150 stay finite.
    share_a, share_b = se_a / (se_a + se_b), se_b / (se_a + se_b)
    dof = 1.0 / (share_a**2 / (a.n - 1) + share_b**2 / (b.n - 1))
    from scipy import stats  # imported when first needed: it is slow to load

    p_value = float(2.0 * stats.t.sf(abs(t), dof))
    exact = _exact_pair(baseline, current)
    if exact is not None and _ranks_suit(exact):
        t, p_value = rank_location_p_value(*exact)
    effect = (b.mean - a.mean) / math.sqrt((var_a + var_b) / 2.0)
    floor = settings.min_mean_shift
    return DriftTest("location", t, p_value, effect, floor, abs(effect) / floor)


def scale_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Did the spread change? While both sketches hold every value and the baseline's
    values are skewed or heavy-tailed (:func:`_ranks_suit`), Mood's rank test of scale
    (:func:`~watchkeeper.drift.ranks.rank_scale_p_value`); otherwise a z-test on the log
    ratio of the sample variances, with a kurtosis-aware standard error.

    ``Var(log s**2) ~ (kappa - (n - 3) / (n - 1)) / n`` for any distribution with kurtosis
    kappa, so the test holds its level for heavy-tailed data where the F-test (which
    assumes kappa = 3) alarms constantly. kappa is estimated from both sides' fourth
    moments about their own means, pooled: a mean shift does not distort it, and one
    extreme value raises the standard error together with the variance it inflates,
    which keeps Student-t(3)-like data quiet. Effect = ratio of standard deviations,
    current over baseline; its threshold is ``min_sd_ratio`` in either direction.
    Skipped when a side is constant (the shape test covers that).
    """
    a, b = baseline.moments, current.moments
    if a.n < 4 or b.n < 4 or not (a.m2 > 0 and b.m2 > 0):
        return None
    kurtosis = _pooled_kurtosis(a, b)
    if not math.isfinite(kurtosis):
        return None
    var_a, var_b = a.m2 / (a.n - 1), b.m2 / (b.n - 1)
    log_ratio = math.log(var_b / var_a)
    variance = _log_variance_variance(kurtosis, a.n) + _log_variance_variance(kurtosis, b.n)
    z = log_ratio / math.sqrt(variance)
    from scipy import stats  # imported when first needed: it is slow to load

    p_value = float(2.0 * stats.norm.sf(abs(z)))
    exact = _exact_pair(baseline, current)
    if exact is not None and _ranks_suit(exact):
        z, p_value = rank_scale_p_value(*exact)
    effect = math.exp(log_ratio / 2.0)
    floor = settings.min_sd_ratio
    return DriftTest("scale", z, p_value, effect, floor, abs(log_ratio / 2.0) / math.log(floor))


def _exact_pair(
    baseline: ColumnProfile, current: ColumnProfile
) -> tuple[np.ndarray, np.ndarray] | None:
    first, second = exact_values(baseline), exact_values(current)
    return None if first is None or second is None else (first, second)


# The baseline's skewness or excess kurtosis beyond which the rank tests are the more
# powerful: a normal sample of 100 values crosses either in about 1 % of draws.
RANK_SKEWNESS, RANK_EXCESS_KURTOSIS = 1.0, 1.0


def _ranks_suit(exact: tuple[np.ndarray, np.ndarray]) -> bool:
    """Whether the baseline's values are skewed or heavy-tailed enough for the rank tests
    to beat the tests of moments (an adaptive choice in the manner of Hogg's).

    On normal-like data the t-test and the variance ratio are the more powerful (a
    0.5 sd shift at 100 rows a side: 65 % against 60 %; a ×1.5 spread: 75 % against
    63 %); on exponential, lognormal or Student-t(3) data the rank tests are (×1.5
    spread, exponential: 97 % against 79 %). The baseline decides, as the description of
    what the data look like: rows of the current side that turned into outliers must
    not make the choice, since ranks are blind to how far an outlier lies (thirty of 150
    widths set to three times their usual size would go unnoticed). When nothing
    changed both sides come from one distribution, so the choice does not bias either
    test.
    """
    values = exact[0].astype(np.float64, copy=False)
    if not np.isfinite(values).all():
        return True
    with np.errstate(over="ignore", invalid="ignore"):  # values near 1e308: no moments
        centred = values - values.mean()
        m2 = float(np.mean(centred * centred))
        if not m2 > 0 or not math.isfinite(m2):
            return True
        standard = centred / math.sqrt(m2)
        skewness = float(np.mean(standard**3))
        excess = float(np.mean(standard**4)) - 3.0
    return abs(skewness) > RANK_SKEWNESS or excess > RANK_EXCESS_KURTOSIS


def _pooled_kurtosis(a: Moments, b: Moments) -> float:
    """``n * sum(m4) / sum(m2)**2`` over the sides that have a finite fourth moment.

    A baseline read from a SageMaker file has no fourth moment (the file keeps only
    mean and standard deviation); the current side's kurtosis then stands for both,
    which is right whenever nothing changed, the case the test must keep quiet.
    """
    sides = [side for side in (a, b) if math.isfinite(side.m4) and math.isfinite(side.m2)]
    if not sides:
        return math.nan
    n = sum(side.n for side in sides)
    m2 = sum(side.m2 for side in sides)
    return n * sum(side.m4 for side in sides) / (m2 * m2)


def _log_variance_variance(kurtosis: float, n: int) -> float:
    # The kurtosis of any distribution is at least 1, so this stays positive.
    return max(kurtosis - (n - 3) / (n - 1), 2.0 / (n - 1)) / n


def shape_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Kolmogorov–Smirnov test from the sketches, net of their rank error.

    The statistic is Deequ's ``linf_simple`` minus each compacted sketch's rank-error
    allowance (:attr:`DriftSettings.sketch_rank_error`), a lower bound on the KS
    distance of the data themselves; the p-value is the asymptotic two-sample one for
    that value. Effect = that net KS distance.
    """
    if baseline.kll.n == 0 or current.kll.n == 0:
        return None
    allowance = sketch_rank_allowance(baseline, settings.sketch_rank_error)
    allowance += sketch_rank_allowance(current, settings.sketch_rank_error)
    net = max(0.0, numeric_linf(baseline, current) - allowance)
    result = ks_test(baseline, current, statistic=net)
    floor = settings.min_ks
    return DriftTest("shape", net, result.p_value, net, floor, net / floor)


def category_test(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings
) -> DriftTest | None:
    """Chi-square test of homogeneity on the baseline-versus-current table of category
    counts; effect = total variation distance of the category shares, against a floor
    of the total variation two samples of the pooled shares show by chance
    (:func:`~watchkeeper.drift.category_tests.expected_total_variation`, which grows
    with the number of categories and shrinks with the sample sizes) plus
    ``min_total_variation``.

    Categories are pooled, rarest first, until every cell expects at least
    ``min_expected_count`` values, which keeps the chi-square approximation valid for
    columns with hundreds of rare categories. Categories that appear on one side only
    are cells like any other. Written with shares, Pearson's statistic for a 2 x K
    table is ``sum_k n*m/(n+m) * (p1k - p2k)**2 / pooled_k``; when counts come from a
    frequent-items sketch, each ``|p1k - p2k|`` is first reduced by the cell's count
    slack, as the shape test does with the KLL rank error, so sketch error is never
    taken for drift. The total variation (half the sum of those net differences over
    the unpooled categories) is likewise a lower bound on the data's.
    """
    table = category_table(baseline, current)
    n, m = table.baseline_total, table.current_total
    if n == 0 or m == 0:
        return None
    tv = float(_net_differences(table.baseline, table.current, table).sum() / 2.0)
    floor = expected_total_variation(table) + settings.min_total_variation
    columns = _rare_first_groups(table.baseline + table.current, n, m, settings)
    if len(columns) < 2:
        return DriftTest("categories", 0.0, 1.0, tv, floor, tv / floor)
    pooled = CategoryTable(
        [str(index) for index in range(len(columns))],
        *(_sum_groups(values, columns) for values in _table_arrays(table)),
    )
    difference = _net_differences(pooled.baseline, pooled.current, pooled)
    shares = (pooled.baseline + pooled.current) / (n + m)
    statistic = float(np.sum(n * m / (n + m) * difference**2 / shares))
    from scipy import stats  # imported when first needed: it is slow to load

    p_value = float(stats.chi2.sf(statistic, len(columns) - 1))
    return DriftTest("categories", statistic, p_value, tv, floor, tv / floor)


def _table_arrays(table: CategoryTable) -> tuple[np.ndarray, ...]:
    return table.baseline, table.current, table.baseline_slack, table.current_slack


def _net_differences(first: np.ndarray, second: np.ndarray, table: CategoryTable) -> np.ndarray:
    """``|p1 - p2|`` per cell, less what the counts' slack could explain, at least 0."""
    n, m = first.sum(), second.sum()
    raw = np.abs(first / n - second / m)
    return np.maximum(0.0, raw - table.baseline_slack / n - table.current_slack / m)


def _rare_first_groups(
    totals: np.ndarray, n: int, m: int, settings: DriftSettings
) -> list[np.ndarray]:
    """Cells of the pooled table, as arrays of category indices.

    A cell expects ``row total * cell total / (n + m)`` values in each row, so it is
    valid when its total reaches ``min_expected_count * (n + m) / min(n, m)``. The
    rarest categories are merged into one cell until that cell is valid too.
    """
    needed = settings.min_expected_count * (n + m) / min(n, m)
    order = np.argsort(totals, kind="stable")
    sorted_totals = totals[order]
    below = int(np.searchsorted(sorted_totals, needed, side="left"))
    if below == 0:
        return [np.array([index]) for index in order]
    reach = int(np.searchsorted(np.cumsum(sorted_totals), needed, side="left"))
    merged = min(max(below, reach + 1), len(order))
    return [order[:merged]] + [np.array([index]) for index in order[merged:]]


def _sum_groups(values: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    starts = np.cumsum([0] + [len(group) for group in groups[:-1]])
    return np.add.reduceat(values[np.concatenate(groups)], starts)
