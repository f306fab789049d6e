"""From columns of a table to the boolean columns the metrics count: who is in the
sensitive group, whose label (or prediction) is positive, and Clarify's texts for them.

A set of values selects the rows holding one of them; a threshold ``t`` selects the
rows above it, Clarify's interval ``(t, max]``.

>>> import pyarrow as pa
>>> column = pa.chunked_array([[0.2, 0.7, 0.9]])
>>> above(column, 0.5).tolist(), interval_text(column, 0.5)
([False, True, True], '(0.5, 0.9]')
>>> member(pa.chunked_array([["f", "m", "f"]]), ["f"], "sex").tolist()
[True, False, True]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import UsageError
from watchkeeper.io.arrays import mask

_TRUE_TEXTS = ("true", "1", "yes")
_FALSE_TEXTS = ("false", "0", "no")


def _chunked(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks()
    return column


def is_numeric(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def _value_set(column: pa.Array, values: Sequence[Any], name: str) -> tuple[pa.Array, pa.Array]:
    """The column and the values in one comparable type (numbers, booleans or text)."""
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if is_numeric(kind):
        numbers = []
        for value in values:
            try:
                numbers.append(float(value))
            except (TypeError, ValueError):
                raise UsageError(
                    f"value {value!r} is not a number, but column {name!r} holds numbers"
                ) from None
        return pc.cast(column, pa.float64()), pa.array(numbers, pa.float64())
    if pa.types.is_boolean(kind):
        flags = []
        for value in values:
            text = str(value).strip().lower()
            if text not in _TRUE_TEXTS + _FALSE_TEXTS:
                raise UsageError(
                    f"value {value!r} is not true or false, but column {name!r} holds booleans"
                )
            flags.append(text in _TRUE_TEXTS)
        return column, pa.array(flags, pa.bool_())
    return pc.cast(column, pa.string()), pa.array([str(value) for value in values], pa.string())


def member(column: pa.ChunkedArray | pa.Array, values: Sequence[Any], name: str) -> np.ndarray:
    """Rows whose value is one of ``values`` (compared in the column's type; nulls never)."""
    array, wanted = _value_set(_chunked(column), values, name)
    return mask(pc.is_in(array, value_set=wanted))


def numbers(column: pa.ChunkedArray | pa.Array, name: str) -> np.ndarray:
    """A numeric column as float64 (nulls as NaN), or a UsageError naming it."""
    array = _chunked(column)
    if not is_numeric(array.type) and not pa.types.is_boolean(array.type):
        raise UsageError(
            f"column {name!r} holds {array.type} values; a threshold needs a numeric column"
        )
    return pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)


def above(column: pa.ChunkedArray | pa.Array, threshold: float, name: str = "") -> np.ndarray:
    """Rows whose value is greater than ``threshold`` (Clarify's ``(t, max]``)."""
    values = numbers(column, name)
    with np.errstate(invalid="ignore"):
        return values > threshold


def _number_text(value: Any, whole: bool) -> str:
    if whole:
        return str(int(value))
    return repr(float(value))


def interval_text(column: pa.ChunkedArray | pa.Array, threshold: float, name: str = "") -> str:
    """Clarify's text for threshold ``t``: ``"(t, max]"``, numbers printed as pandas does.

    The bounds are whole numbers when both the threshold and the column are; Clarify
    makes no interval (an empty text) when ``t`` equals ``|max|``.
    """
    array = _chunked(column)
    values = numbers(array, name)
    finite = values[~np.isnan(values)]
    top = float(finite.max()) if len(finite) else math.nan
    if abs(top) == threshold:
        return ""
    whole = isinstance(threshold, int) and not isinstance(threshold, bool)
    whole = whole and (pa.types.is_integer(array.type) or pa.types.is_boolean(array.type))
    low, high = sorted([threshold, top])
    return f"({_number_text(low, whole)}, {_number_text(high, whole)}]"


def values_text(values: Sequence[Any]) -> str:
    """Clarify's text for a set of values: joined with commas.

    >>> values_text([1, "b"])
    '1,b'
    """
    return ",".join(str(value) for value in values)


def distinct_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """The column's values in order of first appearance, nulls left out."""
    unique = pc.unique(_chunked(column))
    return [value for value in unique.to_pylist() if value is not None]


def group_codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, int]:
    """Each row's group as a code 0 .. k-1 in the sorted order of the group values
    (nulls last, as one more group)."""
    array = _chunked(column)
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    encoded = pc.dictionary_encode(array)
    dictionary = encoded.dictionary
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[pc.sort_indices(dictionary).to_numpy()] = np.arange(len(dictionary))
    indices = encoded.indices
    if indices.null_count:
        indices = pc.fill_null(indices, len(dictionary))
        rank = np.append(rank, len(dictionary))
    codes = rank[pc.cast(indices, pa.int64()).to_numpy()]
    return codes, len(rank)
