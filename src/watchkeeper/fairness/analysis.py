"""Clarify's bias ``analysis.json``: one document with the pre- and post-training sections.

Infinite values are written as the strings ``"Infinity"`` and ``"-Infinity"``, as
Clarify writes them, and read back as floats.

>>> document = bias_report(pre={"label": "y", "facets": {}, "label_value_or_threshold": "1"})
>>> list(document)
['version', 'pre_training_bias_metrics']
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from watchkeeper.artifacts import ANALYSIS
from watchkeeper.baseline import fields
from watchkeeper.baseline.fields import parse_json
from watchkeeper.errors import FormatError, UsageError
from watchkeeper.io.storage import read_bytes

VERSION = "1.0"


def bias_report(
    *, pre: dict[str, Any] | None = None, post: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``analysis.json`` document of a pre-training section, a post-training one or both
    (as :func:`~watchkeeper.fairness.pretraining_bias` and
    :func:`~watchkeeper.fairness.posttraining_bias` return them)."""
    if pre is None and post is None:
        raise UsageError("a bias report needs a pre-training or a post-training section")
    document: dict[str, Any] = {"version": VERSION}
    if pre is not None:
        document["pre_training_bias_metrics"] = pre
    if post is not None:
        document["post_training_bias_metrics"] = post
    return document


def _written(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _written(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_written(item) for item in value]
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def dumps(document: dict[str, Any]) -> str:
    """The document as Clarify's JSON text (4-space indent, infinities as strings).

    >>> print(dumps({"value": float("-inf")}))
    {
        "value": "-Infinity"
    }
    """
    return json.dumps(_written(document), indent=4, allow_nan=False)


def write_analysis(
    path: str | os.PathLike[str],
    *,
    pre: dict[str, Any] | None = None,
    post: dict[str, Any] | None = None,
) -> Path:
    """Write ``analysis.json`` to ``path`` (a file, or a folder to hold one) atomically."""
    target = Path(path)
    if target.is_dir() or not target.suffix:
        target = target / ANALYSIS
    text = dumps(bias_report(pre=pre, post=post))
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".analysis-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


SECTIONS = ("pre_training_bias_metrics", "post_training_bias_metrics")


def read_analysis(
    uri: str | os.PathLike[str], storage_options: dict | None = None
) -> dict[str, Any]:
    """Read a bias ``analysis.json`` (ours or Clarify's), infinities as floats."""
    source = os.fspath(uri)
    return parse_analysis(parse_json(read_bytes(uri, storage_options), source), source)


def parse_analysis(document: Any, source: str = ANALYSIS) -> dict[str, Any]:
    """A bias ``analysis.json`` document, checked field by field, infinities as floats.

    Each section maps every facet to its groups, each group lists its metrics, and a
    metric's value is a number, ``"Infinity"``/``"-Infinity"`` or null (a metric that
    failed); anything else is a FormatError naming the file and the field.

    >>> parse_analysis({"version": "1.0", "post_training_bias_metrics": {"facets": {"sex": [
    ...     {"value_or_threshold": "0", "metrics": [{"name": "DI", "value": "Infinity"}]}]}}})
    {'version': '1.0', 'post_training_bias_metrics': {'facets': {'sex': [{'value_or_threshold': \
'0', 'metrics': [{'name': 'DI', 'value': inf}]}]}}}
    """
    document = dict(fields.mapping(document, source))
    present = [name for name in SECTIONS if name in document]
    if not present:
        raise FormatError(f"{source}: not a bias analysis (no {' or '.join(SECTIONS)})")
    for name in present:
        document[name] = _section(document[name], f"{source}: {name}")
    return document


def _section(section: Any, where: str) -> dict[str, Any]:
    section = dict(fields.mapping(section, where))
    facets = fields.mapping(section.get("facets", {}), f"{where}.facets")
    section["facets"] = {
        facet: [
            _group(group, f"{where}.facets.{fields.shown(facet)}[{position}]")
            for position, group in enumerate(
                fields.listing(groups, f"{where}.facets.{fields.shown(facet)}")
            )
        ]
        for facet, groups in facets.items()
    }
    return section


def _group(group: Any, where: str) -> dict[str, Any]:
    group = dict(fields.mapping(group, where))
    value = group.get("value_or_threshold")
    if value is not None and not isinstance(value, str | int | float):
        raise FormatError(f"{where}.value_or_threshold is {fields.shown(value)}; expected text")
    metrics = fields.listing(group.get("metrics", []), f"{where}.metrics")
    group["metrics"] = [
        _metric(metric, f"{where}.metrics[{position}]") for position, metric in enumerate(metrics)
    ]
    return group


def _metric(metric: Any, where: str) -> dict[str, Any]:
    metric = dict(fields.mapping(metric, where))
    fields.text(metric.get("name"), f"{where}.name")
    if metric.get("value") is not None:
        metric["value"] = fields.number(metric["value"], f"{where}.value")
    return metric
