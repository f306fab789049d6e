"""``watchkeeper quality baseline`` and ``watchkeeper groundtruth upload``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from watchkeeper.cli.quality import groundtruth_app, quality_app

GOLDEN = Path(__file__).parents[1] / "data/sagemaker/pipeline/quality_check_step/model_quality"
runner = CliRunner()


def test_regression_baseline_reproduces_sagemaker(tmp_path):
    result = runner.invoke(quality_app, [
        "baseline", str(GOLDEN / "baseline_dataset.csv"), "--problem-type", "Regression",
        "--inference-attribute", "Prediction", "--ground-truth-attribute", "Label",
        "--r2", "sagemaker", "-o", str(tmp_path / "out"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "100 rows" in result.output
    for name in ("statistics.json", "good_cases/constraints.json"):
        written = tmp_path / "out" / Path(name).name
        assert written.read_text() == (GOLDEN / name).read_text()


def test_binary_baseline_with_probabilities(tmp_path):
    rng = np.random.default_rng(2)
    label = (rng.random(300) < 0.4).astype(int)
    probability = np.clip(label * 0.3 + rng.random(300) * 0.7, 0, 1)
    rows = "\n".join(
        f"{y},{int(p >= 0.5)},{p:.4f}" for y, p in zip(label, probability, strict=True)
    )
    data = tmp_path / "scored.csv"
    data.write_text("label,prediction,probability\n" + rows + "\n")
    result = runner.invoke(quality_app, [
        "baseline", str(data), "--problem-type", "BinaryClassification",
        "--inference-attribute", "prediction", "--probability-attribute", "probability",
        "--ground-truth-attribute", "label", "-o", str(tmp_path / "out"), "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 300
    statistics = json.loads((tmp_path / "out/statistics.json").read_text())
    metrics = statistics["binary_classification_metrics"]
    assert 0.5 < metrics["auc"]["value"] <= 1.0
    assert isinstance(metrics["f1"]["standard_deviation"], float)
    constraints = json.loads((tmp_path / "out/constraints.json").read_text())
    assert constraints["binary_classification_constraints"]["f1"] == {
        "threshold": metrics["f1"]["value"],
        "comparison_operator": "LessThanThreshold",
    }


def test_bad_input_is_one_line_and_writes_nothing(tmp_path):
    data = tmp_path / "scored.csv"
    data.write_text("label,prediction\n1,1\n,0\n")
    result = runner.invoke(quality_app, [
        "baseline", str(data), "--problem-type", "BinaryClassification",
        "--inference-attribute", "prediction", "--ground-truth-attribute", "label",
        "-o", str(tmp_path / "out"),
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "missing labels" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    wrong = runner.invoke(quality_app, [
        "baseline", str(data), "--problem-type", "Ranking", "--inference-attribute", "p",
        "--ground-truth-attribute", "label", "-o", str(tmp_path / "out"),
    ])  # fmt: skip
    assert wrong.exit_code == 2 and "--problem-type must be one of" in wrong.output


def test_groundtruth_upload(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("inferenceId,label\na,1\nb,0\n")
    result = runner.invoke(groundtruth_app, [
        "upload", str(labels), "--endpoint", "churn", "--root", str(tmp_path / "gt"), "--json",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["records"] == 2
    written = Path(summary["uri"])
    assert written.is_relative_to(tmp_path / "gt/churn")
    assert len(written.read_text().splitlines()) == 2


def test_groundtruth_upload_bad_line(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text("oops\n")
    result = runner.invoke(groundtruth_app, [
        "upload", str(labels), "--endpoint", "churn", "--root", str(tmp_path / "gt"),
    ])  # fmt: skip
    assert result.exit_code == 2
    assert "line 1 is not a ground-truth record" in result.output
    assert not (tmp_path / "gt").exists()
