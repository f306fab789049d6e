"""analysis.json and explanations_shap/out.csv as Clarify lays them out."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from watchkeeper.explain import Explanation, analysis_document, write_explanations


def two_labels() -> Explanation:
    return Explanation(
        features=["a", "b"],
        labels=["yes", "no"],
        local_values={
            "yes": np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.0]]),
            "no": np.array([[-0.1, 0.2], [-0.3, -0.4], [0.5, 0.0]]),
        },
        expected_values={"yes": 0.25, "no": 0.75},
        agg_method="mean_sq",
    )


def test_analysis_json_layout(tmp_path):
    written = write_explanations(two_labels(), tmp_path / "out")
    document = json.loads((tmp_path / "out" / "analysis.json").read_text())
    assert written["analysis"] == str(tmp_path / "out" / "analysis.json")
    assert list(document) == ["version", "explanations"]
    assert document["version"] == "1.0"
    kernel = document["explanations"]["kernel_shap"]
    assert list(kernel) == ["yes", "no"]
    assert list(kernel["yes"]) == ["global_shap_values", "expected_value"]
    assert kernel["yes"]["expected_value"] == 0.25
    assert kernel["no"]["global_shap_values"] == pytest.approx(
        {"a": (0.01 + 0.09 + 0.25) / 3, "b": (0.04 + 0.16) / 3}
    )


def test_local_values_csv_with_several_labels(tmp_path):
    explanation = two_labels()
    write_explanations(explanation, tmp_path)
    with open(tmp_path / "explanations_shap" / "out.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["yes_a", "yes_b", "no_a", "no_b"]
    values = np.array(rows[1:], dtype=float)
    expected = np.hstack([explanation.local_values["yes"], explanation.local_values["no"]])
    np.testing.assert_array_equal(values, expected)  # repr round-trips every float


def test_local_values_csv_with_one_label_is_named_by_feature(tmp_path):
    explanation = Explanation(
        ["x", "y"], ["label0"], {"label0": np.array([[1.0, 2.0]])}, {"label0": 0.0}
    )
    write_explanations(explanation, tmp_path)
    text = (tmp_path / "explanations_shap" / "out.csv").read_text()
    assert text == "x,y\n1.0,2.0\n"


def test_non_finite_values_become_null():
    explanation = Explanation(
        ["x"], ["label0"], {"label0": np.array([[np.nan]])}, {"label0": float("inf")}
    )
    entry = analysis_document(explanation)["explanations"]["kernel_shap"]["label0"]
    assert entry == {"global_shap_values": {"x": None}, "expected_value": None}


def test_no_temporary_files_left(tmp_path):
    write_explanations(two_labels(), tmp_path)
    names = sorted(path.name for path in tmp_path.rglob("*"))
    assert names == ["analysis.json", "explanations_shap", "out.csv"]
