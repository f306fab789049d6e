"""What both online stores share: event times read exactly, and records prepared for
writing in chunks of ids, event microseconds and JSON documents.

A batch arrives as a list of dicts or as an Arrow table. A table is prepared column by
column (ids cast, event times read as a whole, JSON written by DuckDB), so a million rows
cost no Python per row; a list of dicts is prepared record by record.

>>> chunk, = prepared_chunks([{"id": 7, "v": 1.5, "t": "1970-01-01T00:00:01Z"}], "id", "t")
>>> chunk.ids, chunk.event_us, chunk.documents.to_pylist()
(['7'], [1000000], ['{"id": 7, "v": 1.5, "t": "1970-01-01T00:00:01Z"}'])
>>> import pyarrow as pa
>>> chunk, = prepared_chunks(pa.table({"id": [7], "v": [1.5], "t": [1.0]}), "id", "t")
>>> chunk.ids, chunk.event_us, chunk.documents.to_pylist()
(['7'], [1000000], ['{"id":7,"v":1.5,"t":1.0}'])
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import UsageError

__all__ = ["PreparedChunk", "event_time_us", "prepared_chunks", "select_features"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)
# the one text form Arrow's cast and ``datetime.fromisoformat`` read alike, to the
# microsecond; any other text is read value by value
_STRICT_UTC = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"
# rows per chunk: bounds the memory of the JSON documents and of the statements
CHUNK_ROWS = 50_000


def event_time_us(value: Any) -> int:
    """An event time as integer microseconds since the epoch, so that times compare exactly.

    Accepts a datetime (a naive one is read as UTC), an ISO-8601 string, or epoch
    seconds (int, float or a numeric string); anything else raises :class:`UsageError`.

    >>> event_time_us("1970-01-01T00:00:01Z")
    1000000
    >>> event_time_us(1.5)
    1500000
    >>> event_time_us(dt.datetime(1970, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    0
    """
    if isinstance(value, bool) or value is None:
        raise UsageError(f"event time {value!r} is not a time")
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (when - _EPOCH) // _ONE_US
    if isinstance(value, int):
        return value * 1_000_000
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(f"event time {value!r} is not a time")
        return round(value * 1_000_000)
    if isinstance(value, str):
        text = value.strip()
        try:
            return event_time_us(float(text))
        except ValueError:
            pass
        try:
            return event_time_us(dt.datetime.fromisoformat(text))
        except ValueError:
            raise UsageError(
                f"event time {value!r} is neither an ISO-8601 time nor epoch seconds"
            ) from None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return event_time_us(item())
    raise UsageError(f"event time {value!r} ({type(value).__name__}) is not a time")


@dataclass(frozen=True)
class PreparedChunk:
    """Records ready for a store: each one's id as text, event time in microseconds and
    JSON document (one Arrow array, whose bytes a store may send as they are)."""

    ids: list[str]
    event_us: list[int]
    documents: pa.LargeStringArray


def prepared_chunks(
    records: Sequence[dict] | pa.Table,
    id_column: str,
    time_column: str,
    rows: int = CHUNK_ROWS,
) -> Iterator[PreparedChunk]:
    """The records in chunks of ``rows``: a list's in its order, a table's sorted by id
    (the records of one id in their order, all the latest-event rule needs, and the
    order in which a store's index takes them fastest). A record that cannot be stored
    raises :class:`UsageError` naming its position (in a table, before the first chunk;
    in a list, when its chunk is prepared, so a store prepares every chunk inside the
    transaction that writes them)."""
    if isinstance(records, pa.RecordBatch):
        records = pa.Table.from_batches([records])
    if isinstance(records, pa.Table):
        yield from _table_chunks(records, id_column, time_column, rows)
        return
    for start in range(0, len(records), rows):
        yield _dict_chunk(records[start : start + rows], start, id_column, time_column)


def select_features(
    text: str | bytes | None, id_column: str | bytes | None, features: list[str] | None
) -> dict | None:
    """A stored document as a dict: all of it, or only ``features`` and the id."""
    if text is None:
        return None
    record = json.loads(text)
    if features is None:
        return record
    if isinstance(id_column, bytes):
        id_column = id_column.decode()
    return {
        name: record[name]
        for name in (id_column, *(f for f in features if f != id_column))
        if name in record
    }


# -- lists of dicts ----------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not a scalar")


def _dict_chunk(
    records: Sequence[dict], offset: int, id_column: str, time_column: str
) -> PreparedChunk:
    ids, event_us, documents = [], [], []
    for position, record in enumerate(records, start=offset):
        if not isinstance(record, dict):
            raise UsageError(f"record {position} is a {type(record).__name__}, not a dict")
        if record.get(id_column) is None:
            raise UsageError(f"record {position} has no value in the id column {id_column!r}")
        if record.get(time_column) is None:
            raise UsageError(
                f"record {position} has no value in the event time column {time_column!r}"
            )
        try:
            event_us.append(event_time_us(record[time_column]))
        except UsageError as exc:
            raise UsageError(f"record {position}: {exc}") from None
        try:
            documents.append(json.dumps(record, default=_json_value, allow_nan=True))
        except (TypeError, ValueError) as exc:
            raise UsageError(f"record {position} cannot be stored: {exc}") from None
        ids.append(str(record[id_column]))
    return PreparedChunk(ids, event_us, pa.array(documents, pa.large_string()))


# -- Arrow tables ------------------------------------------------------------------------


def _table_chunks(
    table: pa.Table, id_column: str, time_column: str, rows: int
) -> Iterator[PreparedChunk]:
    for name in (id_column, time_column):
        if name not in table.column_names:
            raise UsageError(f"the records have no column {name!r}")
    if len(set(table.column_names)) != table.num_columns:
        raise UsageError(f"the records name a column twice: {table.column_names}")
    for field in table.schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise UsageError(f"column {field.name!r} ({field.type}) cannot be stored as JSON")
    ids = _ids(table.column(id_column), id_column)
    event_us = _event_times_us(table.column(time_column), time_column)
    # in key order a store appends to its index instead of splitting pages all over it;
    # the sort is stable, so the records of one id keep their order
    order = pc.sort_indices(ids)
    table, ids, event_us = table.take(order), ids.take(order), event_us[order.to_numpy()]
    chunks = _json_chunks(table, ids, event_us, rows)
    try:
        yield from _prefetched(chunks)
    finally:
        chunks.close()


def _json_chunks(
    table: pa.Table, ids: pa.Array, event_us: np.ndarray, rows: int
) -> Iterator[PreparedChunk]:
    import duckdb

    # an in-memory database over the chunk alone: nothing outside it is reachable
    connection = duckdb.connect(
        config={"enable_external_access": False, "preserve_insertion_order": True}
    )
    try:
        for start in range(0, table.num_rows, rows):
            documents = _documents(connection, table.slice(start, rows))
            yield PreparedChunk(
                ids.slice(start, rows).to_pylist(),
                event_us[start : start + rows].tolist(),
                documents,
            )
    finally:
        connection.close()


def _prefetched(chunks: Iterator[PreparedChunk]) -> Iterator[PreparedChunk]:
    """The chunks, the next one prepared in a thread while the caller writes this one
    (DuckDB and the database drivers release the GIL while they work)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="online-json") as pool:
        pending = pool.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(next, chunks, None)
            yield chunk


def _first_null(column: pa.ChunkedArray) -> int:
    return int(np.flatnonzero(~column.is_valid().to_numpy(zero_copy_only=False))[0])


def _ids(column: pa.ChunkedArray, name: str) -> pa.Array:
    if column.null_count:
        position = _first_null(column)
        raise UsageError(f"record {position} has no value in the id column {name!r}")
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind):
        return column.cast(pa.string()).combine_chunks()
    # other kinds as Python writes them (a float id 7.0 is "7.0")
    return pa.array([str(value) for value in column.to_pylist()], pa.string())


def _event_times_us(column: pa.ChunkedArray, name: str) -> np.ndarray:
    if column.null_count:
        position = _first_null(column)
        raise UsageError(f"record {position} has no value in the event time column {name!r}")
    array = column.combine_chunks()
    kind = array.type
    if pa.types.is_timestamp(kind):
        values = array.cast(pa.int64()).to_numpy()
        if kind.unit == "ns":  # floored to the microsecond, as a datetime would be
            return values // 1000
        return values * {"s": 1_000_000, "ms": 1000, "us": 1}[kind.unit]
    if pa.types.is_integer(kind):
        return array.cast(pa.int64()).to_numpy() * 1_000_000
    if pa.types.is_floating(kind):
        seconds = array.cast(pa.float64()).to_numpy()
        finite = np.isfinite(seconds)
        if not finite.all():
            position = int(np.flatnonzero(~finite)[0])
            bad = float(seconds[position])
            raise UsageError(f"record {position}: event time {bad!r} is not a time")
        return np.round(seconds * 1_000_000).astype(np.int64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return _text_times_us(array)
    return _each_time_us(array.to_pylist())


def _text_times_us(array: pa.Array) -> np.ndarray:
    """ISO-8601 UTC text in the strict form read by Arrow at once, the rest one by one."""
    strict = pc.match_substring_regex(array, _STRICT_UTC).to_numpy(zero_copy_only=False)
    strict &= ~pc.starts_with(array, "0000").to_numpy(zero_copy_only=False)
    result = np.empty(len(array), dtype=np.int64)
    if strict.any():
        chosen = array.filter(pa.array(strict))
        try:
            stamps = pc.cast(pc.utf8_slice_codeunits(chosen, 0, -1), pa.timestamp("us"))
        except pa.ArrowInvalid:  # an impossible date such as 02-30: let Python name it
            strict[:] = False
        else:
            result[strict] = stamps.cast(pa.int64()).to_numpy()
    if not strict.all():
        rest = np.flatnonzero(~strict)
        result[rest] = _each_time_us(array.take(pa.array(rest)).to_pylist(), rest)
    return result


def _each_time_us(values: list[Any], positions: np.ndarray | None = None) -> np.ndarray:
    """Each distinct value read once by :func:`event_time_us`; ``positions`` are the
    values' record numbers when they are not 0, 1, 2…"""
    known: dict[Any, int] = {}
    result = np.empty(len(values), dtype=np.int64)
    for index, value in enumerate(values):
        micros = known.get(value) if isinstance(value, str) else None
        if micros is None:
            try:
                micros = event_time_us(value)
            except UsageError as exc:
                where = index if positions is None else int(positions[index])
                raise UsageError(f"record {where}: {exc}") from None
            if isinstance(value, str):
                known[value] = micros
        result[index] = micros
    return result


def _documents(connection: Any, chunk: pa.Table) -> pa.LargeStringArray:
    """Each row as one JSON object, written by DuckDB (floats in their shortest exact
    form, NaN and Infinity as Python's ``json`` writes them); times as ISO-8601 text."""
    columns = {}
    for field, column in zip(chunk.schema, chunk.columns, strict=True):
        if pa.types.is_temporal(field.type):
            column = pa.array(
                [None if v is None else v.isoformat() for v in column.to_pylist()], pa.string()
            )
        columns[field.name] = column
    connection.register("chunk_rows", pa.table(columns))
    members = ", ".join(f"{_literal(name)}: {_identifier(name)}" for name in columns)
    try:
        text = connection.sql(f"SELECT to_json({{{members}}})::VARCHAR FROM chunk_rows")
        return text.to_arrow_table().column(0).cast(pa.large_string()).combine_chunks()
    finally:
        connection.unregister("chunk_rows")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
