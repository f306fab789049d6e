"""A bounded, seeded, uniform sample of a table's rows, kept while the table streams past.

Every row gets a random key; the sample is the ``size`` rows with the smallest keys seen
so far (a bottom-k sample), so each row of the whole input is equally likely to be kept
whatever the order or size of the batches, and memory stays at ``size`` rows. Only the
columns a multivariate detector can read are kept: numbers (as float64, booleans as 0/1)
and text, of which :meth:`RowSample.table` keeps the low-cardinality columns.

>>> import pyarrow as pa
>>> sample = RowSample(size=3, seed=0)
>>> for start in range(0, 10, 4):
...     sample.observe(pa.record_batch({"x": list(range(start, start + 4)),
...                                     "id": [f"row{i}" for i in range(start, start + 4)]}))
>>> table = sample.table()
>>> table.num_rows, table.column_names
(3, ['x'])
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import FormatError
from watchkeeper.io.arrays import from_indices, values
from watchkeeper.io.vectors import embedding_matrix, is_vector_type

SAMPLE_ROWS = 10_000
# a text column with more distinct values than this (or than half its rows) is an
# identifier or free text, not a category a multivariate detector can encode
MAX_CATEGORIES = 100
# the widest sample kept: 10,000 rows × 200 columns is 16 MB of float64
MAX_COLUMNS = 200
NUMERIC, CATEGORICAL = "numeric", "categorical"
# vectors are kept whole; the domain classifier reads their dimensions (see expand_vectors)
EMBEDDING = "embedding"
EMBEDDING_TYPE = pa.list_(pa.float64())
_KEY = "__watchkeeper_sample_key"


def column_kind(kind: pa.DataType) -> str | None:
    """How a multivariate detector reads a column of Arrow type ``kind``, or None."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return NUMERIC
    if pa.types.is_boolean(kind):
        return NUMERIC
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return CATEGORICAL
    if is_vector_type(kind):
        return EMBEDDING
    return None


