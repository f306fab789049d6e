"""Reading an explainability analysis.json written by anyone: a document whose
kernel_shap section is sound, or one line naming the file and the field."""

from __future__ import annotations

import json

import pytest

from watchkeeper.errors import FormatError
from watchkeeper.explain import attribution_drift_violations
from watchkeeper.explain.output import parse_explanations, read_explanations

DOCUMENT = {
    "version": "1.0",
    "explanations": {
        "kernel_shap": {
            "label0": {"global_shap_values": {"a": 0.7, "b": 0.2}, "expected_value": 0.5}
        }
    },
}


def with_label(entry) -> dict:
    return {"explanations": {"kernel_shap": {"label0": entry}}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"explanations": {"kernel_shap": {}}}, "analysis.json: no explanations.kernel_shap"),
        ({"explanations": []}, "analysis.json: no explanations.kernel_shap"),
        (with_label([]), "kernel_shap.'label0' is a list; expected an object"),
        (with_label({"global_shap_values": [0.1]}), "'label0'.global_shap_values is a list"),
        (with_label({"global_shap_values": {"a": "big"}}), ".global_shap_values.'a' is 'big'"),
        (with_label({"global_shap_values": {"a": 0.1}, "expected_value": {}}), "expected_value"),
    ],
)
def test_bad_fields_are_named(document, message):
    with pytest.raises(FormatError) as info:
        parse_explanations(document)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_drift_check_names_which_analysis_is_broken():
    broken = with_label({"global_shap_values": {"a": True}})
    with pytest.raises(FormatError, match=r"the baseline analysis: .*'a' is True; expected"):
        attribution_drift_violations(broken, DOCUMENT)


def test_files_are_read_and_checked(tmp_path):
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(DOCUMENT))
    assert read_explanations(path) == DOCUMENT
    path.write_text('{"explanations": ' + "[" * 100_000)
    with pytest.raises(FormatError, match=f"{path}: not readable JSON"):
        read_explanations(path)


def test_numbers_come_back_as_finite_floats():
    huge = with_label({"global_shap_values": {"a": 10**400, "b": 1}})
    with pytest.raises(FormatError, match=r"shap_values\.'a' is 1000.*; expected a finite"):
        parse_explanations(huge)
    read = parse_explanations(with_label({"global_shap_values": {"a": 3, "b": None}}))
    assert read["explanations"]["kernel_shap"]["label0"]["global_shap_values"] == {
        "a": 3.0, "b": None
    }
