"""Batch-level helpers shared by every reader."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from queue import Empty, Full, Queue

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
