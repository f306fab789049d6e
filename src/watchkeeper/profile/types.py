"""Deequ's data types, decided per value and for a column, on whole Arrow arrays.

Per value (SageMaker Model Monitor uses Deequ's rules): Integral ``^(-|\\+)? ?\\d+$``,
Fractional ``^(-|\\+)? ?\\d+((\\.\\d+)|((?:\\.\\d+)?[Ee][-+]?\\d+))$``, Boolean
``^(true|false)$``, null is Unknown, anything else String. So ``"3.0"`` is Fractional
and a string that parses as a number counts as a number.

Typed Arrow columns are classified by their type: integers are Integral, floats and
decimals Fractional (NaN is missing, as pandas treats it), booleans Boolean, and
dates, times and timestamps String (Spark renders them as text). Text columns are
classified on their distinct values only, after dictionary encoding, so the regexes
run once per distinct value, not once per row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.io.arrays import from_indices, from_mask, from_strings, mask
from watchkeeper.io.arrays import values as values_of
from watchkeeper.io.jsontext import MAX_NESTING, json_text, type_nesting

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
BOOLEAN = "Boolean"
STRING = "String"
UNKNOWN = "Unknown"
TYPES = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING, UNKNOWN)

INTEGRAL_PATTERN = r"^(-|\+)? ?\d+$"
FRACTIONAL_PATTERN = r"^(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))$"
BOOLEAN_PATTERN = r"^(true|false)$"
CANDIDATE_PATTERN = r"^[-+ 0-9tf]"
# the first characters CANDIDATE_PATTERN accepts, all ASCII: one byte each in UTF-8
_CANDIDATE_BYTES = np.zeros(256, dtype=bool)
_CANDIDATE_BYTES[list(b"-+ 0123456789tf")] = True


def column_type(integral: int, fractional: int, boolean: int, string: int) -> str:
    """The column's type from its per-value type counts (Deequ's precedence)."""
    numeric = integral + fractional
    if numeric + boolean + string == 0:
        return UNKNOWN
    if string > 0 or (boolean > 0 and numeric > 0):
        return STRING
    if boolean > 0:
        return BOOLEAN
    if fractional > 0:
        return FRACTIONAL
    return INTEGRAL


@dataclass
class ClassifiedBatch:
    """What one batch of one column contributes to its profile.

    ``numbers`` are the numeric values in row order (numeric text parsed); ``texts`` and
    ``text_counts`` are the distinct non-numeric values and how often each occurred
    (all distinct texts of a text column, including numeric ones, since SageMaker lists
    every value of a String column); ``texts`` feed the distinct-count sketch by their
    text, ``distinct_numbers`` by their value. ``integral_valued`` counts the whole
    numbers among the values of a floating-point column, whose text is unknown.
    """

    count: int
    null_count: int
    integral: int = 0
    fractional: int = 0
    boolean: int = 0
    string: int = 0
    numbers: np.ndarray = field(default_factory=lambda: np.empty(0))
    texts: pa.Array | None = None  # strings, or dates/times listed as text when shown
    text_counts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    distinct_numbers: np.ndarray = field(default_factory=lambda: np.empty(0))
    arrow_type: str = "null"
    integral_valued: int = 0


def classify(array: pa.Array) -> ClassifiedBatch:
    """Classify one Arrow array (a column of one batch)."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        indices, dictionary = _in_order_of_use(array)
        return _classify_dictionary(indices, dictionary, str(kind.value_type))
    if pa.types.is_null(kind):
        return ClassifiedBatch(count=len(array), null_count=len(array), arrow_type="null")
    if pa.types.is_integer(kind):
        return _classify_numbers(array, INTEGRAL, str(kind))
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return _classify_numbers(array, FRACTIONAL, str(kind))
    if pa.types.is_boolean(kind):
        return _classify_booleans(array)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        encoded = pc.dictionary_encode(array)
        return _classify_dictionary(encoded.indices, encoded.dictionary, "string")
    if pa.types.is_temporal(kind):
        # Counted as text, but kept as values: only the values that end up listed as
        # categories are ever rendered as text, and distinct counts hash the numbers.
        encoded = pc.dictionary_encode(array)
        batch = _classify_dictionary(
            encoded.indices, encoded.dictionary, str(kind), texts_only=True
        )
        physical = (
            pa.int32() if pa.types.is_date32(kind) or pa.types.is_time32(kind) else pa.int64()
        )
        batch.distinct_numbers = values_of(batch.texts.cast(physical)).astype(np.float64)
        return batch
    # Nested and binary values have no Deequ type of their own: Spark would show them as text.
    encoded = pc.dictionary_encode(_as_json_text(array))
    return _classify_dictionary(encoded.indices, encoded.dictionary, str(kind), texts_only=True)


