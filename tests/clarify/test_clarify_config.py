"""Bad analysis_config.json files: one line naming the field, exit status 2, nothing written."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from watchkeeper.clarify import parse_analysis_config, read_analysis_config
from watchkeeper.cli import app
from watchkeeper.errors import FormatError

CLARIFY = Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
GOOD = {
    "dataset_type": "text/csv",
    "headers": ["Label", "F1", "F2", "F3", "F4"],
    "label": "Label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "F1", "value_or_threshold": 0.5}],
    "group_variable": "F2",
    "methods": {
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {"methods": ["DPPL", "DI"]},
        "shap": {"num_samples": 10},
        "pdp": {"grid_resolution": 5},
    },
    "predictor": {"model": "model.joblib"},
}


def changed(path: str, value, document=GOOD) -> dict:
    """``document`` with the field at dotted ``path`` set to ``value`` (removed for ...)."""
    document = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return document


BAD = [
    (
        changed("methods.pdp.grid_resolution", 0),
        "methods.pdp.grid_resolution must be a positive integer",
    ),
    (
        changed("methods.pdp.grid_resolution", "10"),
        "methods.pdp.grid_resolution must be a positive integer",
    ),
    (
        changed("methods.pdp.top_k_features", -1),
        "methods.pdp.top_k_features must be a positive integer",
    ),
    (changed("methods.shap", ...), "methods.pdp.features is required without methods.shap"),
    (changed("methods.pdp.colour", 1), "methods.pdp.colour is not a field watchkeeper knows"),
    (
        changed("dataset_type", "application/x-image"),
        "dataset_type must be one of text/csv, application/jsonlines, application/x-parquet",
    ),
    (changed("methods", {"report": {"name": "r"}}), "methods must ask for at least one of"),
    (
        changed("methods.pre_training_bias.methods", ["CI", "XYZ"]),
        "methods.pre_training_bias.methods: unknown metric XYZ",
    ),
    (
        changed("methods.shap.agg_method", "max"),
        "methods.shap.agg_method must be one of mean_abs, median, mean_sq",
    ),
    (changed("methods.shap.num_samples", 0), "methods.shap.num_samples must be a positive integer"),
    (changed("methods.shap.use_logit", "yes"), "methods.shap.use_logit must be true or false"),
    (
        changed("methods.shap.num_clusters", 3, changed("methods.shap.baseline", [[1, 2, 3, 4]])),
        "give baseline or num_clusters, not both",
    ),
    (changed("label", ...), "label is required for bias metrics"),
    (changed("label_values_or_threshold", "yes"), "label_values_or_threshold must be a number"),
    (changed("facet", [{"value_or_threshold": [1]}]), "facet[0].name_or_index is required"),
    (
        changed("predictor", {"endpoint_name": "churn", "model": "m"}),
        "predictor.endpoint_name is for a SageMaker endpoint",
    ),
    (
        changed("predictor", {"model_name": "churn-model", "instance_type": "ml.m5.xlarge"}),
        "predictor.model_name is for a SageMaker endpoint",
    ),
    (changed("predictor", {"content_type": "text/csv"}), "predictor.model is required"),
    (changed("predictor.content_type", "image/png"), "predictor.content_type must be one of"),
    (changed("predictor", ...), "post_training_bias needs the model's answers"),
    (
        changed("joinsource_name_or_index", "id"),
        "joinsource_name_or_index is not a field watchkeeper knows",
    ),
    (changed("methods.report", {"name": "../x"}), "methods.report.name must be a file name"),
    (changed("probability_threshold", "high"), "probability_threshold must be a number"),
]


@pytest.mark.parametrize(("document", "message"), BAD)
def test_a_bad_field_is_named(document, message):
    with pytest.raises(FormatError) as raised:
        parse_analysis_config(document)
    text = str(raised.value)
    assert message in text and "\n" not in text


def test_not_json_and_not_a_file(tmp_path):
    (tmp_path / "a.json").write_text("{dataset_type")
    with pytest.raises(FormatError, match=r"a.json: not a JSON analysis config"):
        read_analysis_config(tmp_path / "a.json")
    with pytest.raises(FormatError, match="no such file"):
        read_analysis_config(tmp_path / "missing.json")


def test_the_command_says_one_line_and_writes_nothing(tmp_path):
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps(changed("methods.pdp.grid_resolution", 0)))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["clarify", str(config), str(CLARIFY / "dataset.csv"), "-o", str(out)]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [
        f"error: {config}: methods.pdp.grid_resolution must be a positive integer, not 0"
    ]
    assert not out.exists()


def test_a_column_the_data_lacks_is_named_before_anything_is_written(tmp_path):
    config = tmp_path / "analysis_config.json"
    document = changed("methods", {"pre_training_bias": {"methods": ["CI"]}})
    config.write_text(json.dumps(changed("group_variable", "F9", document)))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["clarify", str(config), str(CLARIFY / "dataset.csv"), "-o", str(out)]
    )
    assert result.exit_code == 2
    assert "group_variable 'F9' is not a column of the data" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_the_command_as_a_subprocess(tmp_path):
    config = tmp_path / "analysis_config.json"
    document = changed("methods", {"pre_training_bias": {"methods": ["CI", "DPL"]}})
    config.write_text(json.dumps(changed("predictor", ..., document)))
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    command = [sys.executable, "-m", "watchkeeper", "clarify", str(config),
               str(CLARIFY / "dataset.csv"), "-o", str(tmp_path / "out"), "--json"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
    files = json.loads(result.stdout)
    assert sorted(files) == ["analysis", "report"]
    analysis = json.loads(Path(files["analysis"]).read_text())
    metrics = analysis["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]
    assert [(m["name"], round(m["value"], 7)) for m in metrics] == [
        ("CI", -0.08),
        ("DPL", 0.0152979),
    ]


def test_a_missing_model_is_named_beside_the_config(tmp_path):
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps(GOOD))
    result = CliRunner().invoke(
        app, ["clarify", str(config), str(CLARIFY / "dataset.csv"), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert str(tmp_path / "model.joblib") in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
