"""Profiling a source: read it batch by batch and track every batch."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pyarrow as pa

from watchkeeper.io import CsvOptions, read_batches
from watchkeeper.io.batches import prefetched
from watchkeeper.profile.dataset import DatasetProfile

Observer = Callable[[pa.RecordBatch], None]


def build_profile(
    data: object,
    *,
    format: str | None = None,
    csv: CsvOptions | None = None,
    batch_rows: int = 65_536,
    storage_options: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    observers: Iterable[Observer] = (),
    metadata: dict[str, str] | None = None,
) -> DatasetProfile:
    """Profile ``data`` (anything :func:`watchkeeper.io.read_batches` reads) in one pass.

    ``observers`` see every batch too, so that rules needing the raw values are counted
    in the same scan. A :class:`DatasetProfile` passed as ``data`` is returned as it is.
    The next batch is read while the current one is profiled; ``progress`` is then
    called from the reading thread.
    """
    if isinstance(data, DatasetProfile):
        return data
    observers = list(observers)
    profile = DatasetProfile(metadata)
    batches = read_batches(
        data,
        format=format,
        csv=csv,
        batch_rows=batch_rows,
        storage_options=storage_options,
        progress=progress,
    )
    # Profile columns in parallel only while reading keeps up: when the parser is the
    # bottleneck (text formats), more threads only fight it for the cores.
    waiting = working = 0.0
    ahead = prefetched(batches)
    try:
        started = time.perf_counter()
        for position, batch in enumerate(ahead):
            if position:  # the first wait is the reader starting up
                waiting += time.perf_counter() - started
            started = time.perf_counter()
            profile.track(batch, parallel=waiting <= working)
            for observe in observers:
                observe(batch)
            working += time.perf_counter() - started
            started = time.perf_counter()
    finally:
        ahead.close()  # stops the reader if profiling failed
    return profile
