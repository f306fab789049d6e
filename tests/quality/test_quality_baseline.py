"""``watchkeeper.quality.suggest_quality_baseline``: the model-quality baseline from Python,
the same files as ``watchkeeper quality baseline`` writes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from watchkeeper.baseline.jackson import dumps
from watchkeeper.errors import InputError
from watchkeeper.quality import suggest_quality_baseline

BINARY = {
    "problem_type": "BinaryClassification",
    "inference_attribute": "prediction",
    "probability_attribute": "probability",
    "ground_truth_attribute": "label",
}


@pytest.fixture
def scored(tmp_path):
    """300 scored rows of a binary classifier, as a CSV file, and its columns."""
    rng = np.random.default_rng(5)
    label = (rng.random(300) < 0.4).astype(int)
    probability = np.round(np.clip(label * 0.3 + rng.random(300) * 0.7, 0, 1), 4)
    prediction = (probability >= 0.5).astype(int)
    path = tmp_path / "scored.csv"
    rows = zip(label, prediction, probability, strict=True)
    path.write_text(
        "label,prediction,probability\n" + "".join(f"{y},{p},{s}\n" for y, p, s in rows)
    )
    return path, label, prediction


def test_the_python_baseline_is_the_command_lines(scored, tmp_path):
    path, label, prediction = scored
    command = [sys.executable, "-m", "watchkeeper", "quality", "baseline", str(path)]
    for name, value in BINARY.items():
        command += [f"--{name.replace('_', '-')}", value]
    done = subprocess.run(
        [*command, "-o", str(tmp_path / "cli"), "--json"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

    made = suggest_quality_baseline(path, tmp_path / "python", **BINARY)

    assert sorted(made.files) == ["constraints.json", "report.html", "statistics.json"]
    assert json.loads(done.stdout)["files"] == [
        str(tmp_path / "cli" / name)
        for name in ("statistics.json", "constraints.json", "report.html")
    ]
    for name in ("statistics.json", "constraints.json"):
        written = (tmp_path / "python" / name).read_text()
        assert written == (tmp_path / "cli" / name).read_text()
    assert (tmp_path / "python" / "statistics.json").read_text() == dumps(made.statistics)
    assert (tmp_path / "python" / "constraints.json").read_text() == dumps(made.constraints)
    report = (tmp_path / "python" / "report.html").read_text()
    assert str(path) in report and report == (tmp_path / "cli" / "report.html").read_text()

    metrics = made.statistics["binary_classification_metrics"]
    assert made.statistics["dataset"]["item_count"] == 300
    assert metrics["accuracy"]["value"] == pytest.approx(np.mean(label == prediction))
    positives = prediction == 1
    assert metrics["precision"]["value"] == pytest.approx(np.mean(label[positives] == 1))
    assert made.constraints["binary_classification_constraints"]["accuracy"] == {
        "threshold": metrics["accuracy"]["value"],
        "comparison_operator": "LessThanThreshold",
    }


def test_without_output_nothing_is_written(scored, tmp_path):
    path, label, _ = scored
    made = suggest_quality_baseline(path, **BINARY)
    assert made.files == {}
    assert made.statistics["dataset"]["item_count"] == len(label)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scored.csv"]


def test_a_baseline_that_cannot_be_made_leaves_the_folder_as_it_was(scored, tmp_path):
    path, _, _ = scored
    output = tmp_path / "baseline"
    output.mkdir()
    (output / "statistics.json").write_text("the previous baseline")
    with pytest.raises(InputError, match="column 'truth' not found"):
        suggest_quality_baseline(path, output, **{**BINARY, "ground_truth_attribute": "truth"})
    assert sorted(p.name for p in output.iterdir()) == ["statistics.json"]
    assert (output / "statistics.json").read_text() == "the previous baseline"
