"""watchkeeper's own key in ``statistics.json``: what the judge reads beyond SageMaker's fields.

SageMaker's fields keep a feature's counts, mean, standard deviation, KLL sketch items
and category counts. The default drift detector (:func:`watchkeeper.drift.detect`) also
reads the third and fourth moments, the running mean and exact second moment (the
file's mean and standard deviation are rounded from them), the sketch's compaction
history (its rank error) and, for a column of many categories, the frequent-items
sketch with its error bound; the constraint checks read the counts of values by type.
So that a baseline read back from its file judges exactly as the profile it was
written from, watchkeeper ends the document with one more top-level key::

    "watchkeeper" : {
      "version" : 1,
      "features" : {
        "price" : {
          "type_counts" : {"Integral" : 0, "Fractional" : 98, "Boolean" : 0, "String" : 0},
          "integral_valued" : 3,
          "moments" : {"n" : 98, "total" : ..., "mean" : ..., "m2" : ..., "m3" : ...,
                       "m4" : ..., "min" : ..., "max" : ...},
          "kll" : {"compactions" : [0], "offsets" : [0], "error_weight" : 0},
          "categories" : {"cap" : ..., "lg_max_map_size" : ..., "sketch" : "<base64>"}
        } } }

``moments`` and ``categories`` are written as in the profile file
(:mod:`watchkeeper.profile.serialize`); ``moments`` appears for every feature with
numbers, ``kll`` (the rest of the sketch is SageMaker's ``sketch``) for numeric
features, ``categories`` for String and Boolean features whose counts SageMaker's
buckets cannot hold (a sketch, or more than 1000 exact values), ``text`` and
``embedding`` for free-text and embedding columns (as in the profile file). What the
judge does not
read (distinct-count sketches, the categories seen among a numeric feature's text) is
left out.

SageMaker's fields are written exactly as without the key, and tools that read them
pass over it (SageMaker's SDK keeps a statistics file as the JSON document it is).
Whether SageMaker's own analyzer accepts a baseline holding the key is undocumented;
``statistics_json(profile, sagemaker_only=True)`` leaves it out. Comparisons with
SageMaker's real files leave out this key and nothing else.

A file without the key (SageMaker's own, or one from an older watchkeeper) is read
from SageMaker's fields alone. A key whose figures disagree with SageMaker's fields of
the same feature means the file was changed after it was written: it is refused with
a message saying so, rather than judged from two different baselines.
"""

from __future__ import annotations

import math
from typing import Any

from watchkeeper.baseline import fields
from watchkeeper.errors import FormatError
from watchkeeper.profile import BOOLEAN, FRACTIONAL, STRING, ColumnProfile, DatasetProfile
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.parts import column_parts_to_dict, embedding_from_dict, text_from_dict
from watchkeeper.profile.serialize import (
    categories_from_dict,
    categories_to_dict,
    moments_from_dict,
    moments_to_dict,
    type_counts_from_dict,
)

KEY = "watchkeeper"
VERSION = 1


def extension_document(profile: DatasetProfile, bucket_limit: int) -> dict[str, Any]:
    """The value of the ``watchkeeper`` key for ``profile`` (categorical buckets of
    SageMaker's fields list at most ``bucket_limit`` values)."""
    return {
        "version": VERSION,
        "features": {
            name: _feature(column, bucket_limit) for name, column in profile.columns.items()
        },
    }


def _feature(column: ColumnProfile, bucket_limit: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type_counts": dict(column.type_counts),
        "integral_valued": column.integral_valued,
    }
    if column.moments.n:
        entry["moments"] = moments_to_dict(column.moments)
    if column.is_numeric:
        sketch = column.kll
        entry["kll"] = {
            "compactions": list(sketch.compactions),
            "offsets": list(sketch.offsets),
            "error_weight": sketch.error_weight,
        }
    categories = column.categories
    listed = column.inferred_type in (STRING, BOOLEAN)  # SageMaker's buckets hold them
    if listed and (not categories.is_exact or len(categories.exact) > bucket_limit):
        entry["categories"] = categories_to_dict(categories)
    entry.update(column_parts_to_dict(column))
    return entry


def apply_extension(
    document: dict[str, Any], profile: DatasetProfile, source: str, bucket_limit: int
) -> None:
    """Complete ``profile``, read from the SageMaker fields of ``document``, with the
    document's ``watchkeeper`` key."""
    where = f"{source}: {KEY}"
    extension = fields.mapping(document[KEY], where)
    version = extension.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise FormatError(f"{where}.version is {fields.shown(version)}; expected 1")
    if version > VERSION:
        raise FormatError(
            f"{where}.version {version} was written by a newer watchkeeper (this one reads "
            f'version {VERSION}); upgrade watchkeeper, or remove the "{KEY}" key to judge '
            "from SageMaker's fields alone"
        )
    stated = {feature["name"]: feature for feature in document["features"]}
    features = fields.mapping(extension.get("features", {}), f"{where}.features")
    for name, entry in features.items():
        at = f"{where}.features[{fields.shown(name)}]"
        column = profile.columns.get(name)
        if column is None:
            raise FormatError(f"{at}: no feature of this name in the file's features")
        entry = fields.mapping(entry, at)
        _complete(column, entry, stated[name], at, bucket_limit)


