"""Drift distances against SciPy / NumPy and hand computations."""

from __future__ import annotations

import math
import re

import numpy as np
import pyarrow as pa
import pytest
from drift_samples import column
from scipy import stats
from scipy.spatial.distance import jensenshannon

from watchkeeper.drift import (
    BaselineDrift,
    baseline_drift_distance,
    chi_square,
    hellinger,
    jensen_shannon,
    ks_test,
    linf_penalty,
    linf_robust,
    linf_simple,
    psi,
    quantile_bins,
    wasserstein,
)
from watchkeeper.drift.divergence import PSI_EPSILON
from watchkeeper.drift.numeric import pooled_bins
from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile

RNG_SEED = 20240611


def counts_column(counts: dict[str, int]) -> ColumnProfile:
    """A String column with exactly these category counts."""
    values = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    return column(pa.array(values.tolist(), type=pa.string()))


SAMPLE_PAIRS = {
    "normal, unequal sizes": lambda rng: (rng.normal(0, 1, 300), rng.normal(0.2, 1.1, 517)),
    "discrete with ties": lambda rng: (rng.poisson(3, 800), rng.poisson(3.3, 650)),
    "full exact sketches": lambda rng: (rng.exponential(1, 2050), rng.exponential(1.1, 2050)),
    "disjoint supports": lambda rng: (rng.uniform(0, 1, 50), rng.uniform(2, 3, 70)),
}


@pytest.mark.parametrize("name", list(SAMPLE_PAIRS))
def test_linf_simple_is_scipy_ks_statistic_on_exact_sketches(name):
    a, b = SAMPLE_PAIRS[name](np.random.default_rng(RNG_SEED))
    expected = stats.ks_2samp(a, b)
    assert linf_simple(column(a), column(b)) == pytest.approx(expected.statistic, abs=1e-12)


@pytest.mark.parametrize("name", list(SAMPLE_PAIRS))
def test_ks_p_value_is_scipy_asymptotic_two_sample(name):
    a, b = SAMPLE_PAIRS[name](np.random.default_rng(RNG_SEED))
    expected = stats.ks_2samp(a, b, method="asymp")
    result = ks_test(column(a), column(b))
    assert result.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert (result.n, result.m) == (len(a), len(b))


def test_linf_on_compacted_sketches_follows_the_definition():
    rng = np.random.default_rng(RNG_SEED)
    a, b = rng.normal(0, 1, 60_000), rng.normal(0.05, 1, 45_000)
    first, second = column(a), column(b)
    items_a, weights_a = first.kll.weighted_items()
    items_b, weights_b = second.kll.weighted_items()
    assert weights_a.max() > 1 and weights_b.max() > 1  # both sketches have compacted
    grid = np.union1d(items_a, items_b)
    # R(x) straight from the definition: total weight of items <= x.
    rank_a = ((items_a[None, :] <= grid[:, None]) * weights_a).sum(axis=1) / weights_a.sum()
    rank_b = ((items_b[None, :] <= grid[:, None]) * weights_b).sum(axis=1) / weights_b.sum()
    expected = np.abs(rank_a - rank_b).max()
    assert linf_simple(first, second) == pytest.approx(expected, abs=1e-12)
    # and it stays within the sketches' rank error of the data's KS statistic
    assert abs(linf_simple(first, second) - stats.ks_2samp(a, b).statistic) < 0.01


def test_robust_penalty_matches_sagemaker_example():
    assert linf_penalty(100, 100) == pytest.approx(0.2546, abs=5e-5)
    c = math.sqrt(-math.log(0.01 / 2) / 2)
    assert linf_penalty(100, 400, alpha=0.01) == pytest.approx(c * math.sqrt(500 / 40_000))
    with pytest.raises(UsageError, match="alpha"):
        linf_penalty(100, 100, alpha=1.5)


