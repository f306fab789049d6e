"""``watchkeeper clarify``: one analysis_config.json with every method, on Clarify's own
golden dataset, gives Clarify's numbers and the numbers of ``bias`` and ``explain``."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from watchkeeper.cli import app
from watchkeeper.explain import partial_dependence
from watchkeeper.explain.output import read_explanations
from watchkeeper.fairness import read_analysis

CLARIFY = Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
HEADERS = ["Label", "F1", "F2", "F3", "F4"]
FEATURES = HEADERS[1:]
runner = CliRunner()


def every_method(baseline: list[list[float]]) -> dict:
    return {
        "dataset_type": "text/csv",
        "headers": HEADERS,
        "label": "Label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "F1", "value_or_threshold": 0.5}],
        "group_variable": "F2",
        "probability_threshold": 0.5,
        "methods": {
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
            "shap": {
                "baseline": baseline,
                "num_samples": 20,
                "agg_method": "mean_abs",
                "use_logit": False,
                "save_local_shap_values": True,
                "seed": 7,
            },
            "pdp": {"grid_resolution": 5, "top_k_features": 2},
            "report": {"name": "report", "title": "Golden analysis"},
        },
        "predictor": {
            "model": "model.joblib",
            "content_type": "text/csv",
            "accept_type": "text/csv",
            "label_headers": ["approved"],
        },
    }


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    """The golden dataset beside a model trained on it and the config, and one run of
    the command on them."""
    folder = tmp_path_factory.mktemp("clarify")
    shutil.copy(CLARIFY / "dataset.csv", folder / "dataset.csv")
    frame = pd.read_csv(CLARIFY / "dataset.csv", header=None, names=HEADERS)
    frame.to_csv(folder / "with_header.csv", index=False)
    model = LogisticRegression().fit(frame[FEATURES], frame["Label"])
    joblib.dump(model, folder / "model.joblib")
    baseline = frame[FEATURES].iloc[:3]
    baseline.to_csv(folder / "baseline.csv", index=False)
    config = every_method(baseline.to_numpy().tolist())
    (folder / "analysis_config.json").write_text(json.dumps(config))
    out = folder / "out"
    # the config names its model relative to its own folder
    result = runner.invoke(
        app,
        ["clarify", str(folder / "analysis_config.json"), str(folder / "dataset.csv"),
         "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder, out, result


def test_the_command_reports_what_it_wrote(golden):
    _, out, result = golden
    assert "pre-training bias, post-training bias, SHAP values, partial dependence" in (
        result.output
    )
    assert str(out / "analysis.json") in result.output
    for name in ("analysis.json", "report.html", "explanations_shap/out.csv"):
        assert (out / name).is_file()


def test_pretraining_metrics_reproduce_clarify(golden):
    _, out, _ = golden
    ours = read_analysis(out / "analysis.json")["pre_training_bias_metrics"]
    theirs = read_analysis(CLARIFY / "data_bias" / "good_cases" / "analysis.json")[
        "pre_training_bias_metrics"
    ]
    assert ours["label_value_or_threshold"] == theirs["label_value_or_threshold"] == "1"
    [mine], [expected] = ours["facets"]["F1"], theirs["facets"]["F1"]
    assert mine["value_or_threshold"] == expected["value_or_threshold"]
    assert [m["name"] for m in mine["metrics"]] == [m["name"] for m in expected["metrics"]]
    for got, want in zip(mine["metrics"], expected["metrics"], strict=True):
        assert math.isclose(got["value"], want["value"], rel_tol=0, abs_tol=1e-12), got


def _bias_command(folder: Path, stage: str, *extra: str) -> dict:
    out = folder / f"bias-{stage}"
    result = runner.invoke(
        app,
        ["bias", stage, str(folder / "dataset.csv"), "--label", "Label",
         "--label-values", "1", "--facet", "F1", "--facet-threshold", "0.5",
         "--group-variable", "F2", "--column-names", ",".join(HEADERS), "-o", str(out),
         *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "analysis.json").read_text())


def test_bias_sections_equal_the_bias_command(golden):
    folder, out, _ = golden
    ours = json.loads((out / "analysis.json").read_text())
    pre = _bias_command(folder, "pretraining")
    post = _bias_command(folder, "posttraining", "--model", str(folder / "model.joblib"))
    assert ours["pre_training_bias_metrics"] == pre["pre_training_bias_metrics"]
    assert ours["post_training_bias_metrics"] == post["post_training_bias_metrics"]
    names = [m["name"] for m in ours["post_training_bias_metrics"]["facets"]["F1"][0]["metrics"]]
    assert names == ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE",
                     "RD", "SD", "TE"]  # fmt: skip


def test_shap_values_equal_the_explain_command(golden):
    folder, out, _ = golden
    explained = folder / "explain"
    result = runner.invoke(
        app,
        ["explain", "--model", str(folder / "model.joblib"),
         "--data", str(folder / "with_header.csv"), "--baseline", str(folder / "baseline.csv"),
         "--num-samples", "20", "--seed", "7", "--label-headers", "approved",
         "-o", str(explained)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    theirs = json.loads((explained / "analysis.json").read_text())["explanations"]
    ours = json.loads((out / "analysis.json").read_text())["explanations"]
    assert ours["kernel_shap"] == theirs["kernel_shap"]
    assert list(ours["kernel_shap"]["approved"]["global_shap_values"]) == FEATURES
    local = (out / "explanations_shap" / "out.csv").read_text()
    assert local == (explained / "explanations_shap" / "out.csv").read_text()
    assert len(local.splitlines()) == 101
    # the combined file serves as an explainability baseline, as Clarify's does
    baseline = read_explanations(out / "analysis.json")
    assert baseline["explanations"]["kernel_shap"] == theirs["kernel_shap"]


def test_pdp_plots_the_top_shap_features(golden):
    folder, out, _ = golden
    explanations = json.loads((out / "analysis.json").read_text())["explanations"]
    shap_values = explanations["kernel_shap"]["approved"]["global_shap_values"]
    top = sorted(shap_values, key=lambda name: -abs(shap_values[name]))[:2]
    pdp = explanations["pdp"]
    assert [entry["feature_name"] for entry in pdp] == top
    frame = pd.read_csv(folder / "with_header.csv")
    expected = partial_dependence(
        joblib.load(folder / "model.joblib"),
        frame[FEATURES],
        features=top,
        grid_resolution=5,
        label_headers=["approved"],
    )
    assert pdp == expected
    for entry in pdp:
        assert entry["data_type"] == "numerical"
        assert len(entry["feature_values"]) == 5
        assert entry["label_headers"] == ["approved"]
        assert np.all(np.diff(entry["feature_values"]) > 0)


def test_report_holds_every_section(golden):
    _, out, _ = golden
    page = (out / "report.html").read_text()
    assert "<title>Golden analysis</title>" in page
    for text in ("Facet F1", "Class Imbalance (CI)", "Disparate Impact", "Global SHAP",
                 "Partial dependence on F"):  # fmt: skip
        assert text in page, text
