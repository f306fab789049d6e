"""Rows to explain (or a SHAP baseline) as one float matrix with its feature names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import CsvOptions, read_batches


def feature_matrix(
    source: Any,
    features: Sequence[str] | None,
    *,
    what: str = "data",
    csv: CsvOptions | None = None,
    format: str | None = None,
) -> tuple[np.ndarray, list[str]]:
    """``source`` as a ``(rows, features)`` float array and the names of its columns.

    ``source`` is a 2-D NumPy array (its columns are ``features``, or ``_c0``, ``_c1``, ...
    as SageMaker names headerless columns) or anything :func:`~watchkeeper.io.read_batches`
    reads (a file, folder or URI, a DataFrame, an Arrow table); from a table, ``features``
    selects and orders the columns, and every column is taken when it is ``None``.
    Missing values become NaN.

    >>> matrix, names = feature_matrix(np.array([[1, 2], [3, 4]]), None)
    >>> matrix.tolist(), names
    ([[1.0, 2.0], [3.0, 4.0]], ['_c0', '_c1'])
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, features, what)
    columns: list[list[np.ndarray]] | None = None
    names: list[str] = []
    for batch in read_batches(source, csv=csv, format=format):
        if columns is None:
            names = _chosen(batch.schema.names, features, what)
            columns = [[] for _ in names]
        for index, name in enumerate(names):
            columns[index].append(_numeric(batch, name, what))
    if columns is None or not names:
        raise InputError(f"{what}: has no columns")
    matrix = np.column_stack([np.concatenate(parts) for parts in columns])
    if matrix.shape[0] == 0:
        raise InputError(f"{what}: has no rows")
    return matrix, names


def _from_array(array: np.ndarray, features: Sequence[str] | None, what: str) -> tuple:
    if array.ndim != 2:
        raise UsageError(f"{what} must be a 2-D array (one row per record), not {array.ndim}-D")
    if array.shape[0] == 0:
        raise InputError(f"{what}: has no rows")
    names = list(features) if features is not None else [f"_c{i}" for i in range(array.shape[1])]
    if len(names) != array.shape[1]:
        raise InputError(f"{what}: has {array.shape[1]} columns, not the {len(names)} features")
    try:
        return array.astype(np.float64), names
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what}: Kernel SHAP needs numeric features ({exc})") from exc


def _chosen(present: list[str], features: Sequence[str] | None, what: str) -> list[str]:
    if features is None:
        return list(present)
    missing = [name for name in features if name not in present]
    if missing:
        shown = ", ".join(repr(name) for name in missing[:5])
        raise InputError(f"{what}: has no column {shown} (it has {', '.join(present[:10])})")
    return list(features)


def _numeric(batch: pa.RecordBatch, name: str, what: str) -> np.ndarray:
    column = batch.column(name)
    kind = column.type
    numeric = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_null)
    if not any(test(kind) for test in numeric):
        held = "text" if pa.types.is_string(kind) or pa.types.is_large_string(kind) else kind
        raise InputError(
            f"{what}: column {name!r} holds {held}, and Kernel SHAP needs numeric features"
        )
    # nulls come out of a float64 array as NaN, which shap.kmeans imputes and models may take
    values = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)
