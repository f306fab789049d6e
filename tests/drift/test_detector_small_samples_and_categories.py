"""The detector on small samples (rank tests while the sketches hold every value) and on
categories: one seen on one side only, and floors that follow the number of categories."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from drift_samples import categorical, column, zipf_shares
from scipy import stats

from watchkeeper.checks.drift_checks import DetectorDrift
from watchkeeper.drift import DriftSettings, detect
from watchkeeper.drift.ranks import rank_location_p_value, rank_scale_p_value


def counted(counts: dict[str, int], seed: int = 0) -> pa.Array:
    """A column holding exactly ``counts`` of each category, in shuffled order."""
    names = np.array(list(counts))
    codes = np.repeat(np.arange(len(names)), list(counts.values()))
    np.random.default_rng(seed).shuffle(codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(names))


REGIONS = {"north": 500, "south": 500, "east": 500, "west": 500}


def test_new_category_at_four_percent_is_drift_and_named():
    # The other shares keep their proportions: total variation is 0.04, under its floor.
    current = {"north": 480, "south": 480, "east": 480, "west": 480, "central": 80}
    baseline_profile, current_profile = column(counted(REGIONS)), column(counted(current))
    result = detect(baseline_profile, current_profile)
    assert result.drifted
    assert (result.test, result.subject) == ("new_category", "central")
    assert result.effect == pytest.approx(0.04)
    assert result.threshold == 0.01 and result.score == pytest.approx(4.0)
    # 80 values all on one side of two equal halves: 2 * 0.5**80, once per category,
    # once per test of the family (the shares and this one).
    assert result.p_value == pytest.approx(2 * 5 * 2 * 0.5**80, rel=1e-9)
    shares = next(test for test in result.tests if test.name == "categories")
    assert shares.effect == pytest.approx(0.04) and not shares.drifted
    unit = DetectorDrift()
    violation = unit.judge("region", unit.measure(baseline_profile, current_profile))
    assert violation.description.startswith("new category 'central' at 4.0 % of rows")
    assert violation.details["category"] == "central"


def test_vanished_category_is_drift_and_named():
    baseline = {"north": 485, "south": 485, "east": 485, "west": 485, "central": 60}
    result = detect(column(counted(baseline)), column(counted(REGIONS)))
    assert result.drifted
    assert (result.test, result.subject) == ("vanished_category", "central")
    assert result.effect == pytest.approx(0.03)
    assert "vanished category 'central' at 3.0 % of baseline rows" in DetectorDrift().judge(
        "region", DetectorDrift().measure(column(counted(baseline)), column(counted(REGIONS)))
    ).description


def test_category_gone_from_a_larger_current_sample_is_drift():
    # 200 categories; "c7" holds 2 % of 1,000 baseline rows and none of 100,000 current
    # ones. Pooled with the rare categories it used to go unnoticed.
    shares = np.full(200, 0.98 / 199)
    shares[7] = 0.02
    baseline = {f"c{i}": round(share * 1000) for i, share in enumerate(shares)}
    current = {f"c{i}": 100_000 // 199 for i in range(200) if i != 7}
    result = detect(column(counted(baseline)), column(counted(current)))
    assert (result.drifted, result.test, result.subject) == (True, "vanished_category", "c7")
    assert result.p_value < 1e-30


@pytest.mark.parametrize(
    ("new_rows", "rows", "drifted"),
    [
        (10, 2000, False),  # 0.5 %: below the share a new category must reach
        (3, 100, False),  # 3 %, but 3 values: p = 1, could be chance
        (8, 100, False),  # 8 %: p = 2 * 5 * 2 * 0.5**8 = 0.078, not below alpha
        (16, 200, True),  # 8 %: p = 2 * 5 * 2 * 0.5**16 = 0.0003
    ],
)
def test_new_category_must_be_common_and_significant(new_rows, rows, drifted):
    per_region = (rows - new_rows) // 4
    current = {name: per_region for name in REGIONS} | {"central": new_rows}
    baseline = {name: (rows // 4) for name in REGIONS}
    result = detect(column(counted(baseline)), column(counted(current)))
    presence = [test for test in result.tests if test.name == "new_category"]
    assert bool(result.drifted) is drifted
    if new_rows / rows < 0.01:
        assert presence == []
    else:
        assert presence[0].subject == "central"
        # two tests in the family; five categories compared, each could have been the
        # one seen on one side only
        expected = min(1, 2 * 5 * 2 * 0.5**new_rows)
        assert presence[0].p_value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("categories", "rows", "expected"),
    [(5, 10_000, 0.011), (200, 100, 0.61), (200, 1_000, 0.25), (200, 10_000, 0.079)],
)
def test_total_variation_floor_is_the_noise_of_unchanged_data_plus_the_margin(
    categories, rows, expected
):
    """The floor's noise part follows the number of categories and the rows: it matches
    the mean total variation of two samples of one distribution."""
    rng = np.random.default_rng(categories + rows)
    shares = np.full(categories, 1.0 / categories)
    noise, floors = [], []
    for _ in range(12):
        result = detect(
            column(categorical(rng, shares, rows)), column(categorical(rng, shares, rows))
        )
        test = next(test for test in result.tests if test.name == "categories")
        noise.append(test.effect)
        floors.append(test.threshold - DriftSettings().min_total_variation)
        assert not result.drifted
    # The floor never falls below the margin, and sits near the measured noise (at 100
    # rows with 200 categories the unseen ones make it lower than the noise).
    assert np.mean(floors) == pytest.approx(expected, rel=0.1)
    assert np.mean(floors) == pytest.approx(np.mean(noise), rel=0.1 if rows > 100 else 0.4)


def test_many_categories_at_ten_thousand_rows_stay_quiet():
    # With a fixed 0.05 floor, the noise alone (0.06-0.07 here) passed the floor and the
    # chi-square's tail decided; now the floor sits above the noise.
    rng = np.random.default_rng(300)
    shares = zipf_shares(300)
    results = [
        detect(column(categorical(rng, shares, 10_000)), column(categorical(rng, shares, 10_000)))
        for _ in range(3)
    ]
    for result in results:
        test = next(test for test in result.tests if test.name == "categories")
        assert test.effect > 0.05 and test.ratio < 0.7
    # and a real change of 0.15 is still caught at that size
    changed = shares.copy()
    changed[:10] *= 0.4
    changed /= changed.sum()
    tv = np.abs(changed - shares).sum() / 2
    assert tv > 0.15
    result = detect(
        column(categorical(rng, shares, 10_000)), column(categorical(rng, changed, 10_000))
    )
    assert result.drifted and result.test == "categories"


def test_small_samples_use_rank_tests_on_the_exact_values():
    rng = np.random.default_rng(4)
    first, second = rng.lognormal(0, 1, 300), rng.lognormal(0.2, 1.3, 250)
    result = detect(column(first), column(second))
    tests = {test.name: test for test in result.tests}
    family = len(result.tests)
    mann_whitney = stats.mannwhitneyu(first, second, method="asymptotic").pvalue
    mood = stats.mood(first, second).pvalue
    assert tests["location"].p_value == pytest.approx(min(1, family * mann_whitney), rel=1e-9)
    assert tests["scale"].p_value == pytest.approx(min(1, family * mood), rel=1e-9)


def test_compacted_sketches_keep_the_moment_tests():
    rng = np.random.default_rng(5)
    first, second = rng.normal(0, 1, 5000), rng.normal(0.05, 1, 5000)
    result = detect(column(first), column(second))
    location = next(test for test in result.tests if test.name == "location")
    welch = stats.ttest_ind(first, second, equal_var=False).pvalue
    assert location.p_value == pytest.approx(min(1, len(result.tests) * welch), rel=1e-9)


def test_skewed_spread_change_at_100_rows_is_caught():
    # Exponential data 1.5 times as spread: the variance ratio's standard error grows
    # with the tail; Mood's rank test does not care.
    rng = np.random.default_rng(11)
    caught = sum(
        detect(
            column(rng.exponential(1, 100)), column(1 + (rng.exponential(1, 100) - 1) * 1.5)
        ).drifted
        for _ in range(40)
    )
    assert caught >= 39


@pytest.mark.parametrize("draw", ["normal", "poisson", "binary"])
def test_rank_tests_agree_with_scipy_including_ties(draw):
    rng = np.random.default_rng(8)
    generate = {
        "normal": lambda n: rng.normal(0, 1, n),
        "poisson": lambda n: rng.poisson(3, n).astype(float),
        "binary": lambda n: rng.binomial(1, 0.3, n).astype(float),
    }[draw]
    first, second = generate(120), generate(90) * 1.3
    z, p = rank_location_p_value(first, second)
    expected = stats.mannwhitneyu(first, second, method="asymptotic")
    assert p == pytest.approx(expected.pvalue, rel=1e-9)
    assert math.copysign(1, z) == (1 if np.median(second) >= np.median(first) else -1) or z == 0
    z, p = rank_scale_p_value(first, second)
    mood = stats.mood(first, second)
    # scipy signs the statistic for the first side, ours for the second
    assert (z, p) == pytest.approx((-mood.statistic, mood.pvalue), rel=1e-9)
