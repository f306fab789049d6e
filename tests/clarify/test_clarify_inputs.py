"""Clarify's other dataset types and the ways a config names the model's answers."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from watchkeeper.clarify import parse_analysis_config, run_clarify
from watchkeeper.errors import InputError
from watchkeeper.fairness import posttraining_bias

RNG = np.random.default_rng(11)
ROWS = 80
X = RNG.normal(size=(ROWS, 3)) * [1.0, 4.0, 0.5] + [0.0, 20.0, 1.0]


def test_pdp_through_the_job_equals_the_closed_form(tmp_path):
    # A Parquet file whose columns the config renames by position; the id is excluded
    # from the model's input and the label is not a feature.
    y = X @ [1.5, -0.25, 4.0] + 3.0
    model = LinearRegression().fit(X, y)  # no feature names: takes the columns in order
    joblib.dump(model, tmp_path / "model.joblib")
    table = pa.table(
        {"c0": np.arange(ROWS), "c1": X[:, 0], "c2": X[:, 1], "c3": X[:, 2], "c4": y}
    )
    pq.write_table(table, tmp_path / "data.parquet")
    config = parse_analysis_config(
        {
            "dataset_type": "application/x-parquet",
            "headers": ["id", "a", "b", "c", "target"],
            "label": 4,
            "excluded_columns": ["id"],
            "methods": {"pdp": {"features": ["a", 3], "grid_resolution": 4}},
            "predictor": {"model": "model.joblib", "label_headers": ["price"]},
        },
        folder=tmp_path,
    )
    result = run_clarify(config, tmp_path / "data.parquet", tmp_path / "out")
    pdp = json.loads((tmp_path / "out" / "analysis.json").read_text())["explanations"]["pdp"]
    assert [entry["feature_name"] for entry in pdp] == ["a", "c"]
    means = X.mean(axis=0)
    for entry, j in zip(pdp, [0, 2], strict=True):
        low, high = X[:, j].min(), X[:, j].max()
        grid = low + (high - low) * (np.arange(4) + 0.5) / 4
        others = sum(model.coef_[k] * means[k] for k in range(3) if k != j)
        expected = model.intercept_ + model.coef_[j] * grid + others
        np.testing.assert_allclose(entry["feature_values"], grid, rtol=0, atol=1e-12)
        np.testing.assert_allclose(entry["model_predictions"][0], expected, rtol=1e-12)
        assert entry["label_headers"] == ["price"]
    assert sorted(result.files) == ["analysis", "report"]
    assert "Partial dependence on a" in (tmp_path / "out" / "report.html").read_text()


@pytest.fixture(scope="module")
def applicants(tmp_path_factory):
    folder = tmp_path_factory.mktemp("applicants")
    group = (RNG.random(ROWS) < 0.4).astype(int)
    label = (X[:, 0] + 0.5 * group + RNG.normal(scale=0.5, size=ROWS) > 0.2).astype(int)
    features = np.column_stack([X[:, 0], group])
    model = LogisticRegression().fit(features, label)
    joblib.dump(model, folder / "model.joblib")
    predicted = model.predict(features)
    rows = [
        {"score": float(s), "group": int(g), "approved": int(a), "predicted": int(p)}
        for s, g, a, p in zip(X[:, 0], group, label, predicted, strict=True)
    ]
    (folder / "data.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder, model, features, pa.Table.from_pylist(rows)


def bias_config(**extra) -> dict:
    return {
        "dataset_type": "application/jsonlines",
        "label": "approved",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "group", "value_or_threshold": [1]}],
        "methods": {"post_training_bias": {"methods": ["DPPL", "DI", "AD", "FT"]}},
        **extra,
    }


def test_predicted_labels_from_a_column(applicants, tmp_path):
    folder, _, _, table = applicants
    config = parse_analysis_config(bias_config(predicted_label="predicted"), folder=folder)
    result = run_clarify(config, folder / "data.jsonl", tmp_path)
    expected = posttraining_bias(
        table, label="approved", label_values=[1], facet="group", facet_values=[1],
        predicted_label="predicted", methods=["DPPL", "DI", "AD", "FT"],
    )  # fmt: skip
    assert result.analysis["post_training_bias_metrics"] == expected


def test_the_model_predicts_labels_or_its_probability_is_judged(applicants, tmp_path):
    folder, model, features, table = applicants
    inputs = table.drop_columns(["predicted"])
    by_labels = run_clarify(
        parse_analysis_config(bias_config(predictor={"model": "model.joblib"}), folder=folder),
        inputs,
        tmp_path / "labels",
    )
    expected = posttraining_bias(
        table, label="approved", label_values=[1], facet="group", facet_values=[1],
        predicted_label="predicted", methods=["DPPL", "DI", "AD", "FT"],
    )  # fmt: skip
    assert by_labels.analysis["post_training_bias_metrics"] == expected

    config = bias_config(predictor={"model": "model.joblib", "probability": 1})
    config["probability_threshold"] = 0.7
    by_score = run_clarify(parse_analysis_config(config, folder=folder), inputs, tmp_path / "p")
    scored = inputs.append_column("p", pa.array(model.predict_proba(features)[:, 1]))
    expected = posttraining_bias(
        scored, label="approved", label_values=[1], facet="group", facet_values=[1],
        probability="p", probability_threshold=0.7, methods=["DPPL", "DI", "AD", "FT"],
    )  # fmt: skip
    assert by_score.analysis["post_training_bias_metrics"] == expected
    assert expected != by_labels.analysis["post_training_bias_metrics"]


def test_a_column_index_beyond_the_data_is_named(applicants, tmp_path):
    folder, _, _, _ = applicants
    config = parse_analysis_config(bias_config(predicted_label=9), folder=folder)
    with pytest.raises(InputError, match="predicted_label is column index 9, but the data has 4"):
        run_clarify(config, folder / "data.jsonl", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_header_row_gives_way_to_the_configs_headers(tmp_path):
    golden = Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
    lines = (golden / "dataset.csv").read_text().splitlines()
    (tmp_path / "named.csv").write_text("\n".join(["y,a,b,c,d", *lines]) + "\n")
    document = {
        "dataset_type": "text/csv",
        "headers": ["Label", "F1", "F2", "F3", "F4"],
        "label": "Label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 1, "value_or_threshold": 0.5}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}},
    }
    config = parse_analysis_config(document)
    with_row = run_clarify(config, tmp_path / "named.csv", tmp_path / "a").analysis
    without = run_clarify(config, golden / "dataset.csv", tmp_path / "b").analysis
    assert with_row == without
    metrics = with_row["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]
    assert [round(m["value"], 7) for m in metrics] == [-0.08, 0.0152979]
