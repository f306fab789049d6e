"""The profile file: versioned JSON, lossless, byte-for-byte deterministic.

Layout (version 1)::

    {"format": "watchkeeper-profile", "version": 1, "rows": N, "metadata": {...},
     "columns": [{"name": ..., "count": ..., "null_count": ..., "type_counts": {...},
                  "arrow_types": [...], "moments": {...},
                  "kll": {"k", "c", "levels": [base64 float64 LE], "compactions",
                          "offsets", "error_weight"},
                  "distinct": base64 compact theta sketch (DataSketches format),
                  "categories": {"cap", "lg_max_map_size", "exact": [[value, count], ...]}
                                | {"cap", "lg_max_map_size", "sketch": base64}}]}

Floats are written with Python's shortest round-trip repr, so reading gives back the
same bits; keys are sorted; nothing depends on the clock. A newer watchkeeper reads
every older version; a file from a newer watchkeeper is refused with a clear message.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import datasketches
import numpy as np

from watchkeeper.errors import FormatError
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.distinct import DistinctSketch
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments

FORMAT = "watchkeeper-profile"
VERSION = 1


def profile_to_dict(profile: DatasetProfile) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "rows": profile.rows,
        "metadata": dict(sorted(profile.metadata.items())),
        "columns": [_column_to_dict(name, column) for name, column in profile.columns.items()],
    }


def profile_to_bytes(profile: DatasetProfile) -> bytes:
    """The profile file's bytes (UTF-8 JSON)."""
    text = json.dumps(profile_to_dict(profile), sort_keys=True, separators=(",", ":"))
    return text.encode()


def profile_from_bytes(data: bytes, source: str = "profile") -> DatasetProfile:
    """Read a profile file; ``source`` names it in error messages."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{source}: not a watchkeeper profile (invalid JSON: {exc})") from exc
    return profile_from_dict(document, source)


def profile_from_dict(document: Any, source: str = "profile") -> DatasetProfile:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FormatError(f'{source}: not a watchkeeper profile (no \'"format": "{FORMAT}"\')')
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{source}: invalid profile version {version!r}")
    if version > VERSION:
        raise FormatError(
            f"{source}: profile version {version} was written by a newer watchkeeper "
            f"(this one reads up to version {VERSION}); upgrade watchkeeper"
        )
    try:
        profile = DatasetProfile(document.get("metadata") or {})
        profile.rows = int(document["rows"])
        for entry in document["columns"]:
            profile.columns[str(entry["name"])] = _column_from_dict(entry)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise FormatError(f"{source}: corrupt profile ({type(exc).__name__}: {exc})") from exc
    return profile


# -- columns -----------------------------------------------------------------------------


def _column_to_dict(name: str, column: ColumnProfile) -> dict[str, Any]:
    return {
        "name": name,
        "count": column.count,
        "null_count": column.null_count,
        "type_counts": dict(column.type_counts),
        "integral_valued": column.integral_valued,
        "arrow_types": list(column.arrow_types),
        "moments": _moments_to_dict(column.moments),
        "kll": _kll_to_dict(column.kll),
        "distinct": _b64(column.distinct.to_bytes()),
        "categories": _categories_to_dict(column.categories),
    }


def _column_from_dict(entry: dict[str, Any]) -> ColumnProfile:
    column = ColumnProfile()
    column.count = int(entry["count"])
    column.null_count = int(entry["null_count"])
    column.type_counts = {key: int(value) for key, value in entry["type_counts"].items()}
    column.integral_valued = int(entry.get("integral_valued", 0))
    column.arrow_types = [str(kind) for kind in entry["arrow_types"]]
    column.moments = _moments_from_dict(entry["moments"])
    column.kll = _kll_from_dict(entry["kll"])
    column.distinct = DistinctSketch.from_bytes(_unb64(entry["distinct"]))
    column.categories = _categories_from_dict(entry["categories"])
    return column


def _moments_to_dict(moments: Moments) -> dict[str, Any]:
    fields = {
        "n": moments.n,
        "total": moments.total,
        "mean": moments.mean,
        "m2": moments.m2,
        "m3": moments.m3,
        "m4": moments.m4,
    }
    if moments.n:
        fields["min"] = moments.min
        fields["max"] = moments.max
    return {key: _number(value) for key, value in fields.items()}


def _moments_from_dict(entry: dict[str, Any]) -> Moments:
    values = {key: _from_number(value) for key, value in entry.items()}
    return Moments(
        n=int(values["n"]),
        total=values["total"],
        mean=values["mean"],
        m2=values["m2"],
        m3=values["m3"],
        m4=values["m4"],
        min=values.get("min", math.inf),
        max=values.get("max", -math.inf),
    )


def _kll_to_dict(sketch: KLLSketch) -> dict[str, Any]:
    return {
        "k": sketch.k,
        "c": sketch.c,
        "levels": [_b64(level.astype("<f8").tobytes()) for level in sketch.levels],
        "compactions": list(sketch.compactions),
        "offsets": list(sketch.offsets),
        "error_weight": sketch.error_weight,
    }


def _kll_from_dict(entry: dict[str, Any]) -> KLLSketch:
    levels = [
        np.frombuffer(_unb64(level), dtype="<f8").astype(np.float64) for level in entry["levels"]
    ]
    if len(entry["compactions"]) != len(levels) or len(entry["offsets"]) != len(levels):
        raise ValueError("KLL sketch levels, compactions and offsets differ in length")
    return KLLSketch(
        k=int(entry["k"]),
        c=float(entry["c"]),
        levels=levels,
        compactions=[int(c) for c in entry["compactions"]],
        offsets=[int(o) for o in entry["offsets"]],
        error_weight=int(entry["error_weight"]),
    )


def _categories_to_dict(categories: CategoryCounts) -> dict[str, Any]:
    entry: dict[str, Any] = {"cap": categories.cap, "lg_max_map_size": categories.lg_max_map_size}
    if categories.exact is not None:
        entry["exact"] = [[value, count] for value, count in sorted(categories.exact.items())]
    else:
        entry["sketch"] = _b64(categories.sketch_bytes())
    return entry


def _categories_from_dict(entry: dict[str, Any]) -> CategoryCounts:
    cap, lg = int(entry["cap"]), int(entry["lg_max_map_size"])
    if "exact" in entry:
        return CategoryCounts(cap, lg, exact={str(v): int(c) for v, c in entry["exact"]})
    sketch = datasketches.frequent_strings_sketch.deserialize(_unb64(entry["sketch"]))
    return CategoryCounts(cap, lg, sketch=sketch)


# -- primitives --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _number(value: float | int) -> float | int | str:
    """JSON has no infinities or NaN; write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    return value


def _from_number(value: float | int | str) -> float:
    return float(value)
