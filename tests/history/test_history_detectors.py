"""The history detectors on seeded series: a level shift flagged where it happens, a
weekly pattern without one left alone by the seasonal detector (and not by a rolling
band shorter than the week), changes beyond a rate's bounds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from seeded_series import NOISE, flagged, level, weekly

from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.history import RateOfChange, RollingBand, Seasonal


def test_rolling_band_flags_a_level_shift_at_the_point_it_happens():
    # a seed whose first 45 points raise no false alarm (bench/history.py measures the rate)
    series = level(60, seed=0, shift_at=45, shift=0.08)
    judgements = RollingBand(window=14, k=3).scan(series)
    assert flagged(judgements)[0] == 45
    assert flagged(judgements[:45]) == []
    shifted = judgements[45]
    assert shifted.value > shifted.high
    assert shifted.expected == pytest.approx(series[31:45].mean())
    assert shifted.high == pytest.approx(series[31:45].mean() + 3 * series[31:45].std(ddof=1))
    assert "above the rolling 14-point mean ± 3 sd band" in shifted.reason


def test_rolling_scan_is_the_same_as_judging_each_point():
    series = level(40, seed=5)
    band = RollingBand(window=10, k=2.5, min_points=4)
    series[[12, 30]] += 0.05  # two outliers, so that both ways flag something
    scanned = band.scan(series)
    one_by_one = [band.judge(series[:i], value) for i, value in enumerate(series)]
    assert [j.judged for j in scanned] == [i >= 4 for i in range(40)]
    assert flagged(scanned) == flagged(one_by_one) and 12 in flagged(scanned)
    for a, b in zip(scanned, one_by_one, strict=True):
        assert (a.expected, a.low, a.high) == pytest.approx((b.expected, b.low, b.high))


def test_too_short_a_history_is_not_judged():
    judgement = RollingBand(window=14).judge([1.0, 2.0, 3.0], 50.0)
    assert not judgement.judged and not judgement.anomalous
    assert judgement.reason == "not judged: 3 earlier points, 14 needed"


def test_seasonal_flags_a_level_shift_in_a_weekly_series_at_the_shift():
    # a rise of 6 noise deviations on day 43: small beside the weekly swing of 49
    series = weekly(56, seed=0, shift_at=43, shift=6 * NOISE)
    judgements = Seasonal(period=7, k=3).scan(series)
    assert flagged(judgements)[0] == 43
    assert judgements[43].value > judgements[43].high
    # the rolling band over two weeks is too wide to see it beside the weekly swing
    assert 43 not in flagged(RollingBand(window=14, k=3).scan(series))


def test_seasonal_series_without_shift_is_not_flagged_but_a_short_rolling_band_is():
    series = weekly(56, seed=0)
    seasonal = Seasonal(period=7, k=3).scan(series)
    assert sum(j.judged for j in seasonal) == 56 - 16
    assert flagged(seasonal) == []
    # a band over the last five days alarms at every weekend's first day
    week_days = flagged(RollingBand(window=5, k=3).scan(series))
    saturdays = list(range(5, 56, 7))
    assert set(saturdays) <= set(week_days)


def test_seasonal_expected_value_follows_the_week():
    series = weekly(42, seed=2)
    saturday = Seasonal(period=7).judge(series[:40], series[40])
    assert 40 % 7 == 5
    assert saturday.expected == pytest.approx(60.0, abs=3 * NOISE)
    assert saturday.high - saturday.low < 8 * 3 * NOISE


def test_rate_of_change_absolute_and_relative():
    absolute = RateOfChange(max_increase=0.05, max_decrease=0.02)
    assert not absolute.judge([0.10, 0.11], 0.155).anomalous
    jumped = absolute.judge([0.10, 0.11], 0.17)
    assert jumped.anomalous and jumped.expected == 0.11
    assert (jumped.low, jumped.high) == pytest.approx((0.09, 0.16))
    assert absolute.judge([0.11], 0.08).anomalous
    relative = RateOfChange(max_decrease=0.5, relative=True)
    assert relative.judge([1000.0], 600.0).anomalous is False
    dropped = relative.judge([1000.0], 400.0)
    assert dropped.anomalous and dropped.low == pytest.approx(500.0)
    assert dropped.high == np.inf
    assert dropped.reason == "400 is 60% below the previous value 1000 (at most -50% allowed)"
    assert not RateOfChange(max_increase=1).judge([], 5.0).judged
    after_zero = relative.judge([0.0], 0.0)
    assert not after_zero.anomalous and after_zero.reason.startswith("0 follows a previous value")
    assert RateOfChange(max_increase=0.5, relative=True).judge([0.0], 1.0).anomalous


def test_non_finite_history_points_are_left_out():
    judgement = RollingBand(window=3).judge([1.0, np.nan, 1.1, 0.9, np.inf], 1.0)
    assert judgement.judged and judgement.expected == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: RollingBand(window=1), "window must be a whole number from 2 to 10000, got 1"),
        (lambda: RollingBand(k=0), "k must be a positive number, got 0"),
        (lambda: RollingBand(window=5, min_points=6), "min_points (6) must be at most"),
        (lambda: Seasonal(period=7, min_points=10), "min_points must be a whole number from 16 to"),
        (lambda: Seasonal(trend="add"), "trend must be true or false, got 'add'"),
        (lambda: RateOfChange(), "max_increase or max_decrease is needed"),
        (lambda: RateOfChange(max_increase=-1), "max_increase must be a number of at least 0"),
    ],
)
def test_parameters_are_checked_with_a_message_naming_them(make, message):
    with pytest.raises(UsageError) as error:
        make()
    assert message in str(error.value)


@pytest.mark.parametrize("detector", [RollingBand(window=4), Seasonal(period=2)])
def test_a_history_too_large_to_bound_is_an_error_not_a_quiet_verdict(detector):
    series = np.tile([1e200, 3e200], 8)
    with pytest.raises(WatchkeeperError, match="the history gives no finite"):
        detector.judge(series, 2e200)


def test_statsmodels_is_imported_by_a_seasonal_judgement_only():
    code = (
        "import sys, watchkeeper.monitor, watchkeeper.history as h\n"
        "before = 'statsmodels' in sys.modules\n"
        "h.RollingBand(window=3).judge([1.0, 2.0, 3.0], 2.0)\n"
        "h.Seasonal(period=2).judge([1.0, 2.0] * 8, 1.0)\n"
        "print(before, 'statsmodels' in sys.modules)\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["False", "True"]
