"""A free-text column's drift in the metric series and the report."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from text_samples import texts
from watchkeeper.api import suggest_baseline
from watchkeeper.checks.metrics import metric_points
from watchkeeper.checks.pipeline import run_check


def test_each_descriptor_has_a_series_and_the_report_names_the_one_that_moved(tmp_path):
    baseline = suggest_baseline(pa.table({"review": texts(800, 1)}))
    changed = pa.table({"review": texts(800, 2, unseen=0.2)})
    outcome = run_check(changed, baseline=baseline, multivariate="off", output=tmp_path)
    series = {stat: value for name, stat, value in metric_points(outcome)
              if name == "feature_text_drift_review"}  # fmt: skip
    assert set(series) == {
        "text_length", "word_count", "non_letter_share", "out_of_vocabulary_share",
    }  # fmt: skip
    assert series["out_of_vocabulary_share"] == pytest.approx(0.2, abs=0.05)
    assert series["text_length"] < 0.2
    (feature,) = json.loads((tmp_path / "report.json").read_text())
    assert feature["drift"].startswith("out_of_vocabulary_share: ")
