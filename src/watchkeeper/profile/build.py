"""Profiling a source: read it batch by batch and track every batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyarrow as pa

from watchkeeper.io import CsvOptions, read_batches
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
    for batch in batches:
        profile.track(batch)
        for observe in observers:
            observe(batch)
    return profile
