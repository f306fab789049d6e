"""The profile of a table: a row count and one :class:`ColumnProfile` per column."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pyarrow as pa

from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.types import classify


class DatasetProfile:
    """A small, mergeable summary of a table, built batch by batch.

    ``track`` adds a batch in place; ``merge`` returns a new profile and leaves both
    inputs as they were, so ``merge(profile(A), profile(B))`` is ``profile(A + B)``
    (counts and moments exactly, sketches within their error). Columns keep the order
    in which they were first seen. A column missing from some batches counts those
    batches' rows as missing values.

    >>> import pyarrow as pa
    >>> p = DatasetProfile()
    >>> p.track(pa.table({"x": [1.0, 2.0, None]}))
    >>> p.rows, p.columns["x"].null_count, p.columns["x"].mean
    (3, 1, 1.5)
    """

    def __init__(self, metadata: dict[str, str] | None = None) -> None:
        self.rows = 0
        self.columns: dict[str, ColumnProfile] = {}
        self.metadata: dict[str, str] = dict(metadata or {})

    def track(self, data: pa.RecordBatch | pa.Table) -> None:
        """Add a record batch or table."""
        for batch in _batches(data):
            self._track_batch(batch)

    def track_all(self, batches: Iterable[pa.RecordBatch]) -> DatasetProfile:
        for batch in batches:
            self._track_batch(batch)
        return self

    def _track_batch(self, batch: pa.RecordBatch) -> None:
        rows = batch.num_rows
        seen = set()
        for name, array in zip(batch.schema.names, batch.columns, strict=True):
            if name in seen:
                continue  # readers give unique names; a hand-made batch might not
            seen.add(name)
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = ColumnProfile()
                column.add_missing(self.rows)
            column.update(classify(array))
        for name, column in self.columns.items():
            if name not in seen:
                column.add_missing(rows)
        self.rows += rows

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """A new profile of both inputs; neither input changes."""
        merged = DatasetProfile({**self.metadata, **other.metadata})
        merged.rows = self.rows + other.rows
        for name in [*self.columns, *(n for n in other.columns if n not in self.columns)]:
            mine, theirs = self.columns.get(name), other.columns.get(name)
            if mine is None:
                mine = ColumnProfile()
                mine.add_missing(self.rows)
            if theirs is None:
                theirs = ColumnProfile()
                theirs.add_missing(other.rows)
            merged.columns[name] = mine.merge(theirs)
        return merged

    def copy(self) -> DatasetProfile:
        return DatasetProfile(self.metadata).merge(self)

    def __repr__(self) -> str:
        return f"DatasetProfile(rows={self.rows}, columns={list(self.columns)})"


def _batches(data: pa.RecordBatch | pa.Table) -> Iterator[pa.RecordBatch]:
    if isinstance(data, pa.RecordBatch):
        yield data
    elif isinstance(data, pa.Table):
        batches = data.to_batches()
        if not batches:  # keep the columns of an empty table
            arrays = [pa.array([], type=field.type) for field in data.schema]
            batches = [pa.RecordBatch.from_arrays(arrays, schema=data.schema)]
        yield from batches
    else:
        raise TypeError(f"expected a pyarrow RecordBatch or Table, got {type(data).__name__}")