def _complete(
    column: ColumnProfile,
    entry: dict[str, Any],
    feature: dict[str, Any],
    where: str,
    bucket_limit: int,
) -> None:
    present, kind = column.present, column.inferred_type
    type_counts = type_counts_from_dict(entry.get("type_counts"), f"{where}.type_counts", present)
    integral_valued = fields.count(entry.get("integral_valued", 0), f"{where}.integral_valued")
    if integral_valued > type_counts[FRACTIONAL]:
        raise FormatError(f"{where}.integral_valued is more than the {FRACTIONAL} values counted")
    numeric = column.is_numeric
    column.type_counts, column.integral_valued = type_counts, integral_valued
    if column.inferred_type != kind:
        _disagree(where, "type_counts", "inferred_type")
    if "moments" in entry:
        moments = moments_from_dict(entry["moments"], f"{where}.moments", present)
        if numeric:
            _same_moments(moments, feature.get("numerical_statistics") or {}, where)
        column.moments = moments
    if numeric:
        column.kll = _sketch(column.kll, entry.get("kll"), f"{where}.kll")
    if "categories" in entry:
        categories = categories_from_dict(entry["categories"], f"{where}.categories", present)
        listed = column.categories.as_dict()
        # files written before the buckets held the counts seen list the sketch's estimates
        forms = (categories.counted(bucket_limit), categories.items(bucket_limit))
        if all(listed != dict(form) for form in forms):
            _disagree(where, "categories", "distribution.categorical.buckets")
        column.categories = categories
    if "text" in entry:
        column.text = text_from_dict(entry["text"], f"{where}.text", present)
        column.text_choice = True
    if "embedding" in entry:
        column.embedding = embedding_from_dict(entry["embedding"], f"{where}.embedding", present)


def _same_moments(moments: Moments, statistics: dict[str, Any], where: str) -> None:
    """The moments must give exactly the figures SageMaker's fields state (those were
    written from them), and their running mean must lie within min and max."""
    written = {
        "mean": moments.average,
        "sum": moments.total,
        "std_dev": moments.std_dev,
        "min": moments.min,
        "max": moments.max,
    }
    for name, ours in written.items():
        theirs = fields.number(statistics.get(name, math.nan), f"{where}: {name}")
        if not (ours == theirs or (math.isnan(ours) and math.isnan(theirs))):
            _disagree(where, "moments", name)
    if math.isfinite(moments.mean) and moments.n:
        low, high = moments.min, moments.max
        slack = 1e-9 * max(abs(low), abs(high)) if math.isfinite(low + high) else 0.0
        if not low - slack <= moments.mean <= high + slack:
            raise FormatError(f"{where}.moments.mean lies outside min and max")


def _sketch(sketch: KLLSketch, value: Any, where: str) -> KLLSketch:
    """SageMaker's sketch items with the compaction history the key keeps."""
    if value is None:
        return sketch
    state = fields.mapping(value, where)
    levels = len(sketch.levels)
    compactions = _per_level(state.get("compactions"), f"{where}.compactions", levels)
    offsets = _per_level(state.get("offsets"), f"{where}.offsets", levels)
    if any(offset > 1 for offset in offsets):
        raise FormatError(f"{where}.offsets must be 0 or 1")
    error_weight = fields.count(state.get("error_weight"), f"{where}.error_weight")
    if error_weight > sketch.n:
        raise FormatError(f"{where}.error_weight is more than the {sketch.n} values sketched")
    return KLLSketch(
        k=sketch.k,
        c=sketch.c,
        levels=sketch.levels,
        compactions=compactions,
        offsets=offsets,
        error_weight=error_weight,
    )


def _per_level(value: Any, where: str, levels: int) -> list[int]:
    items = fields.listing(value, where)
    if len(items) != levels:
        raise FormatError(
            f"{where} has {len(items)} entries; the feature's sketch has {levels} levels"
        )
    return [fields.count(item, f"{where}[{h}]") for h, item in enumerate(items)]


def _disagree(where: str, part: str, field: str) -> None:
    raise FormatError(
        f"{where}.{part} disagrees with the feature's {field} in SageMaker's fields: the file "
        f'was changed after watchkeeper wrote it; remove the "{KEY}" key to judge from '
        "SageMaker's fields alone"
    )
