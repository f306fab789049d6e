"""What ``log`` accepts, as Arrow record batches.

Tables and frames go through :mod:`watchkeeper.io.frames`, as every other in-memory
source does; the logger adds the two shapes an application has at hand when it logs
from a request handler: a dict of columns and a single dict (one row).

>>> [batch.num_rows for batch in logged_batches({"x": [1, 2, 3]})]
[3]
>>> logged_batches({"x": 1.5, "y": "a"})[0].to_pylist()
[{'x': 1.5, 'y': 'a'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.errors import UsageError
from watchkeeper.io.frames import memory_source
from watchkeeper.io.messages import first_line
from watchkeeper.io.options import BATCH_ROWS

_ACCEPTED = (
    "a pandas or polars DataFrame, a pyarrow Table or RecordBatch, a dict of columns, "
    "a list of dicts (one per row) or one dict (one row)"
)


def logged_batches(data: object) -> list[pa.RecordBatch]:
    """``data`` as record batches with unique column names."""
    if isinstance(data, Mapping):
        data = _columns_table(data) if _is_columns(data) else [dict(data)]
    if isinstance(data, pa.RecordBatchReader):
        raise UsageError("cannot log a RecordBatchReader: read it to a Table first")
    source = memory_source(data, BATCH_ROWS)
    if source is None:
        raise UsageError(f"cannot log a {type(data).__name__}: pass {_ACCEPTED}")
    return list(source.batches)


def _is_columns(data: Mapping[Any, Any]) -> bool:
    """Whether every value is a sequence of values (a column) rather than one value."""
    if not data:
        raise UsageError(f"nothing to log: the dict is empty; pass {_ACCEPTED}")
    return all(_is_column(value) for value in data.values())


def _is_column(value: object) -> bool:
    if isinstance(value, list | tuple | np.ndarray | pa.Array | pa.ChunkedArray):
        return True
    kind = type(value)
    return kind.__name__ == "Series" and kind.__module__.split(".")[0] in ("pandas", "polars")


def _columns_table(data: Mapping[Any, Any]) -> pa.Table | list[dict[str, Any]]:
    columns = {str(name): values for name, values in data.items()}
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise UsageError(f"the columns to log must be equally long: {described} values")
    try:
        return pa.table(columns)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        # a column mixing types: the records reader turns such a column into text
        if not all(isinstance(values, list | tuple) for values in columns.values()):
            raise UsageError(f"cannot log these columns: {first_line(exc)}") from exc
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
