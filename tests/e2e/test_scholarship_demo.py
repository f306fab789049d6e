"""The scholarship demo end to end: bias before and after training, the explanation's
ranking, and a model-quality monitor that catches the hour the rules changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).parents[2] / "examples" / "scholarship" / "demo.py"


def metrics(path: Path, section: str) -> dict[str, float]:
    [group] = json.loads(path.read_text())[section]["facets"]["sex"]
    return {m["name"]: m["value"] for m in group["metrics"]}


def test_the_scholarship_story(tmp_path):
    demo = subprocess.Popen(
        [sys.executable, str(DEMO), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # as make runs it: Python's own buffering of a pipe, unless the demo flushes
        env={key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"},
    )
    # piped, the first step's line arrives before the later steps have run
    first = demo.stdout.readline()
    assert first.startswith("1. 1,000 scholarship applicants")
    assert not (tmp_path / "shap").exists()
    stdout = first + demo.stdout.read()
    assert demo.wait(timeout=600) == 0, stdout
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
    assert "hour 1: 400 answers with labels, Completed:" in stdout
    assert "hour 2: 400 answers with labels, CompletedWithViolations:" in stdout
    assert "Metric accuracy with" in stdout
    # four violations shown, and how many more there are
    written = (tmp_path / "monitoring").rglob("constraint_violations.json")
    found = max((json.loads(path.read_text())["violations"] for path in written), key=len)
    assert len(found) > 4
    assert f"… and {len(found) - 4} more" in stdout
    # the report pages it wrote are named, and are there
    listed = stdout[stdout.index("report pages") :].splitlines()[1:]
    pages = {line.split(": ", 1)[0].strip(): Path(line.split(": ", 1)[1]) for line in listed}
    assert {"pre-training bias", "post-training bias", "explanations",
            "model quality, hour 1", "model quality, hour 2"} <= set(pages)  # fmt: skip
    for page in pages.values():
        assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"), page
