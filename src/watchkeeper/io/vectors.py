"""Columns of equal-length numeric lists (embeddings) as NumPy matrices.

>>> import pyarrow as pa
>>> embedding_matrix(pa.array([[1.0, 2.0], None, [3.0, 4.0]])).tolist()
[[1.0, 2.0], [3.0, 4.0]]
>>> embedding_matrix(pa.array([[1.0, 2.0], [3.0]])) is None
True
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.io.arrays import values as values_of


def is_vector_type(kind: pa.DataType) -> bool:
    """List types whose values are numbers: the candidates for an embedding."""
    lists = (pa.types.is_list, pa.types.is_large_list, pa.types.is_fixed_size_list)
    if not any(test(kind) for test in lists):
        return False
    value = kind.value_type
    return pa.types.is_floating(value) or pa.types.is_integer(value)


def embedding_matrix(array: pa.Array) -> np.ndarray | None:
    """The present vectors of a list column as a float64 matrix (rows × dimensions), or
    None when they differ in length or hold missing elements."""
    if isinstance(array, pa.ChunkedArray):
        array = pa.concat_arrays(array.chunks) if array.num_chunks else pa.array([], array.type)
    if not is_vector_type(array.type):
        return None
    if array.null_count:
        array = pc.drop_null(array)
    if not len(array):
        return np.empty((0, 0))
    lengths = values_of(pc.list_value_length(array))
    if (lengths != lengths[0]).any() or lengths[0] == 0:
        return None
    flat = pc.list_flatten(array)
    if flat.null_count:
        return None
    matrix = values_of(flat).astype(np.float64).reshape(len(array), int(lengths[0]))
    if not np.isfinite(matrix).all():
        return None
    return matrix
