"""An explanation as Clarify lays it out: ``analysis.json`` and ``explanations_shap/out.csv``.

``analysis.json`` holds, per label, the global SHAP values and the expected value::

    {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
        "global_shap_values": {"math": 0.21, ...}, "expected_value": 0.48}}}}

``explanations_shap/out.csv`` holds the local values, one row per explained row in the
data's order. Its columns are the feature names when one label is explained, and
``<label>_<feature>`` for every label and feature (label by label) when there are more.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import Any

from watchkeeper.artifacts import ANALYSIS
from watchkeeper.baseline import fields
from watchkeeper.baseline.fields import parse_json
from watchkeeper.errors import FormatError
from watchkeeper.explain.kernel import Explanation
from watchkeeper.io import storage

__all__ = [
    "LOCAL_VALUES_FILE",
    "analysis_document",
    "parse_explanations",
    "read_explanations",
    "write_explanations",
]


LOCAL_VALUES_FILE = "explanations_shap/out.csv"


def analysis_document(explanation: Explanation) -> dict[str, Any]:
    """The explainability ``analysis.json`` of ``explanation`` as a dictionary.

    >>> import numpy as np
    >>> result = Explanation(["a", "b"], ["label0"], {"label0": np.array([[1.0, -2.0]])},
    ...                      {"label0": 0.5})
    >>> analysis_document(result)["explanations"]["kernel_shap"]
    {'label0': {'global_shap_values': {'a': 1.0, 'b': 2.0}, 'expected_value': 0.5}}
    """
    global_values = explanation.global_values
    return {
        "version": "1.0",
        "explanations": {
            "kernel_shap": {
                label: {
                    "global_shap_values": {
                        feature: _number(value) for feature, value in global_values[label].items()
                    },
                    "expected_value": _number(explanation.expected_values[label]),
                }
                for label in explanation.labels
            }
        },
    }


def local_values_csv(explanation: Explanation) -> str:
    """The text of ``explanations_shap/out.csv``."""
    single = len(explanation.labels) == 1
    header = [
        feature if single else f"{label}_{feature}"
        for label in explanation.labels
        for feature in explanation.features
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    blocks = [explanation.local_values[label] for label in explanation.labels]
    for index in range(len(blocks[0])):
        writer.writerow([_cell(value) for block in blocks for value in block[index].tolist()])
    return out.getvalue()


def write_explanations(
    explanation: Explanation, out_dir: str | os.PathLike[str], storage_options: dict | None = None
) -> dict[str, str]:
    """Write ``analysis.json`` and ``explanations_shap/out.csv`` under ``out_dir`` (a folder
    or URI) and return their locations by name.

    Both texts are built before anything is written and each file is written atomically;
    ``analysis.json`` is written last, so its presence means both files are complete.
    """
    analysis = json.dumps(analysis_document(explanation), indent=2, allow_nan=False) + "\n"
    local = local_values_csv(explanation)
    local_uri = storage.write_text(
        storage.join(out_dir, *LOCAL_VALUES_FILE.split("/")), local, storage_options
    )
    analysis_uri = storage.write_text(
        storage.join(out_dir, ANALYSIS), analysis, storage_options
    )
    return {"analysis": analysis_uri, "local_values": local_uri}


def read_explanations(
    uri: str | os.PathLike[str], storage_options: dict | None = None
) -> dict[str, Any]:
    """Read an explainability ``analysis.json`` (ours or Clarify's), checked field by field."""
    source = os.fspath(uri)
    return parse_explanations(parse_json(storage.read_bytes(uri, storage_options), source), source)


def parse_explanations(document: Any, source: str = ANALYSIS) -> dict[str, Any]:
    """An explainability ``analysis.json`` document whose ``kernel_shap`` section is sound.

    Every label holds ``global_shap_values`` (feature → finite number, or null where the
    model gave none) and an ``expected_value``; anything else is a FormatError naming
    the file and the field. Numbers come back as floats; other sections (``pdp``) are
    kept as they are.

    >>> parse_explanations({"explanations": {"kernel_shap": {"label0": {
    ...     "global_shap_values": {"a": "x"}, "expected_value": 0.5}}}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    watchkeeper.errors.FormatError: analysis.json: ...shap_values.'a' is 'x'; expected a number
    """
    explanations = document.get("explanations") if isinstance(document, dict) else None
    labels = explanations.get("kernel_shap") if isinstance(explanations, dict) else None
    if not isinstance(labels, dict) or not labels:
        raise FormatError(
            f"{source}: no explanations.kernel_shap (not an explainability analysis)"
        )
    checked = {}
    for label, entry in labels.items():
        where = f"{source}: explanations.kernel_shap.{fields.shown(label)}"
        entry = dict(fields.mapping(entry, where))
        values = fields.mapping(entry.get("global_shap_values"), f"{where}.global_shap_values")
        entry["global_shap_values"] = {
            feature: _finite(value, f"{where}.global_shap_values.{fields.shown(feature)}")
            for feature, value in values.items()
        }
        if "expected_value" in entry:
            entry["expected_value"] = _finite(entry["expected_value"], f"{where}.expected_value")
        checked[label] = entry
    return {**document, "explanations": {**explanations, "kernel_shap": checked}}


def _finite(value: Any, where: str) -> float | None:
    return None if value is None else fields.number(value, where, finite=True)


def _number(value: float) -> float | None:
    # JSON has no NaN; a model that answers NaN leaves the value unknown
    return float(value) if math.isfinite(value) else None


def _cell(value: float) -> str:
    return repr(float(value)) if math.isfinite(value) else ""
