"""Column names every batch can rely on: unique and non-empty."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa


def unique_names(names: Sequence[str]) -> list[str]:
    """Make column names unique and non-empty without dropping any column.

    An empty (or blank) name becomes SageMaker's positional ``_c<i>``; a repeated name
    gets ``_1``, ``_2``… — skipping suffixes that another column already uses.

    >>> unique_names(["a", "", "a", "a_1"])
    ['a', '_c1', 'a_2', 'a_1']
    """
    originals = set(names)
    used: set[str] = set()
    result = []
    for index, name in enumerate(names):
        generated = not name.strip()
        candidate = f"_c{index}" if generated else name
        if candidate in used or (generated and candidate in originals):
            candidate = _next_free(candidate, used | originals)
        used.add(candidate)
        result.append(candidate)
    return result


def _next_free(base: str, taken: set[str]) -> str:
    suffix = 1
    while f"{base}_{suffix}" in taken:
        suffix += 1
    return f"{base}_{suffix}"


def renamed(batch: pa.RecordBatch, names: Sequence[str]) -> pa.RecordBatch:
    """The batch with its columns renamed by position (no copy of the data)."""
    if list(batch.schema.names) == list(names):
        return batch
    return pa.RecordBatch.from_arrays(batch.columns, names=list(names))


def with_unique_names(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with :func:`unique_names` applied to its columns."""
    return renamed(batch, unique_names(batch.schema.names))
