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

from watchkeeper.errors import FormatError, UsageError

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
        target = target / "analysis.json"
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


def _read_value(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("value")
    if value in ("Infinity", "-Infinity"):
        entry["value"] = float(value.replace("Infinity", "inf"))
    return entry


def read_analysis(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a bias ``analysis.json`` (ours or Clarify's), infinities as floats."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return json.loads(text, object_hook=_read_value)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a readable analysis.json ({exc})") from exc
