"""Profiling a source: read it batch by batch and track every batch."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from functools import cache

import pyarrow as pa

from watchkeeper.io import CsvOptions, read_batches
from watchkeeper.io.batches import prefetched
from watchkeeper.io.options import BATCH_ROWS
from watchkeeper.profile.dataset import DatasetProfile

Observer = Callable[[pa.RecordBatch], None]


def build_profile(
    data: object,
    *,
    format: str | None = None,
    csv: CsvOptions | None = None,
    batch_rows: int = BATCH_ROWS,
    storage_options: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    observers: Iterable[Observer] = (),
    metadata: dict[str, str] | None = None,
    text_columns: Mapping[str, bool] | None = None,
) -> DatasetProfile:
    """Profile ``data`` (anything :func:`watchkeeper.io.read_batches` reads) in one pass.

    ``observers`` see every batch too, so that rules needing the raw values are counted
    in the same scan. A :class:`DatasetProfile` passed as ``data`` is returned as it is.
    ``text_columns`` forces columns to be free text (True) or not (False); the others
    are decided by their first batch of text (see :mod:`watchkeeper.profile.text`).
    The next batch is read while the current one is profiled; ``progress`` is then
    called from the reading thread.
    """
    if isinstance(data, DatasetProfile):
        return data
    _reuse_freed_memory()
    observers = list(observers)
    profile = DatasetProfile(metadata, text_columns=text_columns)
    batches = read_batches(
        data,
        format=format,
        csv=csv,
        batch_rows=batch_rows,
        storage_options=storage_options,
        progress=progress,
        # observers may expect text as strings
        dictionaries=not observers,
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


# glibc's mallopt parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 16 << 20
TRIM_THRESHOLD = 64 << 20


@cache
def _reuse_freed_memory() -> None:
    """Let glibc's malloc reuse the memory a batch frees for the next batch.

    A batch's temporary arrays are a few hundred KiB each. By default glibc serves such
    blocks with fresh ``mmap`` pages (then raises its threshold only slowly) and gives
    freed memory at the top of the heap back to the system, so every batch faulted its
    temporaries in again: about 50,000 page faults and a fifth of the CPU time of a
    1M-row profile went to the kernel. Blocks under ``MMAP_THRESHOLD`` now come from the
    heap, and up to ``TRIM_THRESHOLD`` of freed memory stays for reuse. Other C libraries
    and systems are left as they are.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
