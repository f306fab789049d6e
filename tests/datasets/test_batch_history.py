"""A dataset's history rules judged on plain figures: scopes add up, a feature turned off
is not judged, and one series that cannot be judged leaves the others judged."""

from __future__ import annotations

from watchkeeper.datasets.anomalies import KEPT, judge_history, parse_rule, rules_in_force

ROLLING = {"metric": "mean", "method": "rolling", "window": 3, "k": 3}
RATE = {"metric": "null_fraction", "method": "rate", "max_increase": 0.1}


def test_rules_add_up_over_the_scopes_that_name_a_feature():
    stored = {("*", "*"): {"history": [RATE]}, ("*", "price"): {"history": [ROLLING, RATE]},
              ("country=DE", "age"): {"history": [ROLLING]}}  # fmt: skip
    assert rules_in_force(stored, "", "price") == [parse_rule(RATE), parse_rule(ROLLING)]
    assert rules_in_force(stored, "", "age") == [parse_rule(RATE)]
    assert rules_in_force(stored, "country=DE", "age") == [parse_rule(RATE), parse_rule(ROLLING)]


def test_a_series_that_cannot_be_judged_leaves_the_others_judged():
    stored = {("*", "*"): {"history": [ROLLING]}}
    earlier = [{"wild": {"mean": big}, "calm": {"mean": 10.0 + i / 10}}
               for i, big in enumerate((1e308, -1e308, 1e308))]  # fmt: skip
    metrics, found = judge_history({"wild": {"mean": 1.0}, "calm": {"mean": 50.0}}, earlier,
                                   stored, "")  # fmt: skip
    assert KEPT not in metrics["wild"]  # no finite band: logged, not judged
    assert [(v.feature_name, v.observed) for v in found] == [("calm", 50.0)]


def test_a_feature_turned_off_is_not_judged_against_its_history():
    stored = {("*", "*"): {"history": [ROLLING]}, ("*", "calm"): {"enabled": False}}
    earlier = [{"calm": {"mean": 10.0 + i / 10}} for i in range(3)]
    metrics, found = judge_history({"calm": {"mean": 50.0}}, earlier, stored, "")
    assert found == [] and KEPT not in metrics["calm"]
