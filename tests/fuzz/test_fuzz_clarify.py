"""Clarify's analysis.json, bias and explainability: a document or one clear error.

An accepted document must also serve as the baseline of a drift check, as a monitoring
schedule uses it.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from parser_fuzzing import FUZZ, holds, json_bytes, mutated, spoiled

from watchkeeper.explain import Explanation, analysis_document, attribution_drift_violations
from watchkeeper.explain.output import read_explanations
from watchkeeper.fairness import bias_report, read_analysis
from watchkeeper.monitor.clarify_jobs import bias_drift_violations

CLARIFY = Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
GOOD = CLARIFY / "data_bias" / "good_cases" / "analysis.json"

_ours = bias_report(
    post={
        "label": "approved",
        "label_value_or_threshold": "1",
        "facets": {
            "sex": [
                {
                    "value_or_threshold": "0",
                    "metrics": [
                        {"name": "DI", "description": "Disparate Impact (DI)", "value": math.inf},
                        {"name": "DPPL", "description": "Difference in Positive Proportions "
                         "in Predicted Labels (DPPL)", "value": -0.25},
                        {"name": "FT", "description": "Flip Test (FT)", "value": None,
                         "error": "too few rows"},
                    ],
                }
            ]
        },
    }
)  # fmt: skip
BIAS = [
    json.loads(GOOD.read_text()),
    json.loads((CLARIFY / "data_bias" / "bad_cases" / "analysis.json").read_text()),
    json.loads(json.dumps(_ours).replace("Infinity", '"Infinity"')),
]
EXPLANATION = analysis_document(
    Explanation(
        ["age", "income", "tenure"],
        ["label0", "label1"],
        {"label0": np.array([[0.3, -0.1, 0.05]]), "label1": np.array([[0.1, 0.2, -0.4]])},
        {"label0": 0.5, "label1": 0.25},
    )
)
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("clarify-fuzz")


def _file(folder: Path, data: bytes) -> str:
    path = folder / f"{next(_names)}-analysis.json"
    path.write_bytes(data)
    return str(path)


def _judge_bias(document) -> None:
    """The document as a bias-drift baseline, and as the window judged against one."""
    reference = read_analysis(GOOD)
    bias_drift_violations(document, reference)
    bias_drift_violations(reference, document, tolerance=0.05)


def _judge_attributions(document) -> None:
    attribution_drift_violations(document, EXPLANATION)
    attribution_drift_violations(EXPLANATION, document)


@FUZZ
@given(document=st.sampled_from(BIAS).flatmap(mutated), ascii_only=st.booleans())
def test_changed_bias_analysis_reads_or_fails_clearly(folder, document, ascii_only):
    path = _file(folder, json_bytes(document, ascii_only))
    analysis = holds(read_analysis, path, names=[path])
    if isinstance(analysis, dict):
        holds(_judge_bias, analysis)


@FUZZ
@given(data=spoiled(GOOD.read_bytes()))
def test_bias_analysis_bytes_read_or_fail_clearly(folder, data):
    path = _file(folder, data)
    analysis = holds(read_analysis, path, names=[path])
    if isinstance(analysis, dict):
        holds(_judge_bias, analysis)


@FUZZ
@given(document=mutated(EXPLANATION), ascii_only=st.booleans())
def test_changed_explainability_analysis_reads_or_fails_clearly(folder, document, ascii_only):
    path = _file(folder, json_bytes(document, ascii_only))
    analysis = holds(read_explanations, path, names=[path])
    if isinstance(analysis, dict):
        holds(_judge_attributions, analysis)


@FUZZ
@given(data=spoiled(json_bytes(EXPLANATION)))
def test_explainability_analysis_bytes_read_or_fail_clearly(folder, data):
    path = _file(folder, data)
    analysis = holds(read_explanations, path, names=[path])
    if isinstance(analysis, dict):
        holds(_judge_attributions, analysis)
