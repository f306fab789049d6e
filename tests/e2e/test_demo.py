"""The demo's story end to end, through the installed command: a baseline from last
month's training data, today's file checked against it and the team's rules."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "churn"


def watchkeeper(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args], capture_output=True, text=True, check=False
    )


def test_demo_finds_what_changed(tmp_path):
    baseline = tmp_path / "baseline"
    made = watchkeeper("baseline", str(EXAMPLE / "train.csv"), "-o", str(baseline), "--json")
    assert made.returncode == 0, made.stderr
    # the training data passes its own rules
    clean = watchkeeper(
        "check",
        str(EXAMPLE / "train.csv"),
        "--baseline",
        str(baseline),
        "--rules",
        str(EXAMPLE / "rules.yaml"),
        "--json",
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    out = tmp_path / "check"
    checked = watchkeeper(
        "check",
        str(EXAMPLE / "today.csv"),
        "--baseline",
        str(baseline),
        "--rules",
        str(EXAMPLE / "rules.yaml"),
        "-o",
        str(out),
        "--json",
    )
    assert checked.returncode == 1, checked.stderr
    found = {
        (v["feature_name"], v["constraint_check_type"])
        for v in json.loads(checked.stdout)["violations"]
    }
    assert found == {
        ("monthly_charge", "baseline_drift_check"),  # prices went up 25%
        ("support_calls", "baseline_drift_check"),  # support calls doubled
        ("region", "categorical_values_check"),  # a new region code
        ("region", "baseline_drift_check"),  # ... at 4 % of the rows
        ("usage_minutes", "completeness_check"),  # a broken join upstream
        ("usage_minutes", "baseline_drift_check"),
        ("usage_minutes", "missing_values_check"),
        ("satisfaction", "data_type_check"),  # averaged survey scores
        # the rows as a whole moved away from the baseline's sample of rows
        (
            "tenure_months, plan, region, monthly_charge, support_calls, usage_minutes, "
            "satisfaction",
            "multivariate_drift_check",
        ),
    }
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert len(violations) == len(found)
    html = (out / "report.html").read_text()
    assert "monthly_charge" in html
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html)  # offline
