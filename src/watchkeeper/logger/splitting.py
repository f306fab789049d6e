"""Splitting a batch into its segments, without a Python loop over rows.

Each segment column is dictionary-encoded; the rows' tuples of dictionary positions
are grouped with NumPy, and each group is taken out of the batch in one call. Python
code runs once per segment, never once per row. The segment columns are left out of
the parts: within a segment they hold one value, which the segment key already names.

>>> import pyarrow as pa
>>> batch = pa.record_batch({"country": ["DE", "FR", "DE", None], "x": [1, 2, 3, 4]})
>>> [(key, part.column("x").to_pylist()) for key, part in split_segments(batch, ["country"])]
[('country=DE', [1, 3]), ('country=FR', [2]), ('country=', [4])]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.datasets.segments import WHOLE, segment_key
from watchkeeper.errors import UsageError
from watchkeeper.io.arrays import from_indices, values


def split_segments(
    batch: pa.RecordBatch, columns: Sequence[str]
) -> list[tuple[str, pa.RecordBatch]]:
    """``(segment key, rows of the segment without the segment columns)``, in the order
    in which each segment first appears in the batch; empty batches give no parts."""
    check_segment_columns(batch.schema, columns)
    if batch.num_rows == 0:
        return []
    if not columns:
        return [(WHOLE, batch)]
    features = batch.drop_columns(list(columns))
    positions, dictionaries = zip(
        *(_encoded(batch.column(name), name) for name in columns), strict=True
    )
    combinations, group_of_row = np.unique(np.column_stack(positions), axis=0, return_inverse=True)
    group_of_row = group_of_row.reshape(-1)
    rows_by_group = np.split(
        np.argsort(group_of_row, kind="stable"), np.cumsum(np.bincount(group_of_row))[:-1]
    )
    # Different dictionary entries can name the same segment (NaN and null both read as
    # a missing value), so parts are gathered by key before they are taken.
    rows_by_key: dict[str, list[np.ndarray]] = {}
    for combination, rows in zip(combinations, rows_by_group, strict=True):
        named = {
            name: dictionary[position]
            for name, dictionary, position in zip(columns, dictionaries, combination, strict=True)
        }
        rows_by_key.setdefault(segment_key(named, columns), []).append(rows)
    parts = [
        (key, np.sort(np.concatenate(groups)) if len(groups) > 1 else groups[0])
        for key, groups in rows_by_key.items()
    ]
    parts.sort(key=lambda part: part[1][0])
    return [(key, features.take(from_indices(rows))) for key, rows in parts]


def check_segment_columns(schema: pa.Schema, columns: Sequence[str]) -> None:
    """Raise :class:`UsageError` unless every segment column is in ``schema`` with
    values that can name a segment."""
    missing = [name for name in columns if name not in schema.names]
    if missing:
        raise UsageError(
            f"segment column(s) {', '.join(map(repr, missing))} not in the logged data, "
            f"whose columns are {', '.join(map(repr, schema.names))}"
        )
    for name in columns:
        kind = schema.field(name).type
        if pa.types.is_nested(kind):
            raise _unusable(name, kind)


def _encoded(array: pa.Array, name: str) -> tuple[np.ndarray, list[object]]:
    """Each row's position in the column's dictionary (a null points one past its end),
    and the dictionary as Python values followed by ``None``."""
    try:
        encoded = pc.dictionary_encode(array)
    except pa.ArrowNotImplementedError:
        raise _unusable(name, array.type) from None
    dictionary = encoded.dictionary
    indices = pc.cast(encoded.indices, pa.int64())
    if indices.null_count:
        indices = pc.fill_null(indices, pa.scalar(len(dictionary), pa.int64()))
    return values(indices), [*dictionary.to_pylist(), None]


def _unusable(name: str, kind: pa.DataType) -> UsageError:
    return UsageError(
        f"segment column {name!r} holds {kind} values, which cannot name a segment: use a "
        "column of text, numbers, booleans or dates"
    )
