"""Clarify's real bias report, reproduced from the same input.

The SageMaker Python SDK's Clarify check step ran on ``dataset.csv`` (no header; the
columns are Label, F1, F2, F3, F4) with label value 1, facet F1 above 0.5 and group
variable F2, and wrote ``good_cases/analysis.json``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from watchkeeper.fairness import bias_report, pretraining_bias, read_analysis, write_analysis
from watchkeeper.fairness.analysis import dumps
from watchkeeper.io import CsvOptions

CLARIFY = Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
HEADERS = CsvOptions(header=False, column_names=("Label", "F1", "F2", "F3", "F4"))


@pytest.fixture(scope="module")
def section():
    return pretraining_bias(
        CLARIFY / "dataset.csv",
        label="Label",
        label_values=[1],
        facet="F1",
        facet_threshold=0.5,
        group_variable="F2",
        csv=HEADERS,
    )


def _shape(document):
    """The document with every number replaced by its kind: keys, order and texts stay."""
    if isinstance(document, dict):
        return [(key, _shape(value)) for key, value in document.items()]
    if isinstance(document, list):
        return [_shape(item) for item in document]
    if isinstance(document, float):
        return "number"
    return document


def test_every_pretraining_value_reproduced(section):
    expected = json.loads((CLARIFY / "data_bias" / "good_cases" / "analysis.json").read_text())
    want = expected["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]
    got = section["facets"]["F1"][0]["metrics"]
    assert [m["name"] for m in got] == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    for mine, theirs in zip(got, want, strict=True):
        assert math.isclose(mine["value"], theirs["value"], rel_tol=1e-12), (mine, theirs)


def test_whole_document_has_clarifys_layout(section):
    text = (CLARIFY / "data_bias" / "good_cases" / "analysis.json").read_text()
    expected = json.loads(text)
    ours = json.loads(dumps(bias_report(pre=section)))
    assert _shape(ours) == _shape(expected)
    # Same text but for the last digit of LP, which depends on the order NumPy sums in
    # (its value is compared with a tolerance above).
    def lp(document: str) -> str:
        return re.sub(r"0\.02163450699282518\d?", "LP", document)

    assert lp(dumps(bias_report(pre=section))) == lp(text)


def test_the_bad_case_differs_in_ks_only(section):
    bad = read_analysis(CLARIFY / "data_bias" / "bad_cases" / "analysis.json")
    theirs = {
        m["name"]: m["value"]
        for m in bad["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"]
    }
    mine = {m["name"]: m["value"] for m in section["facets"]["F1"][0]["metrics"]}
    differ = [name for name in mine if not math.isclose(mine[name], theirs[name], rel_tol=1e-12)]
    assert differ == ["KS"]


def test_written_file_reads_back(section, tmp_path):
    path = write_analysis(tmp_path / "out", pre=section)
    assert path == tmp_path / "out" / "analysis.json"
    assert read_analysis(path) == json.loads(dumps(bias_report(pre=section)))
