"""``read_batches``: any supported source as a stream of bounded Arrow record batches."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pyarrow as pa

from watchkeeper.errors import UsageError
from watchkeeper.io.batches import bounded
from watchkeeper.io.files import ByteCounter, DataFile, normalise_format, resolve
from watchkeeper.io.frames import MemorySource, memory_source
from watchkeeper.io.options import BATCH_ROWS, CsvOptions

Progress = Callable[[int, int], None]


def read_batches(
    source: object,
    *,
    format: str | None = None,
    batch_rows: int = BATCH_ROWS,
    csv: CsvOptions | None = None,
    storage_options: dict | None = None,
    progress: Progress | None = None,
    dictionaries: bool = False,
) -> Iterator[pa.RecordBatch]:
    """Read a table from anywhere as Arrow record batches of at most ``batch_rows`` rows.

    Memory stays bounded whatever the input size: files are streamed, never loaded.

    Args:
        source: a local path (``str`` or ``Path``), a folder (every data file below it,
            recursively, in sorted order; names starting with ``.`` or ``_`` are
            skipped), a glob (``data/*.csv``), an fsspec URI (``file://…``,
            ``s3://bucket/prefix/``, globs too), a pandas or polars DataFrame, a
            pyarrow Table, RecordBatch or RecordBatchReader, or a list of dicts.
        format: ``"csv"``, ``"tsv"``, ``"parquet"`` or ``"jsonl"``; by default each
            file's extension decides (``.csv``, ``.tsv``, ``.parquet``/``.pq``,
            ``.jsonl``/``.ndjson``/``.json``, text formats also ``.gz``/``.bz2``/``.zst``).
        batch_rows: the most rows in one batch.
        csv: how to parse CSV and TSV files (:class:`CsvOptions`). JSON Lines files
            are always UTF-8, as JSON requires.
        storage_options: passed to fsspec, e.g. ``{"key": …, "secret": …,
            "client_kwargs": {"endpoint_url": …}}`` for S3.
        progress: called as ``progress(done, total)`` on the caller's thread after each
            batch: bytes read from the files so far (compressed bytes for compressed
            files) out of their total size; rows for in-memory sources (``total`` is
            0 when unknown, as for a RecordBatchReader).
        dictionaries: let text columns that a file stores dictionary-encoded (Parquet)
            come as Arrow dictionary arrays, for readers that handle them (the profile
            does, and reads them faster); by default text comes as strings.

    Batches of one source need not share a schema: each file's column types are
    inferred on their own, a CSV column whose later values do not fit the inferred
    type continues as text, and JSON Lines types are inferred per chunk of lines.
    Column names are always unique and non-empty. A file with columns but no rows
    yields one empty batch.

    Raises:
        InputError: the source is missing, empty or cannot be read; raised when the
            call resolves the source, or while iterating for problems inside a file.
        UsageError: an argument has a value that is not allowed.

    Example:
        >>> import pyarrow as pa
        >>> [b.num_rows for b in read_batches(pa.table({"x": range(5)}), batch_rows=2)]
        [2, 2, 1]
    """
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise UsageError(f"batch_rows must be a positive whole number, not {batch_rows!r}")
    if csv is not None and not isinstance(csv, CsvOptions):
        raise UsageError(f"csv must be a CsvOptions, not {type(csv).__name__}")
    chosen = normalise_format(format)
    memory = memory_source(source, batch_rows)
    if memory is not None:
        return bounded(_with_row_progress(memory, progress), batch_rows)
    if not isinstance(source, str | os.PathLike):
        raise UsageError(
            f"cannot read a {type(source).__name__}; pass a path, folder, glob or URI, a pandas"
            " or polars DataFrame, a pyarrow Table/RecordBatch/RecordBatchReader or a list of dicts"
        )
    files = resolve(source, storage_options, chosen)
    batches = _read_files(files, csv or CsvOptions(), batch_rows, progress, dictionaries)
    return bounded(batches, batch_rows)


def _read_files(
    files: list[DataFile],
    options: CsvOptions,
    batch_rows: int,
    progress: Progress | None,
    dictionaries: bool,
) -> Iterator[pa.RecordBatch]:
    total = sum(file.size for file in files)
    finished = 0
    for file in files:
        counter = ByteCounter(file.size)
        for batch in _read_file(file, options, batch_rows, counter, dictionaries):
            yield batch
            if progress is not None:
                progress(finished + counter.done, total)
        finished += file.size
    if progress is not None:
        progress(total, total)


def _read_file(
    file: DataFile, options: CsvOptions, batch_rows: int, counter: ByteCounter, dictionaries: bool
) -> Iterator[pa.RecordBatch]:
    # Each format's reader is imported when a file needs it: pyarrow's Parquet module
    # (with the filesystems and TLS it loads) would add 15-50 ms to every CSV-only run.
    if file.format == "parquet":
        from watchkeeper.io.parquet import read_parquet

        return read_parquet(file, counter, batch_rows, dictionaries)
    if file.format == "jsonl":
        from watchkeeper.io.jsonl import read_jsonl

        return read_jsonl(file, counter)
    from watchkeeper.io.csvfile import read_csv

    return read_csv(file, options, counter, batch_rows)


def _with_row_progress(memory: MemorySource, progress: Progress | None) -> Iterator[pa.RecordBatch]:
    total = memory.rows or 0
    done = 0
    for batch in memory.batches:
        yield batch
        done += batch.num_rows
        if progress is not None:
            progress(done, total)
    if progress is not None:
        progress(done, total or done)
