"""The default drift detector: quiet on unchanged data at any size, alert on real changes.

Repetition counts here are modest so the suite stays fast; bench/drift_calibration.py
measures the same rates with many more repetitions and up to 10M rows per side.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from drift_samples import SAME_DISTRIBUTION, categorical, column, with_nulls, zipf_shares

from watchkeeper.baseline.statistics import profile_from_statistics, statistics_document
from watchkeeper.drift import DriftSettings, detect, detect_all
from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile

SETTINGS = DriftSettings()


def false_alarms(name: str, n: int, repetitions: int, seed: int) -> int:
    generate = SAME_DISTRIBUTION[name]
    rng = np.random.default_rng(seed)
    return sum(
        detect(column(generate(rng, n)), column(generate(rng, n))).drifted
        for _ in range(repetitions)
    )


@pytest.mark.parametrize("n", [100, 1000])
def test_false_alarm_rate_on_small_samples(n):
    repetitions = 400
    alarms = {
        name: false_alarms(name, n, repetitions, seed=n + index)
        for index, name in enumerate(SAME_DISTRIBUTION)
    }
    # alpha = 0.005 per feature: about 2 alarms in 400 are expected; 8 (2%) is the limit.
    assert max(alarms.values()) <= 8, alarms
    total = sum(alarms.values()) / (repetitions * len(alarms))
    assert total <= 0.01, alarms


def test_no_false_alarms_at_100k_rows_and_effects_well_below_thresholds():
    n, repetitions = 100_000, 4
    for index, (name, generate) in enumerate(SAME_DISTRIBUTION.items()):
        rng = np.random.default_rng(7000 + index)
        for _ in range(repetitions):
            result = detect(column(generate(rng, n)), column(generate(rng, n)))
            assert not result.drifted, (name, str(result))
            # At this size the floors decide: noise effects are far below them. (The
            # sample variance of Student-t(3) data is too wild for this bound; its
            # test's standard error, not the floor, keeps it quiet.)
            for test in result.tests:
                if test.name != "scale":
                    assert test.ratio < 0.6, (name, test)


def test_significant_but_trivial_difference_is_not_drift():
    rng = np.random.default_rng(11)
    n = 300_000
    result = detect(column(rng.normal(0, 1, n)), column(rng.normal(0.03, 1, n)))
    location = next(test for test in result.tests if test.name == "location")
    assert location.significant  # the test sees the shift ...
    assert 0.2 < location.ratio < 0.4  # ... of 0.03 sd, under the 0.1 sd floor
    assert not result.drifted
    assert result.score < 1


def shifted_pairs(rng: np.random.Generator, change: str, n: int):
    """A baseline sample and a current one with a meaningful change."""
    if change == "mean +0.3 sd":
        return rng.normal(5, 2, n), rng.normal(5.6, 2, n)
    if change == "mean +0.3 sd, lognormal":
        sd = math.sqrt((math.e - 1) * math.e)
        return rng.lognormal(0, 1, n), rng.lognormal(0, 1, n) + 0.3 * sd
    if change == "sd x1.5":
        return rng.normal(0, 1, n), rng.normal(0, 1.5, n)
    if change == "total variation 0.15":
        before = np.array([40, 25, 20, 10, 5.0])
        after = np.array([25, 25, 20, 15, 15.0])
        return categorical(rng, before, n), categorical(rng, after, n)
    if change == "nulls 0% -> 20%":
        return rng.normal(0, 1, n), with_nulls(rng, rng.normal(0, 1, n), 0.2)
    if change == "nulls 5% -> 25%":
        before = with_nulls(rng, rng.exponential(1, n), 0.05)
        return before, with_nulls(rng, rng.exponential(1, n), 0.25)
    raise ValueError(change)


EXPECTED_TEST = {
    "mean +0.3 sd": "location",
    "mean +0.3 sd, lognormal": None,  # a shifted lognormal also changes shape
    "sd x1.5": "scale",
    "total variation 0.15": "categories",
    "nulls 0% -> 20%": "null_fraction",
    "nulls 5% -> 25%": "null_fraction",
}


@pytest.mark.parametrize("change", list(EXPECTED_TEST))
def test_power_at_1000_rows(change):
    rng = np.random.default_rng(99)
    repetitions = 100
    results = [
        detect(*(column(sample) for sample in shifted_pairs(rng, change, 1000)))
        for _ in range(repetitions)
    ]
    assert sum(result.drifted for result in results) >= 0.95 * repetitions
    if EXPECTED_TEST[change]:
        # The decider is the test whose effect is the most times its threshold; for a
        # mean shift the KS distance sometimes edges ahead, and that is fine.
        deciders = [result.test for result in results if result.drifted]
        assert deciders.count(EXPECTED_TEST[change]) >= 0.8 * len(deciders), deciders


def test_heavy_tails_with_extreme_values_stay_quiet():
    rng = np.random.default_rng(5)
    baseline = rng.standard_t(3, 5000)
    current = rng.standard_t(3, 5000)
    current[:3] = [80.0, -120.0, 150.0]  # a few wild but legitimate values
    assert not detect(column(baseline), column(current)).drifted


def test_result_fields_are_consistent():
    rng = np.random.default_rng(3)
    result = detect(column(rng.normal(0, 1, 2000)), column(rng.normal(0, 1.6, 2000)))
    assert result.drifted and result.test == "scale"
    assert result.kind == "numeric"
    assert result.score >= 1 and result.p_value <= SETTINGS.alpha
    assert result.effect == pytest.approx(1.6, rel=0.1)
    assert result.threshold == SETTINGS.min_sd_ratio
    assert {test.name for test in result.tests} == {"location", "scale", "shape"}
    assert result.score == max(test.ratio for test in result.tests if test.significant)
    assert (result.baseline_count, result.current_count) == (2000, 2000)
    quiet = detect(column(rng.normal(0, 1, 2000)), column(rng.normal(0, 1, 2000)))
    assert not quiet.drifted and quiet.score == 0.0
    assert quiet.p_value == min(test.p_value for test in quiet.tests)


def test_column_becoming_all_null_is_a_null_surge():
    rng = np.random.default_rng(1)
    baseline = column(rng.normal(0, 1, 500))
    gone = column(pa.array([None] * 500, type=pa.float64()))
    result = detect(baseline, gone)
    assert result.drifted and result.test == "null_fraction"
    assert result.effect == 1.0


def test_unknown_and_empty_columns_give_a_quiet_result():
    all_null = column(pa.array([None] * 100, type=pa.float64()))
    result = detect(all_null, all_null)
    assert not result.drifted and result.kind == "unknown"
    empty = detect(ColumnProfile(), ColumnProfile())
    assert not empty.drifted and empty.test is None and empty.tests == ()
    assert math.isnan(empty.p_value)
    assert "no drift test applies" in str(empty)


def test_numbers_turning_into_text_is_drift():
    rng = np.random.default_rng(2)
    numbers = rng.normal(0, 1, 1000)
    text = numbers.astype(str).astype(object)
    text[rng.random(1000) < 0.2] = "n/a"
    result = detect(column(numbers.astype(str)), column(pa.array(text.tolist())))
    assert result.drifted and result.test == "value_kind"
    assert result.effect == pytest.approx(-0.2, abs=0.04)


def test_text_column_receiving_numbers_is_drift():
    rng = np.random.default_rng(2)
    text = column(categorical(rng, np.array([50, 30, 20.0]), 1000))
    numbers = column(rng.integers(0, 3, 1000))
    result = detect(text, numbers)
    assert result.kind == "categorical"
    # Every text category is gone: the commonest one decides, and the shares moved
    # entirely (total variation 1).
    assert result.drifted and (result.test, result.subject) == ("vanished_category", "c0")
    assert result.effect == pytest.approx(0.5, abs=0.05)
    shares = next(test for test in result.tests if test.name == "categories")
    assert shares.effect == 1.0 and shares.drifted


def test_constant_column_changing_value_is_drift():
    result = detect(column(np.zeros(300)), column(np.ones(300)))
    assert result.drifted and result.test == "shape"
    assert not detect(column(np.zeros(300)), column(np.zeros(300))).drifted


def test_sketched_categories_quiet_when_unchanged_and_alert_on_change():
    rng = np.random.default_rng(8)
    shares = zipf_shares(5000, 1.05)
    baseline = column(categorical(rng, shares, 200_000))
    same = column(categorical(rng, shares, 200_000))
    assert not baseline.categories.is_exact  # over 1000 distinct values: sketched
    assert not detect(baseline, same).drifted
    moved = shares.copy()
    moved[0] += 0.2  # the commonest category gains 20 points
    changed = column(categorical(rng, moved / moved.sum(), 200_000))
    result = detect(baseline, changed)
    assert result.drifted and result.test == "categories"


def test_detect_all_covers_shared_columns():
    rng = np.random.default_rng(4)
    baseline, current = DatasetProfile(), DatasetProfile()
    baseline.track(pa.table({"a": rng.normal(0, 1, 1000), "b": rng.normal(0, 1, 1000)}))
    current.track(pa.table({"a": rng.normal(0, 1, 1000), "c": rng.normal(0, 1, 1000)}))
    results = detect_all(baseline, current)
    assert list(results) == ["a"]
    assert not results["a"].drifted


def test_detect_takes_two_dataset_profiles_feature_by_feature():
    rng = np.random.default_rng(5)
    baseline, current = DatasetProfile(), DatasetProfile()
    baseline.track(pa.table({"a": rng.normal(0, 1, 2000), "b": rng.normal(0, 1, 2000)}))
    current.track(pa.table({"a": rng.normal(0.5, 1, 2000), "b": rng.normal(0, 1, 2000)}))
    results = detect(baseline, current)
    assert results == detect_all(baseline, current)
    assert list(results) == ["a", "b"]
    assert results["a"].drifted and results["a"].test == "location"
    assert not results["b"].drifted
    assert results["a"] == detect(baseline.columns["a"], current.columns["a"])


@pytest.mark.parametrize(
    ("first", "second", "named"),
    [
        (DatasetProfile(), ColumnProfile(), "DatasetProfile and ColumnProfile"),
        (ColumnProfile(), DatasetProfile(), "ColumnProfile and DatasetProfile"),
        ({"x": 1.0}, {"x": 2.0}, "dict and dict"),
        (None, ColumnProfile(), "NoneType and ColumnProfile"),
    ],
)
def test_detect_refuses_anything_but_two_profiles_of_a_kind(first, second, named):
    with pytest.raises(UsageError, match=f"two ColumnProfiles or two DatasetProfiles; got {named}"):
        detect(first, second)
    with pytest.raises(UsageError, match=f"detect_all compares two DatasetProfiles; got {named}"):
        detect_all(first, second)


def test_thresholds_are_settings():
    rng = np.random.default_rng(6)
    a, b = column(rng.normal(0, 1, 20_000)), column(rng.normal(0.07, 1, 20_000))
    assert not detect(a, b).drifted  # 0.07 sd is under the default 0.1 sd floor
    assert detect(a, b, DriftSettings(min_mean_shift=0.05)).drifted


@pytest.mark.parametrize(
    "changes",
    [
        {"alpha": 0.0},
        {"alpha": 1.2},
        {"min_sd_ratio": 1.0},
        {"min_ks": 0.0},
        {"min_total_variation": 2.0},
        {"min_mean_shift": -0.1},
        {"sketch_rank_error": math.nan},
        {"min_expected_count": 0.5},
    ],
)
def test_invalid_settings_are_refused(changes):
    with pytest.raises(UsageError):
        DriftSettings(**changes)


def sagemaker_table(rng: np.random.Generator, n: int, shift: float = 0.0, tail: float = 0.0):
    many = zipf_shares(3000, 1.05)
    many[:10] *= 1 - tail  # the ten commonest categories lose mass to the tail
    return pa.table(
        {
            "normal": rng.normal(shift, 1, n),
            "student_t3": rng.standard_t(3, n),
            "five": categorical(rng, np.array([40, 25, 20, 10, 5.0]), n),
            "many": categorical(rng, many, n),
        }
    )


def test_baseline_read_from_sagemaker_statistics_judges_like_a_profile():
    # SageMaker's statistics.json (without watchkeeper's key) keeps no fourth moment
    # and at most 1000 categories; the detector must neither alarm on what the file
    # leaves out nor miss real drift.
    rng = np.random.default_rng(12)
    built = DatasetProfile()
    built.track(sagemaker_table(rng, 50_000))
    baseline = profile_from_statistics(statistics_document(built, sagemaker_only=True))
    assert baseline.columns["many"].categories.total < baseline.columns["many"].present
    assert math.isnan(baseline.columns["normal"].moments.m4)
    same, changed = DatasetProfile(), DatasetProfile()
    same.track(sagemaker_table(rng, 50_000))
    changed.track(sagemaker_table(rng, 50_000, shift=0.3, tail=0.5))
    quiet = detect_all(baseline, same)
    assert not any(result.drifted for result in quiet.values()), quiet
    assert {test.name for test in quiet["student_t3"].tests} >= {"location", "scale", "shape"}
    drifted = detect_all(baseline, changed)
    assert drifted["normal"].drifted and drifted["normal"].test == "location"
    assert drifted["many"].drifted and drifted["many"].test == "categories"
    assert not drifted["five"].drifted and not drifted["student_t3"].drifted


@pytest.mark.parametrize("scale", [1e150, 1e200, 1e300])
def test_values_near_the_limits_of_a_double_are_judged_from_a_baseline_file(scale):
    # the second moment of such values overflows to inf: the statistics file says so,
    # reads back, and the shift is still seen
    rng = np.random.default_rng(7)
    reference = DatasetProfile()
    reference.track(pa.table({"x": rng.normal(3 * scale, scale, 500)}))
    current = DatasetProfile()
    current.track(pa.table({"x": rng.normal(4 * scale, scale, 500)}))
    document = statistics_document(reference)
    restored = profile_from_statistics(document)
    result = detect(restored.columns["x"], current.columns["x"])
    assert result.drifted
    quiet = detect(restored.columns["x"], reference.columns["x"])
    assert not quiet.drifted