def test_linf_robust_subtracts_the_penalty_and_floors_at_zero():
    a = column(np.arange(100.0))
    shifted = column(np.arange(100.0) + 40)  # KS distance 0.4
    assert linf_simple(a, shifted) == pytest.approx(0.4)
    assert linf_robust(a, shifted) == pytest.approx(0.4 - 1.8 * math.sqrt(0.02))
    assert linf_robust(a, column(np.arange(100.0) + 10)) == 0.0
    c = math.sqrt(-math.log(0.05 / 2) / 2)
    assert linf_robust(a, shifted, alpha=0.05) == pytest.approx(0.4 - c * math.sqrt(0.02))


def test_categorical_linf_uses_per_category_probabilities():
    baseline = counts_column({"x": 60, "y": 40})
    current = counts_column({"x": 30, "y": 50, "z": 20})
    # |0.6 - 0.3| = 0.3 beats |0.4 - 0.5| and |0 - 0.2|; a CDF would give other numbers.
    assert linf_simple(baseline, current) == pytest.approx(0.3)
    assert linf_robust(baseline, current) == pytest.approx(0.3 - 0.2546, abs=5e-5)


def test_boolean_columns_are_compared_by_category():
    baseline = column(pa.array([True] * 70 + [False] * 30))
    current = column(pa.array([True] * 40 + [False] * 60))
    assert linf_simple(baseline, current) == pytest.approx(0.3)


def test_chi_square_regroups_smallest_categories_like_deequ():
    baseline = counts_column({"a": 500, "b": 300, "c": 150, "d": 30, "e": 15, "f": 5})
    current = counts_column({"a": 60, "b": 25, "c": 10, "d": 3, "e": 1, "f": 1, "new": 4})
    # "new" is not in the baseline: left out, so the current total is 100 and the
    # expected counts are 50, 30, 15, 3, 1.5, 0.5. With six cells at most one may be
    # below 5: f folds into e (2.0), then e+f into d (5.0), which leaves four valid cells.
    expected = stats.chisquare([60, 25, 10, 5], [50, 30, 15, 5])
    result = chi_square(baseline, current)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-12)
    assert result.dof == 3
    assert sorted(result.categories) == ["a", "b", "c", "d+e+f"]
    simple = baseline_drift_distance(baseline, current, "Simple", "ChiSquared")
    robust = baseline_drift_distance(baseline, current, "Robust", "ChiSquared")
    # both carry the statistic as the distance and the test's p-value; Deequ's Robust
    # judges the p-value (drift below the threshold), Simple the statistic (above it)
    assert simple == BaselineDrift(result.statistic, result.p_value, "chi_squared_simple")
    assert robust == BaselineDrift(result.statistic, result.p_value, "chi_squared_robust")
    assert (simple.judged, robust.judged) == (result.statistic, result.p_value)
    assert robust.breaks(0.25) and not robust.breaks(0.2)  # p = 0.212
    assert simple.breaks(4.4) and not simple.breaks(4.5)  # statistic 4.5


def test_chi_square_two_categories_need_ten_expected_each():
    baseline = counts_column({"a": 95, "b": 5})
    valid = chi_square(baseline, counts_column({"a": 150, "b": 50}))  # expected 190, 10
    assert valid.statistic == pytest.approx(stats.chisquare([150, 50], [190, 10]).statistic)
    too_small = chi_square(baseline, counts_column({"a": 150, "b": 40}))  # expected b: 9.5
    assert math.isnan(too_small.statistic) and math.isnan(too_small.p_value)
    single = chi_square(counts_column({"a": 10}), counts_column({"a": 12}))
    assert math.isnan(single.p_value)


