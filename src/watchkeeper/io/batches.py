"""Batch-level helpers shared by every reader."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    """A zero-row batch with the given columns."""
    return pa.RecordBatch.from_arrays([pa.nulls(0, field.type) for field in schema], schema=schema)


def bounded(batches: Iterable[pa.RecordBatch], max_rows: int) -> Iterator[pa.RecordBatch]:
    """The same rows with no batch longer than ``max_rows`` (slices share memory)."""
    for batch in batches:
        if batch.num_rows <= max_rows:
            yield batch
            continue
        for offset in range(0, batch.num_rows, max_rows):
            yield batch.slice(offset, max_rows)
