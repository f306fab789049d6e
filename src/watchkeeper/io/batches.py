"""Batch-level helpers shared by every reader."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from queue import Empty, Full, Queue

import pyarrow as pa

from watchkeeper.errors import InputError


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


def prefetched(batches: Iterable[pa.RecordBatch], depth: int = 2) -> Iterator[pa.RecordBatch]:
    """The same batches, read ahead by a background thread.

    Parsing and decoding (in Arrow, outside the GIL) overlap with whatever the consumer
    does with the previous batch. At most ``depth`` batches wait in the queue, so memory
    stays bounded; an error in the reader is raised in the consumer, where it would have
    been raised without read-ahead. Stopping early (``close``) stops the reader.
    """
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        queue.put((batch, None), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put((None, exc))

    reader = threading.Thread(target=produce, name="watchkeeper-read", daemon=True)
    reader.start()
    try:
        while True:
            batch, error = queue.get()
            if error is not None:
                raise error
            if batch is _DONE:
                return
            yield batch
    finally:
        stop.set()
        while reader.is_alive():
            try:
                queue.get_nowait()
            except Empty:
                reader.join(timeout=0.05)


_DONE = object()


def check_text(batch: pa.RecordBatch, source: str, rows_before: int, advice: str = "") -> None:
    """Raise InputError naming the column (and row) of text that is not valid UTF-8.

    Arrow's readers and builders may copy text bytes without checking them; invalid
    UTF-8 that reached the profile as a "string" would fail far from its source.
    ``rows_before`` counts the source's rows before this batch, ``advice`` is appended.
    """
    found = _invalid_text(batch)
    if found is None:
        return
    name, row = found
    where = f" (row {rows_before + row + 1})" if row is not None else ""
    raise InputError(f"{source}: column {name!r} holds text that is not valid UTF-8{where}{advice}")


def _invalid_text(batch: pa.RecordBatch) -> tuple[str, int | None] | None:
    """The first column holding invalid UTF-8, and the row when Arrow says it."""
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if not _holds_text(column.type):
            continue
        try:
            column.validate(full=True)
        except pa.ArrowInvalid as exc:
            if pa.types.is_dictionary(column.type) and _is_text(column.type.value_type):
                row = _invalid_row(name, column)
                if row is None:
                    continue
                return row
            found = _STRING_INDEX.search(str(exc))
            flat = _is_text(column.type)
            return name, int(found.group(1)) if found and flat else None
    return None


def _invalid_row(name: str, column: pa.DictionaryArray) -> tuple[str, int | None] | None:
    """The column and first row of a text dictionary column whose value is not valid
    UTF-8; None when only values that no row uses are invalid (the decoded text would
    not hold them)."""
    try:
        column.dictionary.take(column.indices).validate(full=True)
    except pa.ArrowInvalid as exc:
        found = _STRING_INDEX.search(str(exc))
        return name, int(found.group(1)) if found else None
    return None


def _holds_text(kind: pa.DataType) -> bool:
    stack = [kind]
    while stack:
        item = stack.pop()
        if pa.types.is_dictionary(item):
            stack.append(item.value_type)
        elif _is_text(item):
            return True
        stack.extend(item.field(i).type for i in range(item.num_fields))
    return False


def _is_text(kind: pa.DataType) -> bool:
    return (
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    )


_STRING_INDEX = re.compile(r"Invalid UTF8 sequence at string index (\d+)")