def _in_order_of_use(array: pa.DictionaryArray) -> tuple[pa.Array, pa.Array]:
    """The indices and dictionary of ``array`` as ``dictionary_encode`` of its decoded
    values gives them: the values its rows use, in the order the rows first use them.

    A reader's dictionary may list values in another order (Parquet's covers a whole
    row group) or repeat one, and the sketches keep whichever of equally frequent
    values they see first: a profile must not depend on how its input was encoded.
    Only the indices are hashed, and the dictionary's used values once.
    """
    indices, dictionary = array.indices, array.dictionary
    used = pc.unique(indices)  # in order of first use
    if used.null_count:
        used = used.drop_null()
    dictionary = dictionary.take(used)
    if len(pc.unique(dictionary)) < len(dictionary):
        encoded = pc.dictionary_encode(array.cast(array.type.value_type))
        return encoded.indices, encoded.dictionary
    renumber = np.zeros(len(array.dictionary), dtype=np.int64)
    renumber[values_of(used)] = np.arange(len(used))
    return pc.take(from_indices(renumber), indices), dictionary


def _classify_numbers(array: pa.Array, kind: str, arrow_type: str) -> ClassifiedBatch:
    rows = len(array)
    if array.null_count or pa.types.is_decimal(array.type):
        # as Spark does: integers beyond 2**53 round to the nearest double
        array = pc.cast(pc.drop_null(array), pa.float64(), safe=False)
    values = values_of(array).astype(np.float64, copy=False)
    if kind == FRACTIONAL:
        missing = np.isnan(values)
        if missing.any():
            values = values[~missing]
    present = len(values)
    batch = ClassifiedBatch(
        count=rows,
        null_count=rows - present,
        numbers=values,
        distinct_numbers=values,
        arrow_type=arrow_type,
    )
    if kind == INTEGRAL:
        batch.integral = present
    else:
        batch.fractional = present
        with np.errstate(invalid="ignore"):
            batch.integral_valued = int(np.count_nonzero(values == np.floor(values)))
    return batch


def _classify_booleans(array: pa.Array) -> ClassifiedBatch:
    trues = int(pc.sum(array).as_py() or 0)
    present = len(array) - array.null_count
    texts, counts = [], []
    for text, count in (("false", present - trues), ("true", trues)):
        if count:
            texts.append(text)
            counts.append(count)
    return ClassifiedBatch(
        count=len(array),
        null_count=array.null_count,
        boolean=present,
        texts=from_strings(texts),
        text_counts=np.array(counts, dtype=np.int64),
        arrow_type="bool",
    )


