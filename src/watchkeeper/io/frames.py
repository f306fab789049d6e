"""In-memory sources: Arrow tables, batches and readers, pandas and polars DataFrames,
lists of dicts.

pandas and polars are imported by the objects themselves, never by this module: a
DataFrame is recognised by the module its type comes from. Every batch gets unique,
non-empty column names, as file sources do. Python values (records, object columns)
nested more than 64 levels deep are read as their JSON text, as in JSON Lines files:
pyarrow's conversion would exhaust the stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io.batches import check_text, empty_batch
from watchkeeper.io.jsontext import shallow
from watchkeeper.io.messages import first_line
from watchkeeper.io.names import unique_names, with_unique_names


@dataclass(frozen=True)
class MemorySource:
    """Batches of an in-memory object, and its row count when known (for progress)."""

    batches: Iterator[pa.RecordBatch]
    rows: int | None


def memory_source(obj: object, batch_rows: int) -> MemorySource | None:
    """The object as batches, or None when it is not an in-memory table (a path, say)."""
    if isinstance(obj, pa.RecordBatch):
        return MemorySource(_checked(_names(iter([obj])), "pyarrow RecordBatch"), obj.num_rows)
    if isinstance(obj, pa.Table):
        return MemorySource(_checked(_table(obj, batch_rows), "pyarrow Table"), obj.num_rows)
    if isinstance(obj, pa.RecordBatchReader):
        return MemorySource(_checked(_names(iter(obj)), "pyarrow RecordBatchReader"), None)
    if _is_a(obj, "pandas", "DataFrame"):
        return MemorySource(_pandas(obj, batch_rows), len(obj))  # type: ignore[arg-type]
    if _is_a(obj, "polars", "DataFrame"):
        table = obj.to_arrow()  # type: ignore[attr-defined]
        return MemorySource(_table(table, batch_rows), table.num_rows)
    if _is_a(obj, "polars", "LazyFrame"):
        raise UsageError("a polars LazyFrame must be collected first: pass lazy_frame.collect()")
    if isinstance(obj, list | tuple) and all(isinstance(item, dict) for item in obj):
        return MemorySource(_records(list(obj), batch_rows), len(obj))
    return None


def _is_a(obj: object, package: str, name: str) -> bool:
    """Whether obj is an instance of ``package``'s class ``name`` (or of a subclass)."""
    return any(
        cls.__name__ == name and cls.__module__.split(".")[0] == package
        for cls in type(obj).__mro__
    )


def _checked(batches: Iterator[pa.RecordBatch], what: str) -> Iterator[pa.RecordBatch]:
    """The batches of an Arrow object, whose text columns may hold unchecked bytes."""
    rows = 0
    for batch in batches:
        check_text(batch, what, rows)
        rows += batch.num_rows
        yield batch


def _names(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield with_unique_names(batch)


def _table(table: pa.Table, batch_rows: int) -> Iterator[pa.RecordBatch]:
    names = unique_names(table.schema.names)
    table = table.rename_columns(names)
    batches = table.to_batches(max_chunksize=batch_rows)
    yield from batches
    if not any(batch.num_rows for batch in batches):
        yield empty_batch(table.schema)


def _pandas(frame: Any, batch_rows: int) -> Iterator[pa.RecordBatch]:
    frame = frame.set_axis(unique_names([str(name) for name in frame.columns]), axis="columns")
    nested = [name for name in frame.columns if _holds_containers(frame[name])]
    if nested:
        frame = frame.assign(**{name: frame[name].map(shallow) for name in nested})
    schema, as_text = _pandas_schema(frame)
    for start in range(0, max(len(frame), 1), batch_rows):
        part = frame.iloc[start : start + batch_rows]
        if as_text:
            part = part.assign(
                **{name: part[name].map(_text, na_action="ignore") for name in as_text}
            )
        try:
            yield pa.RecordBatch.from_pandas(part, schema=schema, preserve_index=False)
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise InputError(
                f"pandas DataFrame: cannot convert rows {start}+: {first_line(exc)}"
            ) from exc


def _holds_containers(column: Any) -> bool:
    """Whether an object column holds dicts or lists (which may nest too deeply)."""
    return column.dtype == object and any(
        isinstance(value, dict | list | tuple) for value in column.array
    )


def _pandas_schema(frame: Any) -> tuple[pa.Schema, list[str]]:
    """The Arrow schema of a DataFrame; object columns mixing types become text."""
    try:
        return pa.Schema.from_pandas(frame, preserve_index=False).remove_metadata(), []
    except (pa.ArrowException, ValueError, TypeError):
        pass
    fields, as_text = [], []
    for name in frame.columns:
        try:
            fields.append(pa.Schema.from_pandas(frame[[name]], preserve_index=False).field(0))
        except (pa.ArrowException, ValueError, TypeError):
            fields.append(pa.field(name, pa.string()))
            as_text.append(name)
    return pa.schema(fields), as_text


def _records(records: list[dict[str, Any]], batch_rows: int) -> Iterator[pa.RecordBatch]:
    if not records:
        raise InputError("list of records: the list is empty, so there are no columns to read")
    records = [{key: shallow(value) for key, value in record.items()} for record in records]
    try:
        array = pa.array(records)
    except (pa.ArrowException, ValueError, TypeError):
        array = _records_as_columns(records)
    batch = with_unique_names(pa.RecordBatch.from_struct_array(array))
    return (batch.slice(start, batch_rows) for start in range(0, batch.num_rows, batch_rows))


def _records_as_columns(records: list[dict[str, Any]]) -> pa.StructArray:
    """Build records column by column; a key whose values mix types becomes text."""
    keys = list(dict.fromkeys(key for record in records for key in record))
    columns = []
    for key in keys:
        values = [record.get(key) for record in records]
        try:
            columns.append(pa.array(values))
        except (pa.ArrowException, ValueError, TypeError):
            columns.append(
                pa.array([_text(value) if value is not None else None for value in values])
            )
    return pa.StructArray.from_arrays(columns, names=[str(key) for key in keys])


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)
