"""Suggesting model-quality constraints and checking statistics against them."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.baseline.jackson import dumps
from watchkeeper.errors import FormatError
from watchkeeper.quality import check_quality, model_quality, suggest_quality_constraints


def binary_statistics(flip: float, seed: int = 4) -> dict:
    rng = np.random.default_rng(seed)
    label = (rng.random(400) < 0.4).astype(int)
    prediction = np.where(rng.random(400) < flip, 1 - label, label)
    return model_quality(
        pa.table({"label": label, "prediction": prediction}),
        problem_type="BinaryClassification",
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )


def test_binary_constraints_use_the_baseline_values_and_directions():
    baseline = binary_statistics(0.1)
    constraints = suggest_quality_constraints(baseline)["binary_classification_constraints"]
    metrics = baseline["binary_classification_metrics"]
    assert constraints["f1"] == {"threshold": metrics["f1"]["value"],
                                 "comparison_operator": "LessThanThreshold"}  # fmt: skip
    assert constraints["false_positive_rate"]["comparison_operator"] == "GreaterThanThreshold"
    assert not any(name.endswith("best_constant_classifier") for name in constraints)
    assert "confusion_matrix" not in constraints and "precision_recall_curve" not in constraints


def test_a_worse_model_violates_the_baseline_and_a_same_one_does_not():
    constraints = suggest_quality_constraints(binary_statistics(0.1))
    assert check_quality(binary_statistics(0.1), constraints) == []
    found = check_quality(binary_statistics(0.4, seed=5), constraints)
    violations = [violation.to_sagemaker() for violation in found]
    names = {v["metric_name"] for v in violations}
    assert {"accuracy", "f1", "false_positive_rate"} <= names
    f1 = next(v for v in violations if v["metric_name"] == "f1")
    assert f1["constraint_check_type"] == "LessThanThreshold"
    assert f1["description"].startswith("Metric f1 with 0.")
    # the one violation type: the figure judged and its limit, named as the metric
    worse = next(v for v in found if v.feature_name == "f1")
    assert worse.observed < worse.threshold == constraints["binary_classification_constraints"][
        "f1"
    ]["threshold"]


def test_documents_print_as_json_with_nan_as_text():
    statistics = binary_statistics(0.1)
    statistics["binary_classification_metrics"]["auc"]["value"] = "NaN"
    again = json.loads(dumps(statistics))
    assert again["binary_classification_metrics"]["auc"]["value"] == "NaN"
    assert "auc" not in suggest_quality_constraints(again)["binary_classification_constraints"]
    assert check_quality(again, suggest_quality_constraints(binary_statistics(0.1))) == []


def rule(kind: str, metric: str, threshold: object, operator: str) -> dict:
    return {
        f"{kind}_constraints": {metric: {"threshold": threshold, "comparison_operator": operator}}
    }


def test_malformed_documents_are_named():
    statistics = binary_statistics(0.1)
    binary = "binary_classification"
    with pytest.raises(FormatError, match="the statistics are not regression_metrics"):
        check_quality(statistics, rule("regression", "mae", 1.0, "GreaterThanThreshold"))
    with pytest.raises(FormatError, match="threshold must be a number"):
        check_quality(statistics, rule(binary, "f1", "high", "LessThanThreshold"))
    with pytest.raises(FormatError, match="comparison_operator must be"):
        check_quality(statistics, rule(binary, "f1", 0.5, "Below"))
    with pytest.raises(FormatError, match="exactly one of"):
        suggest_quality_constraints({"version": 0.0})
    with pytest.raises(FormatError, match="'gini' is constrained but missing"):
        check_quality(statistics, rule(binary, "gini", 0.5, "LessThanThreshold"))
