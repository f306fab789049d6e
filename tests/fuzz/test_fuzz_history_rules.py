"""Any JSON a schedule's ``history`` option may hold is either rules whose detectors
judge finite series without error, or one UsageError line: never another exception."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import fuzz_settings
from watchkeeper.errors import UsageError
from watchkeeper.history import RateOfChange, RollingBand, parse_history

NAMES = ["metric", "method", "statistic", "window", "k", "min_points", "period", "trend",
         "max_increase", "max_decrease", "relative", "other"]  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["rolling", "rate", "x", ""]),
)  # fmt: skip
ENTRIES = st.dictionaries(st.sampled_from(NAMES), SCALARS, max_size=6).map(
    lambda entry: {"metric": "m", "method": "rolling", **entry}
)


@fuzz_settings(ci=150, long=5000)
@given(st.one_of(st.lists(ENTRIES, max_size=3), SCALARS, st.lists(SCALARS, max_size=2)))
def test_a_history_option_is_rules_or_one_usage_error(history):
    try:
        rules = parse_history(history)
    except UsageError as error:
        assert "\n" not in str(error) and len(str(error)) < 400
        return
    series = np.random.default_rng(0).normal(10.0, 1.0, 40)
    for rule in rules:
        # the seasonal fit is left to its own tests: here only the cheap detectors run
        if isinstance(rule.detector, RollingBand | RateOfChange):
            judgement = rule.detector.judge(series[:-1], series[-1])
            assert judgement.anomalous in (True, False)
