"""Feature attribution drift: nDCG of the live ranking against the baseline's."""

from __future__ import annotations

import math

import pytest

from watchkeeper.errors import FormatError, SchemaError, UsageError
from watchkeeper.explain import attribution_drift, attribution_drift_violations, ndcg

BASELINE = {"f1": 0.70, "f2": 0.50, "f3": 0.05}
REVERSED = {"f1": 0.05, "f2": 0.50, "f3": 0.70}


def test_documented_example_reversed_ranking():
    value = ndcg(BASELINE, REVERSED)
    by_hand = (0.05 + 0.50 / math.log2(3) + 0.70 / 2) / (0.70 + 0.50 / math.log2(3) + 0.05 / 2)
    assert value == pytest.approx(by_hand, rel=1e-12)
    assert round(value, 3) == 0.688


def test_identical_rankings_score_one():
    assert ndcg(BASELINE, BASELINE) == 1.0
    # only the order counts, not the live values themselves
    assert ndcg(BASELINE, {"f1": 100.0, "f2": 10.0, "f3": 1.0}) == 1.0


def test_single_feature_and_all_zero_baseline():
    assert ndcg({"x": 0.3}, {"x": 0.9}) == 1.0
    assert ndcg({"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 2.0}) == 1.0


def test_ties_keep_listed_order():
    # f2 and f3 tie in the live values: the listed order (f2 first) keeps the ideal ranking
    assert ndcg(BASELINE, {"f1": 0.9, "f2": 0.1, "f3": 0.1}) == 1.0


def test_swapping_the_top_two_costs_more_than_the_bottom_two():
    top = ndcg(BASELINE, {"f1": 0.5, "f2": 0.7, "f3": 0.05})
    bottom = ndcg(BASELINE, {"f1": 0.7, "f2": 0.05, "f3": 0.5})
    assert bottom < 1.0 and top < bottom


def test_violation_entry_below_threshold():
    drift = attribution_drift(BASELINE, REVERSED, label="label0")
    assert drift.violated
    assert drift.violation().observed == drift.ndcg < drift.violation().threshold == 0.9
    assert drift.violation().to_sagemaker() == {
        "label": "label0",
        "metric_name": "shap",
        "constraint_check_type": "feature_attribution_drift_check",
        "description": f"Feature attribution drift {drift.ndcg!r} exceeds threshold 0.9",
    }
    assert attribution_drift(BASELINE, REVERSED, threshold=0.6).violation() is None
    assert attribution_drift(BASELINE, BASELINE).violation() is None


def test_violations_of_two_analysis_documents():
    def document(values):
        return {
            "version": "1.0",
            "explanations": {
                "kernel_shap": {
                    "label0": {"global_shap_values": values, "expected_value": 0.5},
                    "label1": {"global_shap_values": BASELINE, "expected_value": 0.5},
                }
            },
        }

    violations = attribution_drift_violations(document(BASELINE), document(REVERSED))
    assert [entry.to_sagemaker()["label"] for entry in violations] == ["label0"]


def test_bad_inputs():
    with pytest.raises(SchemaError, match="missing now: f3; new: f4"):
        ndcg(BASELINE, {"f1": 1.0, "f2": 1.0, "f4": 1.0})
    with pytest.raises(UsageError, match="'f1' is not a finite number"):
        ndcg(BASELINE, {"f1": float("nan"), "f2": 1.0, "f3": 1.0})
    with pytest.raises(UsageError, match="threshold must be a number from 0 to 1"):
        attribution_drift(BASELINE, BASELINE, threshold=1.5)
    with pytest.raises(FormatError, match=r"explanations\.kernel_shap"):
        attribution_drift_violations({"version": "1.0"}, {})
