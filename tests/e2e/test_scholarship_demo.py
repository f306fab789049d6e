"""The scholarship demo end to end: bias before and after training, the explanation's
ranking, and a model-quality monitor that catches the hour the rules changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).parents[2] / "examples" / "scholarship" / "demo.py"


def metrics(path: Path, section: str) -> dict[str, float]:
    [group] = json.loads(path.read_text())[section]["facets"]["sex"]
    return {m["name"]: m["value"] for m in group["metrics"]}


def test_the_scholarship_story(tmp_path):
    run = subprocess.run(
        [sys.executable, str(DEMO), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    pre = metrics(tmp_path / "bias-pre" / "analysis.json", "pre_training_bias_metrics")
    assert pre["CI"] > 0.5  # far fewer women than men
    assert pre["DPL"] > 0.15  # and men were approved more often
    post = metrics(tmp_path / "bias-post" / "analysis.json", "post_training_bias_metrics")
    assert post["DPPL"] > 0.1 and post["DI"] < 0.8  # the model learnt the preference
    shap = json.loads((tmp_path / "shap" / "analysis.json").read_text())
    [values] = shap["explanations"]["kernel_shap"].values()
    ranking = sorted(values["global_shap_values"], key=values["global_shap_values"].get)
    assert set(ranking[:2]) == {"random1", "random2"}
    assert set(ranking[-2:]) == {"science", "technology"}
    assert "hour 1: 400 answers with labels, Completed:" in run.stdout
    assert "hour 2: 400 answers with labels, CompletedWithViolations:" in run.stdout
    assert "Metric accuracy with" in run.stdout