def test_category_divergences_match_hand_computations():
    baseline = counts_column({"a": 500, "b": 300, "c": 200})
    current = counts_column({"a": 400, "b": 400, "c": 100, "d": 100})
    p = np.array([0.5, 0.3, 0.2, 0.0])
    q = np.array([0.4, 0.4, 0.1, 0.1])
    assert jensen_shannon(baseline, current) == pytest.approx(jensenshannon(p, q, base=2) ** 2)
    assert hellinger(baseline, current) == pytest.approx(
        np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2) / 2)
    )
    ps = (p + PSI_EPSILON) / (1 + 4 * PSI_EPSILON)
    qs = (q + PSI_EPSILON) / (1 + 4 * PSI_EPSILON)
    assert psi(baseline, current) == pytest.approx(np.sum((qs - ps) * np.log(qs / ps)))
    assert psi(baseline, baseline) == 0.0
    assert jensen_shannon(baseline, baseline) == 0.0
    assert hellinger(baseline, baseline) == 0.0


def test_psi_uses_baseline_deciles():
    baseline = column(np.arange(1000.0))
    current = column(np.arange(1000.0) + 50)
    first, second = quantile_bins(baseline, current)
    np.testing.assert_allclose(first, np.full(10, 0.1))
    # Edges at 99, 199, ..., 899: the shifted values 50..1049 fill them as below.
    edges = np.arange(99, 900, 100)
    counts = np.histogram(np.arange(1000.0) + 50, np.concatenate(([-1e9], edges + 0.5, [1e9])))
    np.testing.assert_allclose(second, counts[0] / 1000)
    smooth = [(s + PSI_EPSILON) / (1 + 10 * PSI_EPSILON) for s in (first, second)]
    assert psi(baseline, current) == pytest.approx(
        np.sum((smooth[1] - smooth[0]) * np.log(smooth[1] / smooth[0]))
    )


def test_symmetric_distances_use_pooled_bins():
    baseline = column(np.arange(1000.0))
    current = column(np.arange(1000.0) + 50)
    first, second = pooled_bins(baseline, current)
    # the pooled values 0..1049 (50..999 twice) cut in ten bins of equal mixture mass
    assert len(first) == len(second) == 10
    assert first.sum() == pytest.approx(1.0) and second.sum() == pytest.approx(1.0)
    np.testing.assert_allclose((first + second) / 2, np.full(10, 0.1), atol=0.01)
    assert jensen_shannon(baseline, current) == pytest.approx(
        jensenshannon(first, second, base=2) ** 2
    )
    assert hellinger(baseline, current) == pytest.approx(
        np.sqrt(max(0.0, 1 - np.sum(np.sqrt(first * second))))
    )


def test_hellinger_and_jensen_shannon_are_symmetric():
    rng = np.random.default_rng(RNG_SEED)
    pairs = [
        (column(rng.normal(0, 1, 5000)), column(rng.normal(0.4, 1.6, 800))),
        (column(rng.exponential(1.0, 300)), column(rng.exponential(2.0, 20_000))),
        (column(rng.integers(0, 5, 2000)), column(rng.integers(1, 7, 900))),
        (column(rng.choice(["a", "b", "c"], 400)), column(rng.choice(["a", "b", "d"], 700))),
    ]
    for one, other in pairs:
        assert hellinger(one, other) == pytest.approx(hellinger(other, one), abs=1e-12)
        assert hellinger(one, other) > 0.05
        assert jensen_shannon(one, other) == pytest.approx(jensen_shannon(other, one), abs=1e-12)


def test_quantile_bins_merge_for_discrete_columns():
    rng = np.random.default_rng(RNG_SEED)
    binary = column(rng.binomial(1, 0.3, 1000))
    first, second = quantile_bins(binary, column(rng.binomial(1, 0.5, 1000)))
    assert len(first) < 10 and first.sum() == pytest.approx(1.0)
    assert second.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("sizes", [(400, 700), (30_000, 50_000)])
def test_wasserstein_matches_scipy_over_sketch_items(sizes):
    rng = np.random.default_rng(RNG_SEED)
    a, b = rng.lognormal(0, 0.5, sizes[0]), rng.lognormal(0.1, 0.5, sizes[1])
    first, second = column(a), column(b)
    items_a, weights_a = first.kll.weighted_items()
    items_b, weights_b = second.kll.weighted_items()
    raw = stats.wasserstein_distance(items_a, items_b, weights_a, weights_b)
    assert wasserstein(first, second) == pytest.approx(raw / np.std(a), rel=1e-9)
    if sizes[0] <= 2050:  # exact sketches: the data's own distance
        assert wasserstein(first, second) == pytest.approx(
            stats.wasserstein_distance(a, b) / np.std(a), rel=1e-9
        )