def _classify_dictionary(
    indices: pa.Array, dictionary: pa.Array, arrow_type: str, texts_only: bool = False
) -> ClassifiedBatch:
    """Classify text values given as dictionary indices (one per row) and distinct values."""
    count = len(indices)
    null_count = indices.null_count
    if null_count:
        indices = pc.drop_null(indices)
    codes = values_of(indices).astype(np.int64)
    counts = np.bincount(codes, minlength=len(dictionary))
    used = counts > 0
    if not used.all():
        keep = np.flatnonzero(used)
        remap = np.full(len(dictionary), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        codes = remap[codes]
        dictionary = dictionary.take(from_indices(keep))
        counts = counts[keep]
    if pa.types.is_large_string(dictionary.type) or pa.types.is_string_view(dictionary.type):
        dictionary = pc.cast(dictionary, pa.string())
    batch = ClassifiedBatch(count=count, null_count=null_count, arrow_type=arrow_type)
    if dictionary.null_count:
        # a null inside the dictionary (rare) is a missing value like any other
        dictionary_nulls = mask(dictionary.is_null())
        batch.null_count += int(counts[dictionary_nulls].sum())
        not_null_rows = ~dictionary_nulls[codes]
        codes = codes[not_null_rows]
        keep = np.flatnonzero(~dictionary_nulls)
        remap = np.full(len(dictionary), -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        codes = remap[codes]
        dictionary = dictionary.take(from_indices(keep))
        counts = counts[keep]
    batch.texts = dictionary
    batch.text_counts = counts.astype(np.int64)
    if texts_only:
        batch.string = int(counts.sum())
        return batch
    is_integral, is_fractional, is_boolean = _text_types(dictionary)
    batch.integral = int(counts[is_integral].sum())
    batch.fractional = int(counts[is_fractional].sum())
    batch.boolean = int(counts[is_boolean].sum())
    batch.string = int(counts.sum()) - batch.integral - batch.fractional - batch.boolean
    numeric = is_integral | is_fractional
    if numeric.any():
        numeric_text = dictionary.filter(from_mask(numeric))
        parsed = pc.cast(pc.replace_substring(numeric_text, " ", ""), pa.float64())
        lookup = np.full(len(dictionary), np.nan)
        lookup[numeric] = values_of(parsed)  # texts that matched a number always parse
        values = lookup[codes]
        batch.numbers = values[~np.isnan(values)]
    return batch


def _text_types(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integral, Fractional and Boolean masks of distinct texts (the rest is String).

    Only texts whose first character can start a number or a boolean go through the
    three regular expressions: identifiers and words, often most of a high-cardinality
    column, are String at the cost of one cheap test.
    """
    size = len(values)
    candidates = _candidates(values)
    masks = [np.zeros(size, dtype=bool) for _ in range(3)]
    if not candidates.any():
        return masks[0], masks[1], masks[2]
    subset = values.filter(from_mask(candidates))
    positions = np.flatnonzero(candidates)
    integral = _matches(subset, INTEGRAL_PATTERN)
    fractional = _matches(subset, FRACTIONAL_PATTERN) & ~integral
    boolean = _matches(subset, BOOLEAN_PATTERN)
    for target, found in zip(masks, (integral, fractional, boolean), strict=True):
        target[positions[found]] = True
    return masks[0], masks[1], masks[2]


def _candidates(values: pa.StringArray) -> np.ndarray:
    """Which texts match ``CANDIDATE_PATTERN``, told by their first byte in NumPy: a
    regular expression over every distinct text cost a high-cardinality column a
    quarter of its classification."""
    offsets, data = values.buffers()[1:3]
    found = np.zeros(len(values), dtype=bool)
    if data is None or data.size == 0 or len(values) == 0:
        return found
    ends = np.frombuffer(offsets, dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    text = np.frombuffer(data, dtype=np.uint8)
    first = text[np.minimum(ends[:-1], len(text) - 1)]
    np.logical_and(_CANDIDATE_BYTES[first], ends[1:] > ends[:-1], out=found)
    if values.null_count:
        found &= mask(values.is_valid())
    return found


def _matches(values: pa.Array, pattern: str) -> np.ndarray:
    return mask(pc.match_substring_regex(values, pattern))


def as_text(array: pa.Array) -> pa.Array:
    """The values of any column as text: text as it is, numbers, booleans and times as
    Arrow writes them, nested and binary values as the JSON text the profile counts.

    >>> as_text(pa.array([[1, 2], None])).to_pylist()
    ['[1, 2]', None]
    """
    if pa.types.is_string(array.type):
        return array
    if any(test(array.type) for test in _CAST_AS_TEXT):
        return pc.cast(array, pa.string())
    return _as_json_text(array)  # as classify counts them


_CAST_AS_TEXT = (
    pa.types.is_large_string,
    pa.types.is_string_view,
    pa.types.is_null,
    pa.types.is_boolean,
    pa.types.is_integer,
    pa.types.is_floating,
    pa.types.is_decimal,
    pa.types.is_temporal,
)


def _as_json_text(array: pa.Array) -> pa.Array:
    # Rare column types only: a per-value conversion is acceptable here. Types nested
    # deeper than the stack allows json.dumps are written without recursion.
    deep = type_nesting(array.type) > MAX_NESTING
    texts = [
        None
        if value is None
        else json_text(value)
        if deep
        else json.dumps(value, default=str, sort_keys=True)
        for value in array.to_pylist()
    ]
    return pa.array(texts, type=pa.string())
