"""SageMaker's six checks: each fires when it should, all stay silent on a fresh sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.baseline import Baseline, parse_constraints, read_constraints, suggest_constraints
from watchkeeper.checks.constraints import evaluate_constraints
from watchkeeper.profile import DatasetProfile

GOLDEN = Path(__file__).parents[1] / "data" / "sagemaker"


def sample(rows: int, seed: int, **changes) -> pa.Table:
    """A mixed table; ``changes`` alter one aspect of its distribution."""
    rng = np.random.default_rng(seed)
    amount = rng.normal(50 + changes.get("shift", 0.0), 10 * changes.get("scale", 1.0), rows)
    age = rng.integers(18, 90, rows)
    colours = np.array(["red", "green", "blue", "black"])
    weights = changes.get("colour_weights", [0.4, 0.3, 0.2, 0.1])
    colour = colours[rng.choice(4, rows, p=weights)]
    score = rng.random(rows)
    score_missing = rng.random(rows) < changes.get("missing", 0.05)
    return pa.table(
        {
            "amount": amount,
            "age": age,
            "colour": colour,
            "score": pa.array(score, mask=score_missing),
        }
    )


def profile(table: pa.Table) -> DatasetProfile:
    result = DatasetProfile()
    result.track(table)
    return result


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    return Baseline.from_profile(profile(sample(20_000, seed=1)))


def judge(baseline: Baseline, table: pa.Table, mode: str = "default"):
    return evaluate_constraints(
        profile(table), baseline.constraints, baseline.statistics, drift=mode
    )


def kinds(judgement) -> set[tuple[str, str]]:
    return {(v.feature_name, v.constraint_check_type) for v in judgement.violations}


@pytest.mark.parametrize("rows", [1_000, 20_000])
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_silent_on_fresh_sample(baseline, rows, seed):
    assert judge(baseline, sample(rows, seed)).violations == []


def test_data_type_check(baseline):
    table = sample(2_000, 5)
    ages = table["age"].to_pylist()
    ages[:10] = [f"{a}.5" for a in ages[:10]]
    table = table.set_column(1, "age", pa.array([str(a) for a in ages]))
    [violation] = [v for v in judge(baseline, table).violations if v.feature_name == "age"]
    assert violation.constraint_check_type == "data_type_check"
    assert violation.observed == pytest.approx(0.995)
    assert violation.description == (
        "Data type match requirement is not met. Expected data type: Integral, "
        "Expected match: 100.0%. Observed: Only 99.5% of data is Integral."
    )


def test_integral_values_satisfy_a_fractional_baseline(baseline):
    table = sample(2_000, 6)
    table = table.set_column(0, "amount", pa.array(np.round(table["amount"].to_numpy())))
    assert ("amount", "data_type_check") not in kinds(judge(baseline, table))


def test_completeness_check(baseline):
    table = sample(2_000, 7, missing=0.3)
    violations = [
        v
        for v in judge(baseline, table).violations
        if v.constraint_check_type == "completeness_check"
    ]
    assert [v.feature_name for v in violations] == ["score"]
    assert violations[0].threshold == pytest.approx(
        baseline.constraints.features["score"].completeness
    )
    assert violations[0].observed == pytest.approx(0.7, abs=0.03)
    # a column that was always complete may not lose a single value
    table = sample(2_000, 8)
    amounts = table["amount"].to_pylist()
    amounts[5] = None
    table = table.set_column(0, "amount", pa.array(amounts, type=pa.float64()))
    assert ("amount", "completeness_check") in kinds(judge(baseline, table))


def test_completeness_wording_matches_sagemaker(baseline):
    table = sample(1_000, 9).set_column(0, "amount", pa.nulls(1_000, pa.float64()))
    [violation] = [
        v
        for v in judge(baseline, table).violations
        if v.constraint_check_type == "completeness_check"
    ]
    assert violation.description == "Value: 0.0 does not meet the constraint requirement! "


def test_completeness_sagemaker_mode_is_a_hard_floor(baseline):
    fired = 0
    for seed in range(10, 20):
        fired += ("score", "completeness_check") in kinds(
            judge(baseline, sample(2_000, seed), "sagemaker")
        )
    assert fired >= 2  # a fresh sample falls below the baseline's share about half the time
    quiet = sum(
        ("score", "completeness_check") in kinds(judge(baseline, sample(2_000, s)))
        for s in range(10, 20)
    )
    assert quiet == 0


@pytest.mark.parametrize(
    ("change", "feature"),
    [
        ({"shift": 3.0}, "amount"),
        ({"scale": 1.5}, "amount"),
        ({"colour_weights": [0.1, 0.2, 0.3, 0.4]}, "colour"),
    ],
)
def test_baseline_drift_check(baseline, change, feature):
    found = [
        v
        for v in judge(baseline, sample(2_000, 21, **change)).violations
        if v.constraint_check_type == "baseline_drift_check"
    ]
    assert [v.feature_name for v in found] == [feature]
    # the default detector says what moved, by how much against which floor, and why
    # it is not noise; SageMaker's wording is kept for SageMaker's distance
    assert "distance: " not in found[0].description
    assert "(floor " in found[0].description and ", p " in found[0].description
    assert "20,000 vs 2,000 values" in found[0].description
    assert abs(found[0].observed) > found[0].threshold


def test_baseline_drift_check_sagemaker_mode(baseline):
    found = [
        v
        for v in judge(baseline, sample(2_000, 22, shift=5.0), "sagemaker").violations
        if v.constraint_check_type == "baseline_drift_check"
    ]
    assert [v.feature_name for v in found] == ["amount"]
    assert found[0].description.startswith("Numerical distance: ")
    assert found[0].description.endswith("exceeds numerical threshold: 0.1")
    assert found[0].observed > 0.1


def test_missing_and_extra_columns(baseline):
    table = sample(1_000, 23).drop_columns(["age"]).append_column("new", pa.array(range(1_000)))
    assert {("age", "missing_column_check"), ("new", "extra_column_check")} <= kinds(
        judge(baseline, table)
    )


def test_categorical_values_check(baseline):
    assert baseline.constraints.features["colour"].domains == ("red", "green", "blue", "black")
    table = sample(1_000, 24)
    colours = table["colour"].to_pylist()
    colours[:9] = ["purple"] * 9
    table = table.set_column(2, "colour", pa.array(colours))
    [violation] = [
        v
        for v in judge(baseline, table).violations
        if v.constraint_check_type == "categorical_values_check"
    ]
    assert violation.observed == pytest.approx(0.991)
    assert violation.description == "Value: 0.991 does not meet the constraint requirement! "
    assert violation.details["unexpected_values"] == ["purple"]


def test_disabled_evaluation_and_feature_overrides(baseline):
    document = suggest_constraints(baseline.statistics)
    document["features"][0]["monitoringConfigOverrides"] = {"evaluate_constraints": "Disabled"}
    constraints = parse_constraints(document)
    changed = profile(sample(2_000, 25, shift=5.0))
    assert not any(
        v.feature_name == "amount"
        for v in evaluate_constraints(changed, constraints, baseline.statistics).violations
    )
    document["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert (
        evaluate_constraints(changed, parse_constraints(document), baseline.statistics).violations
        == []
    )


def test_legacy_constraints_file_loads():
    constraints = read_constraints(GOLDEN / "monitor" / "constraints.json")
    assert list(constraints.features) == ["message", "second_message"]
    assert constraints.features["message"].domains == ("preproc-not-YET-supported-for-csv-json",)
    assert constraints.config.perform_comparison is True
    assert constraints.config.comparison_threshold == 1.0
    assert constraints.config.domain_content_threshold == 1.0


def test_sdk_override_form_disables_a_feature():
    document = json.loads((GOLDEN / "monitor" / "constraints.json").read_text())
    document["features"][1]["string_constraints"]["monitoring_config_overrides"] = {
        "evaluate_constraints": "Disabled"
    }
    constraints = parse_constraints(document)
    assert constraints.features["second_message"].evaluate_constraints is False
    assert constraints.features["message"].evaluate_constraints is True


def test_decimals_injected_into_an_integer_column_are_counted_per_value(baseline, tmp_path):
    import pyarrow.csv as pv

    import watchkeeper

    table = sample(1_000, 30)
    ages = [str(a) for a in table["age"].to_pylist()]
    ages[:4] = ["20.5", "33.5", "41.5", "60.5"]
    path = tmp_path / "today.csv"
    pv.write_csv(table.set_column(1, "age", pa.array(ages)), path)
    current = watchkeeper.profile(path)  # the reader types "age" as float64
    assert current.columns["age"].arrow_types == ["double"]
    judgement = evaluate_constraints(current, baseline.constraints, baseline.statistics)
    [violation] = [v for v in judgement.violations if v.constraint_check_type == "data_type_check"]
    assert violation.observed == pytest.approx(0.996)
    assert "Only 99.6% of data is Integral." in violation.description
    # a column written entirely as "31.0", "42.0"... is Fractional, as SageMaker says
    whole = [f"{a}.0" for a in table["age"].to_pylist()]
    pv.write_csv(table.set_column(1, "age", pa.array(whole)), path)
    judgement = evaluate_constraints(
        watchkeeper.profile(path), baseline.constraints, baseline.statistics
    )
    [violation] = [v for v in judgement.violations if v.constraint_check_type == "data_type_check"]
    assert violation.observed == 0.0


@pytest.mark.parametrize(
    ("case", "expected"),
    [("good_cases", set()), ("bad_cases", {("_c5", "data_type_check")})],
)
def test_sagemaker_golden_data_quality_cases(tmp_path, case, expected):
    """SageMaker's pipeline cases: ``_c5`` declared String over numbers is a type violation."""
    import shutil

    import watchkeeper

    source = GOLDEN / "pipeline" / "quality_check_step" / "data_quality"
    shutil.copy(source / "statistics.json", tmp_path / "statistics.json")
    shutil.copy(source / case / "constraints.json", tmp_path / "constraints.json")
    outcome = watchkeeper.check(source / "baseline_dataset.csv", tmp_path, drift="sagemaker")
    assert {(v.feature_name, v.constraint_check_type) for v in outcome.violations} == expected
    if expected:
        [violation] = outcome.violations
        assert violation.observed == 0.0
        assert violation.description.endswith("Observed: Only 0.0% of data is String.")
