"""Reading a bias analysis.json written by anyone: each field checked, each error one line
naming the file and the field, before a schedule is made of it or a window judged by it."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from watchkeeper.catalog import Catalog
from watchkeeper.errors import FormatError
from watchkeeper.fairness import read_analysis
from watchkeeper.fairness.analysis import parse_analysis
from watchkeeper.monitor import create_schedule
from watchkeeper.monitor.clarify_jobs import bias_drift_violations

GOOD = (
    Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
    / "data_bias" / "good_cases" / "analysis.json"
)  # fmt: skip
CLARIFY = json.loads(GOOD.read_text())
SECTION = "analysis.json: pre_training_bias_metrics"


def changed(change) -> dict:
    document = copy.deepcopy(CLARIFY)
    change(document["pre_training_bias_metrics"])
    return document


def first_metric(section) -> dict:
    return section["facets"]["F1"][0]["metrics"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(facets=[]), f"{SECTION}.facets is a list; expected an object"),
        (lambda s: s["facets"].update(F1={}), f"{SECTION}.facets.'F1' is an object; expected a"),
        (lambda s: s["facets"]["F1"][0].update(metrics="CI"), "F1'[0].metrics is 'CI'"),
        (lambda s: first_metric(s).update(value="high"), "metrics[0].value is 'high'; expected"),
        (lambda s: first_metric(s).update(value=[0.5]), "metrics[0].value is a list"),
        (lambda s: first_metric(s).pop("name"), "metrics[0].name is None; expected text"),
        (lambda s: s["facets"]["F1"][0].update(value_or_threshold={}), "value_or_threshold is"),
    ],
)
def test_bad_fields_are_named(change, message):
    with pytest.raises(FormatError) as info:
        parse_analysis(changed(change))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_what_is_not_a_bias_analysis_is_refused(tmp_path):
    with pytest.raises(FormatError, match="not a bias analysis"):
        parse_analysis({"version": "1.0", "explanations": {}})
    path = tmp_path / "analysis.json"
    path.write_text('{"pre_training_bias_metrics": ' + "[" * 100_000)
    with pytest.raises(FormatError, match="nested too deeply"):
        read_analysis(path)


def test_clarify_spellings_of_infinity_and_failed_metrics_are_kept(tmp_path):
    document = copy.deepcopy(CLARIFY)
    metrics = document["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]
    metrics[0] = {"name": "DI", "value": "-Infinity"}
    metrics[1] = {"name": "FT", "value": None, "error": "too few rows"}
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(document))
    metrics = read_analysis(path)["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]
    assert metrics[0]["value"] == -math.inf
    assert metrics[1] == {"name": "FT", "value": None, "error": "too few rows"}
    assert bias_drift_violations(read_analysis(GOOD), read_analysis(path)) == []


def test_a_schedule_is_not_made_of_a_broken_baseline(tmp_path):
    (tmp_path / "baseline").mkdir()
    broken = changed(lambda s: s.update(facets={"F1": [{"metrics": [{"value": 0.1}]}]}))
    (tmp_path / "baseline" / "analysis.json").write_text(json.dumps(broken))
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    with pytest.raises(FormatError, match=r"metrics\[0\]\.name is None"):
        create_schedule(
            catalog, name="bias", kind="model-bias", endpoint="e", capture="c", report="r",
            baseline=str(tmp_path / "baseline"),
            options={"ground_truth": "g", "facet": "F1", "label_values": [1],
                     "predicted_label": "p"},
        )  # fmt: skip
