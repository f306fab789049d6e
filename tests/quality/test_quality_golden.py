"""The model-quality files of SageMaker's SDK reproduced from their input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from watchkeeper.baseline.jackson import dumps
from watchkeeper.quality import check_quality, model_quality, suggest_quality_constraints

GOLDEN = Path(__file__).parents[1] / "data/sagemaker/pipeline/quality_check_step/model_quality"


def statistics(r2: str) -> dict:
    return model_quality(
        GOLDEN / "baseline_dataset.csv",
        problem_type="Regression",
        inference_attribute="Prediction",
        ground_truth_attribute="Label",
        r2=r2,
    )


def test_sagemaker_r2_reproduces_statistics_json_byte_for_byte():
    assert dumps(statistics("sagemaker")) == (GOLDEN / "statistics.json").read_text()


def test_errors_equal_to_the_last_digit_whatever_the_r2():
    expected = json.loads((GOLDEN / "statistics.json").read_text())["regression_metrics"]
    ours = statistics("standard")["regression_metrics"]
    for name in ("mae", "mse", "rmse"):
        assert ours[name]["value"] == expected[name]["value"]
        assert ours[name]["standard_deviation"] == "NaN"


def test_standard_r2_is_the_usual_one():
    pandas = pytest.importorskip("pandas")
    metrics = pytest.importorskip("sklearn.metrics")
    table = pandas.read_csv(GOLDEN / "baseline_dataset.csv")
    usual = metrics.r2_score(table["Label"], table["Prediction"])
    assert statistics("standard")["regression_metrics"]["r2"]["value"] == pytest.approx(usual)
    assert usual == pytest.approx(-0.3351, abs=1e-4)
    assert statistics("sagemaker")["regression_metrics"]["r2"]["value"] == -3.208758170289026


def test_suggested_constraints_equal_the_good_case():
    suggested = suggest_quality_constraints(statistics("sagemaker"))
    assert dumps(suggested) == (GOLDEN / "good_cases/constraints.json").read_text()
    good = json.loads((GOLDEN / "good_cases/constraints.json").read_text())
    assert check_quality(statistics("sagemaker"), good) == []


def test_bad_case_constraints_are_violated_by_mse():
    bad = json.loads((GOLDEN / "bad_cases/constraints.json").read_text())
    found = check_quality(statistics("sagemaker"), bad)
    assert [violation.to_sagemaker() for violation in found] == [
        {
            "constraint_check_type": "GreaterThanThreshold",
            "description": "Metric mse with 0.33364933609800973 was GreaterThanThreshold "
            "0.03364933609800973",
            "metric_name": "mse",
        }
    ]