def test_wasserstein_of_constant_baseline_uses_pooled_spread():
    zeros, ones = column(np.zeros(50)), column(np.ones(50))
    assert wasserstein(zeros, zeros) == 0.0
    assert wasserstein(zeros, ones) == pytest.approx(1.0 / 0.5)


def test_sagemaker_distance_dispatches_on_method_and_kind():
    rng = np.random.default_rng(RNG_SEED)
    a, b = column(rng.normal(0, 1, 500)), column(rng.normal(0.3, 1, 400))
    simple = baseline_drift_distance(a, b, "Simple")
    assert (simple.distance, simple.method) == (linf_simple(a, b), "linf_simple")
    robust = baseline_drift_distance(a, b, "Robust")
    assert (robust.distance, robust.method) == (linf_robust(a, b), "linf_robust")
    assert baseline_drift_distance(a, b, "Robust", "ChiSquared") == robust  # numeric: L-inf
    for drift in (simple, robust):
        assert math.isnan(drift.p_value)  # a distance, not a test
        assert drift.judged == drift.distance
        assert drift.breaks(drift.distance - 1e-9) and not drift.breaks(drift.distance)
    x, y = counts_column({"p": 70, "q": 30}), counts_column({"p": 50, "q": 50})
    assert baseline_drift_distance(x, y, "Simple", "LInfinity").distance == pytest.approx(0.2)
    assert baseline_drift_distance(x, y, "Robust", "LInfinity").distance == linf_robust(x, y)


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        (("Median", "LInfinity"), "comparison_method must be 'Simple' or 'Robust'; got 'Median'"),
        (("linf_simple",), "comparison_method must be 'Simple' or 'Robust'; got 'linf_simple'"),
        (("robust",), "comparison_method must be 'Simple' or 'Robust'; got 'robust'"),
        (("Simple", "KS"), "categorical_drift_method must be 'LInfinity' or 'ChiSquared'"),
        (("Simple", "linfinity"), "categorical_drift_method must be 'LInfinity' or 'ChiSquared'"),
    ],
)
def test_sagemaker_distance_takes_the_canonical_method_names_only(methods, message):
    a = column(np.arange(10.0))
    with pytest.raises(UsageError, match=re.escape(message)) as raised:
        baseline_drift_distance(a, a, *methods)
    assert "watchkeeper.baseline." in str(raised.value)  # where the other spellings are read


def test_empty_sides_give_nan():
    a = column(np.arange(10.0))
    empty = ColumnProfile()
    for distance in (linf_simple, linf_robust, psi, jensen_shannon, hellinger, wasserstein):
        assert math.isnan(distance(a, empty)), distance.__name__
    for methods in (("Simple",), ("Robust",), ("Robust", "ChiSquared")):
        drift = baseline_drift_distance(empty, empty, *methods)
        assert math.isnan(drift.distance) and math.isnan(drift.p_value), methods
        assert not drift.breaks(0.0) and not drift.breaks(1e300)
    chi = baseline_drift_distance(counts_column({"a": 5}), counts_column({"a": 5}), "Robust",
                                  "ChiSquared")  # fmt: skip
    assert math.isnan(chi.p_value) and not chi.breaks(1.0)  # one category: no test


def test_distances_are_deterministic():
    def build():
        rng = np.random.default_rng(RNG_SEED)
        return column(rng.normal(0, 1, 30_000)), column(rng.normal(0, 1.2, 20_000))

    first, second = build(), build()
    for distance in (linf_simple, linf_robust, psi, jensen_shannon, hellinger, wasserstein):
        assert distance(*first) == distance(*second)
