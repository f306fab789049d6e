"""``statistics.json``: SageMaker Model Monitor's data-quality statistics, both ways.

Written from a profile field for field as SageMaker's analyzer writes it (population
standard deviation, ten equal-width KLL buckets, Deequ's sketch levels, categorical
buckets for String columns), and read back into a profile so that a baseline
produced by SageMaker can be used wherever a watchkeeper baseline can.

Choices where SageMaker's behaviour is not documented: a Boolean column is written
like a String column (its categories are ``true`` and ``false``); an all-missing
column gets ``inferred_type: "Unknown"`` with string statistics and no buckets;
categorical buckets list every value while counts are exact (up to 1,000 distinct
values), most frequent first, then the most frequent values the sketch keeps, each with
the count it was seen at least (SageMaker's counts are exact: never one above the truth,
so each value of a column of unique ids counts 1). ``distinct_count`` is an estimate
beyond 4,096 values, as SageMaker's (an approximate count) is.

A file watchkeeper writes ends with one more top-level key, ``watchkeeper``, holding
what the default drift detector and the constraint checks read but SageMaker's fields
cannot (see :mod:`watchkeeper.baseline.extension`), so that a baseline read back from
its file judges exactly as the profile it was written from. SageMaker's fields are
written byte for byte as without it (``sagemaker_only=True`` leaves the key out), and
a comparison with SageMaker's own files leaves out that key alone.

Reading checks every field before it is used. A sketch no Deequ sketch could be (``k``
outside 1..65536, ``c`` outside (0, 1], more than 63 levels, more items than its
parameters allow) is refused, so a file cannot make a profile that grows without
bound or fails later, in a drift check or a merge.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from watchkeeper.baseline import fields
from watchkeeper.baseline.extension import KEY as EXTENSION_KEY
from watchkeeper.baseline.extension import apply_extension, extension_document
from watchkeeper.baseline.fields import parse_json
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
from watchkeeper.profile.kll import DEFAULT_C, DEFAULT_K, KLLSketch, level_capacity
from watchkeeper.profile.moments import Moments

BUCKETS = 10
MAX_CATEGORICAL_BUCKETS = 1000
SOURCE_KEY = "baseline_source"


def statistics_document(profile: DatasetProfile, *, sagemaker_only: bool = False) -> dict[str, Any]:
    """The ``statistics.json`` document of ``profile``.

    SageMaker's fields, then watchkeeper's own key (:mod:`watchkeeper.baseline.extension`)
    unless ``sagemaker_only``.
    """
    document = {
        "version": JavaDouble(0.0),
        "dataset": {"item_count": profile.rows},
        "features": [_feature(name, column) for name, column in profile.columns.items()],
    }
    if not sagemaker_only:
        document[EXTENSION_KEY] = extension_document(profile, MAX_CATEGORICAL_BUCKETS)
    return document


def statistics_json(profile: DatasetProfile, *, sagemaker_only: bool = False) -> str:
    """``statistics.json`` text, printed as SageMaker prints it.

    ``sagemaker_only`` leaves out watchkeeper's key: the file SageMaker's analyzer would
    write, from which a baseline judges only approximately as ``profile`` does.
    """
    return dumps(statistics_document(profile, sagemaker_only=sagemaker_only))


def write_statistics(
    profile: DatasetProfile,
    uri: str | os.PathLike[str],
    storage_options: dict | None = None,
    *,
    sagemaker_only: bool = False,
) -> str:
    return write_text(uri, statistics_json(profile, sagemaker_only=sagemaker_only), storage_options)


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
            for value, count in column.categories.counted(limit=MAX_CATEGORICAL_BUCKETS)
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

# Bounds on the sketch a file may describe. SageMaker writes k=2048, c=0.64; a sketch
# of these parameters holds a few hundred thousand items at most, whatever its count.
MAX_SKETCH_K = 1 << 16
# An item at level h weighs 2**h, and weights are int64.
MAX_SKETCH_LEVELS = 63
TYPES = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING, UNKNOWN)


def read_statistics(
    uri: str | os.PathLike[str], storage_options: dict | None = None
) -> DatasetProfile:
    """Read a ``statistics.json`` (SageMaker's or ours) as a profile."""
    source = os.fspath(uri)
    return profile_from_statistics(parse_json(read_bytes(uri, storage_options), source), source)


def profile_from_statistics(document: Any, source: str = "statistics.json") -> DatasetProfile:
    """A profile holding what a ``statistics.json`` says about each feature.

    Counts, types, moments (mean, standard deviation, sum, min, max), the KLL sketch and
    the categorical counts come back. A file watchkeeper wrote also gives back, from its
    ``watchkeeper`` key, everything the judge reads (exact and higher moments, counts by
    type, the sketches' error): the profile then judges exactly as the one written.
    What neither holds (higher moments in SageMaker's files, distinct-count sketches)
    stays empty. Every field is checked first: a bad one is a FormatError naming the
    file, the feature and the field.
    """
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise FormatError(f'{source}: not a statistics file (no "features" list)')
    dataset = fields.mapping(document.get("dataset", {}), f"{source}: dataset")
    profile = DatasetProfile({SOURCE_KEY: "statistics.json"})
    profile.rows = fields.count(dataset.get("item_count", 0), f"{source}: dataset.item_count")
    for position, feature in enumerate(document["features"]):
        where = f"{source}: features[{position}]"
        feature = fields.mapping(feature, where)
        name = fields.text(feature.get("name"), f"{where}.name")
        where = f"{where} ({fields.shown(name)})"
        if name in profile.columns:
            raise FormatError(f"{where}: a feature of this name is listed before")
        profile.columns[name] = _column_from_feature(feature, profile.rows, where)
    if document.get(EXTENSION_KEY) is not None:
        apply_extension(document, profile, source, MAX_CATEGORICAL_BUCKETS)
    return profile


def _column_from_feature(feature: dict[str, Any], rows: int, where: str) -> ColumnProfile:
    kind = feature.get("inferred_type", UNKNOWN)
    if not isinstance(kind, str) or kind not in TYPES:
        raise FormatError(
            f"{where}.inferred_type is {fields.shown(kind)}; expected one of {', '.join(TYPES)}"
        )
    numeric = feature.get("numerical_statistics") is not None
    key = "numerical_statistics" if numeric else "string_statistics"
    stats = fields.mapping(feature.get(key) or {}, f"{where}.{key}")
    where = f"{where}.{key}"
    common = fields.mapping(stats.get("common", {}), f"{where}.common")
    present = fields.count(common.get("num_present", 0), f"{where}.common.num_present")
    missing = fields.count(
        common.get("num_missing", max(rows - present, 0)), f"{where}.common.num_missing"
    )
    if present + missing > fields.MAX_COUNT:
        raise FormatError(f"{where}.common: num_present + num_missing exceeds {fields.MAX_COUNT}")
    column = ColumnProfile()
    column.count, column.null_count = present + missing, missing
    if kind != UNKNOWN:
        column.type_counts[kind] = present
    distribution = fields.mapping(stats.get("distribution", {}), f"{where}.distribution")
    if numeric:
        column.moments = _moments(stats, present, where)
        kll = fields.mapping(distribution.get("kll", {}), f"{where}.distribution.kll")
        column.kll = _sketch_from_kll(kll, f"{where}.distribution.kll")
        column.stated_distinct = math.nan
    else:
        column.stated_distinct = fields.number(
            stats.get("distinct_count", math.nan), f"{where}.distinct_count"
        )
        categorical = fields.mapping(
            distribution.get("categorical", {}), f"{where}.distribution.categorical"
        )
        column.categories = CategoryCounts(
            exact=_category_counts(categorical, f"{where}.distribution.categorical")
        )
    return column


def _moments(stats: dict[str, Any], present: int, where: str) -> Moments:
    std = fields.number(stats.get("std_dev", math.nan), f"{where}.std_dev")
    mean = fields.number(stats.get("mean", math.nan), f"{where}.mean")
    low = fields.number(stats.get("min", math.inf), f"{where}.min")
    high = fields.number(stats.get("max", -math.inf), f"{where}.max")
    if present and "min" in stats and "max" in stats:
        _consistent(low, high, mean, std, where)
    return Moments(
        n=present,
        total=fields.number(stats.get("sum", mean * present), f"{where}.sum"),
        mean=mean,
        m2=std * std * present,
        m3=math.nan,
        m4=math.nan,
        min=low,
        max=high,
    )


def _consistent(low: float, high: float, mean: float, std: float, where: str) -> None:
    """Refuse moments no set of values between ``low`` and ``high`` can have: later
    arithmetic (a drift test squares the variance) assumes they came from data.

    An infinite mean or standard deviation is read as written: it is what summing
    values near the limits of a double gives (1e200 squared overflows), in SageMaker's
    files as in ours, and the drift tests leave such a feature to the shape test.
    """
    if not low <= high:
        raise FormatError(f"{where}: min {low!r} and max {high!r} do not bound any value")
    # a mean summed in floating point may stray a few units in the last place past the
    # range (0.95 three times averages to 0.9499999999999998)
    slack = 1e-9 * max(abs(low), abs(high)) if math.isfinite(low) and math.isfinite(high) else 0
    if math.isfinite(mean) and not low - slack <= mean <= high + slack:
        raise FormatError(f"{where}: mean {mean!r} lies outside min {low!r} and max {high!r}")
    # Values between min and max spread at most half the range around their mean.
    widest = (high - low) / 2 * (1 + 1e-9)
    if std < 0 or (math.isfinite(widest) and math.isfinite(std) and std > widest):
        raise FormatError(
            f"{where}: std_dev {std!r} is impossible for values from {low!r} to {high!r}"
        )


def _sketch_from_kll(kll: dict[str, Any], where: str) -> KLLSketch:
    sketch = kll.get("sketch")
    if sketch:
        return _sketch(fields.mapping(sketch, f"{where}.sketch"), f"{where}.sketch")
    if kll.get("buckets"):
        return _sketch_from_buckets(fields.listing(kll["buckets"], f"{where}.buckets"), where)
    return KLLSketch()


def _sketch(sketch: dict[str, Any], where: str) -> KLLSketch:
    """Deequ's sketch as written, refused when its parameters or its size are absurd."""
    parameters = fields.mapping(sketch.get("parameters", {}), f"{where}.parameters")
    k = fields.number(parameters.get("k", DEFAULT_K), f"{where}.parameters.k", finite=True)
    if not (k.is_integer() and 1 <= k <= MAX_SKETCH_K):
        raise FormatError(
            f"{where}.parameters.k is {fields.shown(parameters['k'])}; "
            f"expected a whole number from 1 to {MAX_SKETCH_K}"
        )
    c = fields.number(parameters.get("c", DEFAULT_C), f"{where}.parameters.c", finite=True)
    if not 0 < c <= 1:
        raise FormatError(
            f"{where}.parameters.c is {fields.shown(parameters['c'])}; expected a number in (0, 1]"
        )
    data = fields.listing(sketch.get("data", []), f"{where}.data")
    if len(data) > MAX_SKETCH_LEVELS:
        raise FormatError(
            f"{where}.data has {len(data)} levels; a sketch has at most {MAX_SKETCH_LEVELS}"
        )
    levels = [_level(level, f"{where}.data[{h}]") for h, level in enumerate(data)]
    capacity = sum(level_capacity(int(k), c, h) for h in range(max(len(levels), 1)))
    items = sum(len(level) for level in levels)
    if items > capacity:
        raise FormatError(
            f"{where}.data holds {items} items; a sketch with k={int(k)} and c={c!r} "
            f"holds at most {capacity}"
        )
    weight = sum(len(level) << h for h, level in enumerate(levels))
    if weight > fields.MAX_COUNT:
        raise FormatError(f"{where}.data stands for {weight} values, more than {fields.MAX_COUNT}")
    return KLLSketch.from_deequ_data(levels, k=int(k), c=c)


def _level(items: Any, where: str) -> np.ndarray:
    items = fields.listing(items, where)
    try:
        level = np.asarray(items, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        level = None
    if level is None or level.ndim != 1 or np.isnan(level).any():
        raise FormatError(f"{where} is not a list of numbers")
    return level


def _sketch_from_buckets(buckets: list[Any], where: str) -> KLLSketch:
    """A stand-in sketch when a file has buckets but no sketch: each bucket's midpoint,
    its count written in binary across levels (an item at level h weighs 2**h)."""
    midpoints, counts = [], []
    for position, bucket in enumerate(buckets):
        at = f"{where}.buckets[{position}]"
        bucket = fields.mapping(bucket, at)
        low = fields.number(bucket.get("lower_bound"), f"{at}.lower_bound")
        high = fields.number(bucket.get("upper_bound"), f"{at}.upper_bound")
        if not low <= high or math.isnan((low + high) / 2):
            raise FormatError(f"{at}: lower_bound {low!r} and upper_bound {high!r} bound no value")
        amount = fields.number(bucket.get("count"), f"{at}.count", finite=True)
        if not 0 <= amount < 2.0**63:
            raise FormatError(f"{at}.count is {fields.shown(amount)}; expected a count of values")
        midpoints.append((low + high) / 2)
        counts.append(round(amount))
    if sum(counts) > fields.MAX_COUNT:
        raise FormatError(f"{where}.buckets count more than {fields.MAX_COUNT} values")
    middles = np.array(midpoints, dtype=np.float64)
    weights = np.array(counts, dtype=np.int64)
    height = max(int(weights.max(initial=0)).bit_length(), 1)
    levels = [middles[(weights >> h) & 1 == 1] for h in range(height)]
    return KLLSketch.from_deequ_data([level.tolist() for level in levels])


def _category_counts(categorical: dict[str, Any], where: str) -> dict[str, int]:
    exact: dict[str, int] = {}
    for position, bucket in enumerate(
        fields.listing(categorical.get("buckets", []), f"{where}.buckets")
    ):
        at = f"{where}.buckets[{position}]"
        bucket = fields.mapping(bucket, at)
        value = bucket.get("value")
        if isinstance(value, dict | list):
            raise FormatError(f"{at}.value is {fields.shown(value)}; expected a value")
        key = str(value)
        exact[key] = exact.get(key, 0) + fields.count(bucket.get("count"), f"{at}.count")
    return exact
