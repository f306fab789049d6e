"""``statistics.json``: SageMaker Model Monitor's data-quality statistics, both ways.

Written from a profile field for field as SageMaker's analyzer writes it (population
standard deviation, ten equal-width KLL buckets, Deequ's sketch levels, categorical
buckets for String columns), and read back into a profile so that a baseline
produced by SageMaker can be used wherever a watchkeeper baseline can.

Choices where SageMaker's behaviour is not documented: a Boolean column is written
like a String column (its categories are ``true`` and ``false``); an all-missing
column gets ``inferred_type: "Unknown"`` with string statistics and no buckets;
categorical buckets list every value while counts are exact (up to 1,000 distinct
values), most frequent first, then the most frequent values the sketch keeps.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np

from watchkeeper.baseline.jackson import JavaDouble, dumps
from watchkeeper.errors import FormatError
from watchkeeper.io.storage import read_bytes, write_text
from watchkeeper.profile import (
    BOOLEAN,
    FRACTIONAL,
    INTEGRAL,
    STRING,
    UNKNOWN,
    ColumnProfile,
    DatasetProfile,
)
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments

BUCKETS = 10
MAX_CATEGORICAL_BUCKETS = 1000
SOURCE_KEY = "baseline_source"


def statistics_document(profile: DatasetProfile) -> dict[str, Any]:
    """The ``statistics.json`` document of ``profile``."""
    return {
        "version": JavaDouble(0.0),
        "dataset": {"item_count": profile.rows},
        "features": [_feature(name, column) for name, column in profile.columns.items()],
    }


def statistics_json(profile: DatasetProfile) -> str:
    """``statistics.json`` text, printed as SageMaker prints it."""
    return dumps(statistics_document(profile))


def write_statistics(
    profile: DatasetProfile, uri: str | os.PathLike[str], storage_options: dict | None = None
) -> str:
    return write_text(uri, statistics_json(profile), storage_options)


def _feature(name: str, column: ColumnProfile) -> dict[str, Any]:
    kind = column.inferred_type
    common = {"num_present": column.present, "num_missing": column.null_count}
    if kind in (INTEGRAL, FRACTIONAL):
        moments = column.moments
        return {
            "name": name,
            "inferred_type": kind,
            "numerical_statistics": {
                "common": common,
                "mean": JavaDouble(moments.average),
                "sum": JavaDouble(moments.total),
                "std_dev": JavaDouble(moments.std_dev),
                "min": JavaDouble(moments.min),
                "max": JavaDouble(moments.max),
                "distribution": {"kll": _kll(column.kll, moments.min, moments.max)},
            },
        }
    statistics: dict[str, Any] = {
        "common": common,
        "distinct_count": JavaDouble(column.distinct_count()),
    }
    if kind != UNKNOWN:
        buckets = [
            {"value": value, "count": count}
            for value, count in column.categories.items(limit=MAX_CATEGORICAL_BUCKETS)
        ]
        statistics["distribution"] = {"categorical": {"buckets": buckets}}
    return {"name": name, "inferred_type": kind, "string_statistics": statistics}


def _kll(sketch: KLLSketch, lo: float, hi: float) -> dict[str, Any]:
    return {
        "buckets": [
            {"lower_bound": JavaDouble(a), "upper_bound": JavaDouble(b), "count": JavaDouble(c)}
            for a, b, c in sketch.deequ_buckets(lo, hi, BUCKETS)
        ],
        "sketch": {
            "parameters": {"c": JavaDouble(sketch.c), "k": JavaDouble(float(sketch.k))},
            "data": [[JavaDouble(x) for x in level] for level in sketch.to_deequ_data()],
        },
    }


# -- reading ----------------------------------------------------------------------------


def read_statistics(
    uri: str | os.PathLike[str], storage_options: dict | None = None
) -> DatasetProfile:
    """Read a ``statistics.json`` (SageMaker's or ours) as a profile."""
    source = os.fspath(uri)
    return profile_from_statistics(_load_json(read_bytes(uri, storage_options), source), source)


def _load_json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{source}: not valid JSON ({exc})") from exc


def profile_from_statistics(document: Any, source: str = "statistics.json") -> DatasetProfile:
    """A profile holding what a ``statistics.json`` says about each feature.

    Counts, types, moments (mean, standard deviation, sum, min, max), the KLL sketch and
    the categorical counts come back; what the file does not hold (higher moments,
    distinct-count sketches of numeric columns) stays empty.
    """
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise FormatError(f'{source}: not a statistics file (no "features" list)')
    profile = DatasetProfile({SOURCE_KEY: "statistics.json"})
    try:
        profile.rows = int(document.get("dataset", {}).get("item_count", 0))
        for position, feature in enumerate(document["features"]):
            name = feature.get("name") if isinstance(feature, dict) else None
            if not isinstance(name, str):
                raise FormatError(f"{source}: feature #{position + 1} has no name")
            profile.columns[name] = _column_from_feature(feature, profile.rows, source)
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(f"{source}: malformed statistics ({type(exc).__name__}: {exc})") from exc
    return profile


def _column_from_feature(feature: dict[str, Any], rows: int, source: str) -> ColumnProfile:
    kind = feature.get("inferred_type", UNKNOWN)
    if kind not in (INTEGRAL, FRACTIONAL, BOOLEAN, STRING, UNKNOWN):
        raise FormatError(
            f"{source}: feature {feature['name']!r} has unknown inferred_type {kind!r}"
        )
    stats = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    common = stats.get("common", {})
    present = int(common.get("num_present", 0))
    missing = int(common.get("num_missing", max(rows - present, 0)))
    column = ColumnProfile()
    column.count, column.null_count = present + missing, missing
    if kind != UNKNOWN:
        column.type_counts[kind] = present
    if "numerical_statistics" in feature:
        _numeric_from_feature(column, stats, present)
        column.stated_distinct = math.nan
    else:
        column.stated_distinct = float(stats.get("distinct_count", math.nan))
        buckets = stats.get("distribution", {}).get("categorical", {}).get("buckets", [])
        exact = {str(bucket["value"]): int(bucket["count"]) for bucket in buckets}
        column.categories = CategoryCounts(exact=exact)
    return column


def _numeric_from_feature(column: ColumnProfile, stats: dict[str, Any], present: int) -> None:
    std = float(stats.get("std_dev", math.nan))
    mean = float(stats.get("mean", math.nan))
    column.moments = Moments(
        n=present,
        total=float(stats.get("sum", mean * present)),
        mean=mean,
        m2=std * std * present,
        m3=math.nan,
        m4=math.nan,
        min=float(stats.get("min", math.inf)),
        max=float(stats.get("max", -math.inf)),
    )
    kll = stats.get("distribution", {}).get("kll", {})
    sketch = kll.get("sketch")
    if sketch:
        parameters = sketch.get("parameters", {})
        column.kll = KLLSketch.from_deequ_data(
            sketch.get("data", []),
            k=int(parameters.get("k", 2048)),
            c=float(parameters.get("c", 0.64)),
        )
    elif kll.get("buckets"):
        column.kll = _sketch_from_buckets(kll["buckets"])


def _sketch_from_buckets(buckets: list[dict[str, Any]]) -> KLLSketch:
    """A stand-in sketch when a file has buckets but no sketch: each bucket's midpoint,
    its count written in binary across levels (an item at level h weighs 2**h)."""
    midpoints = np.array([(b["lower_bound"] + b["upper_bound"]) / 2 for b in buckets], dtype=float)
    counts = np.array([round(b["count"]) for b in buckets], dtype=np.int64)
    height = max(int(counts.max()).bit_length(), 1) if len(counts) else 1
    levels = [midpoints[(counts >> h) & 1 == 1] for h in range(height)]
    return KLLSketch.from_deequ_data([level.tolist() for level in levels])