def normalised(values: pa.Array | pa.ChunkedArray, kind: str) -> pa.Array:
    """``values`` as the sample keeps them: float64 numbers or UTF-8 text."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if kind == EMBEDDING:
        return pc.cast(values, EMBEDDING_TYPE)
    return pc.cast(values, pa.float64() if kind == NUMERIC else pa.string())


class RowSample:
    """Up to ``size`` rows drawn uniformly from every batch :meth:`observe` saw, and
    from every sample :meth:`merge` added.

    ``seed`` is a number or a sequence of numbers (e.g. a base seed and a partition's
    number, so that samples of different parts of one input draw independent keys).
    """

    def __init__(self, size: int = SAMPLE_ROWS, seed: int | Sequence[int] = 0) -> None:
        if size < 1:
            raise ValueError("a sample holds at least one row")
        self.size = size
        self.rows_seen = 0
        self.kinds: dict[str, str] = {}
        self._random = np.random.default_rng(seed)
        self._parts: list[pa.Table] = []
        self._pending = 0
        self._kept: pa.Table | None = None
        # the largest key kept once the sample is full: only smaller keys can enter
        self._bar = 1.0

    def observe(self, batch: pa.RecordBatch | pa.Table) -> None:
        keys = self._random.random(batch.num_rows)
        self.rows_seen += batch.num_rows
        chosen = np.flatnonzero(keys < self._bar)
        if not len(chosen):
            return
        rows = batch.take(from_indices(chosen)) if len(chosen) < batch.num_rows else batch
        part = self._columns(rows)
        self._parts.append(part.append_column(_KEY, floats(keys[chosen])))
        self._pending += len(chosen)
        if self._pending >= self.size:
            self._trim()

    def merge(self, other: RowSample) -> None:
        """Add the rows ``other`` kept of other rows, drawn with its own seed: the result is
        the sample this one would be had it seen both inputs, and stays ``size`` rows.

        >>> import pyarrow as pa
        >>> left, right = RowSample(size=4, seed=[0, 0]), RowSample(size=4, seed=[0, 1])
        >>> left.observe(pa.table({"x": [1.0, 2.0, 3.0]}))
        >>> right.observe(pa.table({"x": [4.0, 5.0, 6.0]}))
        >>> left.merge(right)
        >>> left.rows_seen, left.table().num_rows
        (6, 4)
        """
        if other._parts:
            other._trim()
        self.rows_seen += other.rows_seen
        kept = other._kept
        if kept is None or not kept.num_rows:
            return
        for name in kept.column_names:
            if name == _KEY:
                continue
            mine = self.kinds.get(name)
            if mine is None and len(self.kinds) < MAX_COLUMNS:
                self.kinds[name] = mine = other.kinds[name]
            if mine != other.kinds[name]:
                kept = kept.drop_columns([name])  # read as another kind there: left null
        self._parts.append(kept)
        self._pending += kept.num_rows
        if self._pending >= self.size:
            self._trim()

    def _columns(self, rows: pa.RecordBatch | pa.Table) -> pa.Table:
        columns = {}
        for name, column in zip(rows.schema.names, rows.columns, strict=True):
            if name == _KEY:
                continue
            kind = self.kinds.get(name) or column_kind(column.type)
            if kind is None or (name not in self.kinds and len(self.kinds) >= MAX_COLUMNS):
                continue
            try:
                columns[name] = normalised(column, kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue  # this batch's values are not of the column's kind: left null
            self.kinds[name] = kind
        # selecting no column keeps the row count, so keys and rows stay aligned
        if columns:
            return pa.Table.from_arrays(list(columns.values()), names=list(columns))
        keys_only = pa.RecordBatch.from_arrays([floats(np.zeros(rows.num_rows))], [_KEY])
        return pa.Table.from_batches([keys_only]).select([])

    def _trim(self) -> None:
        parts = [self._kept, *self._parts] if self._kept is not None else self._parts
        table = pa.concat_tables(parts, promote_options="default")
        self._parts, self._pending = [], 0
        if table.num_rows > self.size:
            keys = values(table[_KEY].combine_chunks())
            keep = np.sort(np.argpartition(keys, self.size - 1)[: self.size])
            table = table.take(from_indices(keep))
        if table.num_rows >= self.size:
            self._bar = float(pc.max(table[_KEY]).as_py())
        self._kept = table

    def table(self) -> pa.Table:
        """The sample, in the order its rows were read: numeric columns and the text
        columns of at most :data:`MAX_CATEGORIES` distinct values (and at most half as
        many as the sample's rows)."""
        if self._parts:
            self._trim()
        if self._kept is None:
            return pa.schema([]).empty_table()
        table = self._kept.drop_columns([_KEY])
        keep = []
        for name in table.column_names:
            if self.kinds[name] == CATEGORICAL:
                distinct = pc.count_distinct(table[name]).as_py()
                if distinct > MAX_CATEGORIES or distinct > max(table.num_rows // 2, 2):
                    continue
            keep.append(name)
        return table.select(keep).combine_chunks()


def floats(numbers: np.ndarray) -> pa.DoubleArray:
    """An Arrow float64 array of NumPy numbers, built from the buffer (``pyarrow.array``
    would import pandas)."""
    numbers = np.ascontiguousarray(numbers, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), len(numbers), [None, pa.py_buffer(numbers)])


def sample_bytes(table: pa.Table) -> bytes:
    """The sample as the bytes of a Parquet file."""
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def sample_from_bytes(data: bytes, source: str) -> pa.Table:
    """A sample read back from :func:`sample_bytes`; a file that is not one is refused."""
    import pyarrow.parquet as pq

    try:
        # batch by batch, as the Parquet reader does: read_table would import pandas
        file = pq.ParquetFile(io.BytesIO(data))
        table = pa.Table.from_batches(list(file.iter_batches()), schema=file.schema_arrow)
    except (pa.ArrowException, OSError) as exc:
        raise FormatError(f"{source}: not a readable Parquet sample ({exc})") from None
    for name, kind in zip(table.column_names, table.schema.types, strict=True):
        if kind not in (pa.float64(), pa.string(), EMBEDDING_TYPE):
            raise FormatError(
                f"{source}: column {name!r} is {kind}; a sample holds float64 numbers, "
                "text and lists of float64"
            )
    return table


def expand_vectors(table: pa.Table) -> pa.Table:
    """``table`` with each embedding column replaced by one float64 column per
    dimension, named ``name[i]``; a column of unequal or incomplete vectors is left
    out.

    >>> expand_vectors(pa.table({"v": [[1.0, 2.0]], "x": [3.0]})).column_names
    ['v[0]', 'v[1]', 'x']
    """
    columns: dict[str, pa.Array] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if not is_vector_type(column.type):
            columns[name] = column
            continue
        if column.null_count:
            continue  # rows without a vector would shift the matrix's rows
        matrix = embedding_matrix(column)
        if matrix is None or not matrix.size:
            continue
        for dimension in range(matrix.shape[1]):
            columns[f"{name}[{dimension}]"] = floats(matrix[:, dimension])
    return pa.table(columns) if columns else table.select([])
