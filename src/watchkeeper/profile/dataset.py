"""The profile of a table: a row count and one :class:`ColumnProfile` per column."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache

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

    def __init__(
        self,
        metadata: dict[str, str] | None = None,
        *,
        text_columns: Mapping[str, bool] | None = None,
    ) -> None:
        self.rows = 0
        self.columns: dict[str, ColumnProfile] = {}
        self.metadata: dict[str, str] = dict(metadata or {})
        # columns forced to be free text (True) or not (False); the others decide alone
        self.text_columns: dict[str, bool] = dict(text_columns or {})
        self._costs: dict[str, float] = {}

    def track(self, data: pa.RecordBatch | pa.Table, *, parallel: bool = True) -> None:
        """Add a record batch or table.

        ``parallel=False`` profiles its columns on this thread only (when another
        thread, e.g. a parser, already keeps the cores busy).
        """
        for batch in _batches(data):
            self._track_batch(batch, parallel)

    def _track_batch(self, batch: pa.RecordBatch, parallel: bool = True) -> None:
        rows = batch.num_rows
        work: dict[str, tuple[ColumnProfile, pa.Array]] = {}
        for name, array in zip(batch.schema.names, batch.columns, strict=True):
            if name in work:
                continue  # readers give unique names; a hand-made batch might not
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = ColumnProfile()
                column.text_choice = self.text_columns.get(name)
                column.add_missing(self.rows)
            work[name] = (column, array)
        # Columns are independent and NumPy/Arrow release the GIL in their kernels, so
        # columns are profiled side by side; each column still sees its batches in order.
        pool = _pool() if parallel else None
        if pool is None or len(work) < 2 or rows < PARALLEL_MIN_ROWS:
            for column, array in work.values():
                _update(column, array)
        else:
            # The batch ends when its slowest column does: columns that took longest last
            # time start first, so the short ones fill the threads' idle ends.
            costs = self._costs
            names = sorted(work, key=lambda name: -costs.get(name, 0.0))

            def update(name: str) -> None:
                started = time.thread_time()
                _update(*work[name])
                costs[name] = time.thread_time() - started

            list(pool.map(update, names))
        for name, column in self.columns.items():
            if name not in work:
                column.add_missing(rows)
        self.rows += rows

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """A new profile of both inputs; neither input changes."""
        merged = DatasetProfile(
            {**self.metadata, **other.metadata},
            text_columns={**other.text_columns, **self.text_columns},
        )
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
        return DatasetProfile(self.metadata, text_columns=self.text_columns).merge(self)

    def follow_text_choices(self, choices: Mapping[str, bool]) -> None:
        """Read each column of ``choices`` as free text (True) or not (False) from the
        next batch on, unless it has decided already."""
        for name, choice in choices.items():
            self.text_columns.setdefault(name, choice)
            column = self.columns.get(name)
            if column is not None and column.text_choice is None:
                column.text_choice = choice

    def decided_text_choices(self) -> dict[str, bool]:
        """The free-text choice of every column that has made one (forced, or decided on
        its first batch of text)."""
        return {
            name: column.text_choice
            for name, column in self.columns.items()
            if column.text_choice is not None
        }

    def text_choices(self) -> dict[str, bool]:
        """Which columns this profile keeps as free text: the ``text_columns`` by which
        more data judged against it is read the same way."""
        return {name: column.text is not None for name, column in self.columns.items()}

    def __repr__(self) -> str:
        return f"DatasetProfile(rows={self.rows}, columns={list(self.columns)})"


PARALLEL_MIN_ROWS = 4096


def _update(column: ColumnProfile, array: pa.Array) -> None:
    column.update(classify(array))
    column.track_vectors(array)


@cache
def _pool() -> ThreadPoolExecutor | None:
    """Threads for profiling columns: ``WATCHKEEPER_THREADS``, else one per core (up to 8)."""
    wanted = os.environ.get("WATCHKEEPER_THREADS")
    threads = int(wanted) if wanted and wanted.isdigit() else min(os.cpu_count() or 1, 8)
    if threads <= 1:
        return None
    return ThreadPoolExecutor(threads, thread_name_prefix="watchkeeper-profile")


def _batches(data: pa.RecordBatch | pa.Table) -> Iterator[pa.RecordBatch]:
    if isinstance(data, pa.RecordBatch):
        yield data
    elif isinstance(data, pa.Table):
        batches = data.to_batches()
        if not batches:  # keep the columns of an empty table
            arrays = [pa.nulls(0, field.type) for field in data.schema]
            batches = [pa.RecordBatch.from_arrays(arrays, schema=data.schema)]
        yield from batches
    else:
        raise TypeError(f"expected a pyarrow RecordBatch or Table, got {type(data).__name__}")
