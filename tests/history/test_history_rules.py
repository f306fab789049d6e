"""A schedule's ``history`` option parsed into rules, with errors naming the entry and
the field."""

from __future__ import annotations

import pytest

from watchkeeper.errors import UsageError
from watchkeeper.history import RateOfChange, RollingBand, Seasonal, parse_history


def test_rules_of_every_method():
    rules = parse_history(
        [
            {"metric": "feature_baseline_drift_age", "method": "rolling", "window": 14, "k": 3},
            {"metric": "feature_data_*", "statistic": "SampleCount", "method": "seasonal",
             "period": 24},
            {"metric": "feature_non_null_plan", "method": "rate", "max_decrease": 0.05},
        ]
    )  # fmt: skip
    assert [rule.detector for rule in rules] == [
        RollingBand(window=14, k=3),
        Seasonal(period=24),
        RateOfChange(max_decrease=0.05),
    ]
    assert [rule.statistic for rule in rules] == ["Value", "SampleCount", "Value"]
    assert rules[1].matches("feature_data_age") and not rules[1].matches("feature_non_null_age")
    assert rules[0].to_dict() == {
        "metric": "feature_baseline_drift_age", "statistic": "Value", "method": "rolling",
        "window": 14, "k": 3, "min_points": None,
    }  # fmt: skip
    assert parse_history([]) == []


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ({"metric": "x"}, "history must be a list of up to 100 rules"),
        (["rolling"], "history[0] must be a mapping with metric and method"),
        ([{"method": "rolling"}], "history[0].metric must name a metric series"),
        ([{"metric": "a", "method": "rolling"}, {"metric": "b", "method": "holt"}],
         "history[1].method must be one of rate, rolling, seasonal; got 'holt'"),
        ([{"metric": "a", "method": "rolling", "window": "14"}],
         "history[0].window must be a whole number from 2 to 10000, got '14'"),
        ([{"metric": "a", "method": "rolling", "k": -1}],
         "history[0].k must be a positive number, got -1"),
        ([{"metric": "a", "method": "rolling", "k": 10**400}],
         "history[0].k must be a positive number"),
        ([{"metric": "a", "method": "seasonal", "period": 10**30}],
         "history[0].period must be a whole number from 2 to 833, got 1000000000000"),
        ([{"metric": "a", "method": "seasonal", "period": 7, "window": 3}],
         "history[0]: window: not a parameter of method seasonal; it takes k, min_points, "
         "period, trend"),
        ([{"metric": "a", "method": "rate", "max_increase": 1, "relative": "yes"}],
         "history[0].relative must be true or false, got 'yes'"),
        ([{"metric": "a", "method": "rate"}],
         "history[0].max_increase or max_decrease is needed by a rate-of-change detector"),
        ([{"metric": "a", "method": "rolling", "statistic": 3}],
         "history[0].statistic must be a statistic's name"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_one_clear_error_naming_its_field(history, message):
    with pytest.raises(UsageError) as error:
        parse_history(history)
    assert str(error.value).startswith(message)
