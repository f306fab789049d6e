"""Parquet reader: row groups streamed with ``ParquetFile.iter_batches``.

Parquet text (the UTF8/STRING logical type) must be UTF-8, but writers do not all check
and Arrow's decoder copies the bytes as they are. Every batch's text columns are
validated before they are profiled: invalid UTF-8 is an :class:`InputError` that names
the column and the row, rather than statistics of text that the file does not hold.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from watchkeeper.errors import InputError
from watchkeeper.io.batches import check_text, empty_batch
from watchkeeper.io.files import ByteCounter, CountingFile, DataFile, open_binary
from watchkeeper.io.messages import first_line
from watchkeeper.io.names import renamed, unique_names
from watchkeeper.io.text import magic_kind

# decoded bytes per batch (about); fewer rows per batch for wide tables
BATCH_BYTES = 64 << 20
MIN_BATCH_ROWS = 1024
# a PLAIN text value's 4-byte length: dictionary-encoded pages take less per value
PLAIN_VALUE_BYTES = 4
UTF8_ADVICE = "; Parquet text must be UTF-8: fix the writer, or store the column as binary"


def read_parquet(
    file: DataFile, counter: ByteCounter, batch_rows: int, dictionaries: bool = False
) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet file as record batches of at most ``batch_rows`` rows.

    Memory is bounded by one row group's columns, which Parquet writers keep small, plus
    a batch of about ``BATCH_BYTES`` (wide tables get batches of fewer rows).
    A file with no rows yields one empty batch that carries the columns.
    With ``dictionaries``, text columns the file stores wholly dictionary-encoded come
    as Arrow dictionary arrays (see :func:`dictionary_text`).
    """
    if file.size == 0:
        raise InputError(f"{file.path}: the file is empty (0 bytes)")
    return _scan(file, counter, batch_rows, dictionaries)


def _scan(
    file: DataFile, counter: ByteCounter, batch_rows: int, dictionaries: bool
) -> Iterator[pa.RecordBatch]:
    with open_binary(file, counter) as binary:
        try:
            parquet = pq.ParquetFile(binary)
            size = min(batch_rows, _rows_within(parquet.schema_arrow, BATCH_BYTES))
            options = _local_options(parquet) if isinstance(binary, pa.NativeFile) else {}
            stored = dictionary_text(parquet, size) if dictionaries else []
            if stored:
                options["read_dictionary"] = stored
            if options:
                parquet = pq.ParquetFile(binary, metadata=parquet.metadata, **options)
            names = unique_names(parquet.schema_arrow.names)
        except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
            # a damaged footer can hold column names that are not UTF-8
            raise _not_parquet(file, binary, exc) from exc
        rows = 0
        try:
            for batch in parquet.iter_batches(batch_size=size):
                batch = renamed(batch, names)
                check_text(batch, file.path, rows, UTF8_ADVICE)
                rows += batch.num_rows
                yield batch
        except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
            raise InputError(f"{file.path}: damaged Parquet file: {first_line(exc)}") from exc
        if rows == 0:
            yield renamed(empty_batch(parquet.schema_arrow), names)


def _local_options(parquet: pq.ParquetFile) -> dict:
    """Local files are read through one small buffer per column instead of whole row
    groups at once: memory stays near one batch (a third of pre-buffering's peak on a
    10-million-row file) at the same speed. The buffers share ``BATCH_BYTES``, so a
    thousand-column file gets 64 KiB each. Remote files keep pre-buffering, whose
    coalesced reads save round trips."""
    columns = max(len(parquet.schema_arrow), 1)
    buffer = min(1 << 20, max(64 << 10, BATCH_BYTES // columns))
    return {"pre_buffer": False, "buffer_size": buffer}


def dictionary_text(parquet: pq.ParquetFile, batch_rows: int) -> list[str]:
    """The top-level text columns whose every column chunk is dictionary-encoded, when
    every row group ends where a batch of ``batch_rows`` rows ends (else none).

    Read as Arrow dictionaries, they are neither decoded into a string per row nor
    encoded again by the profile, which then hashes and classifies each distinct text
    once: the benchmark's five categorical columns, 1M rows, take 0.10 s of CPU to read
    and profile instead of 0.23 s. A chunk whose writer fell back to plain pages (a dictionary
    over its size limit: ids, free text) would make Arrow grow one dictionary over the
    whole row group, every batch carrying all of it; such chunks take at least
    ``PLAIN_VALUE_BYTES`` per value (a length before each text), dictionary-encoded
    ones fewer (a few bits of index per value). Arrow ends a batch of dictionaries
    where a row group ends, while it reads strings across row groups; the batches, and
    so the moments summed batch by batch, stay the same only where the two agree.
    """
    metadata = parquet.metadata
    groups = range(metadata.num_row_groups)
    ends = np.cumsum([metadata.row_group(group).num_rows for group in groups])
    if np.any(ends[:-1] % batch_rows):
        return []
    fields = {field.name for field in parquet.schema_arrow if _is_text_type(field.type)}
    found = []
    for index in range(metadata.num_columns):
        path = metadata.schema.column(index).path
        if path not in fields:
            continue
        chunks = [metadata.row_group(group).column(index) for group in groups]
        if chunks and all(
            chunk.has_dictionary_page
            and chunk.total_uncompressed_size < PLAIN_VALUE_BYTES * chunk.num_values
            for chunk in chunks
        ):
            found.append(path)
    return found


def _is_text_type(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _rows_within(schema: pa.Schema, budget: int) -> int:
    """How many rows of this schema fit in about ``budget`` bytes once decoded, so that a
    table of a thousand columns comes in batches of a few thousand rows, not ``BATCH_ROWS``."""
    width = sum(_value_bytes(field.type) for field in schema) or 1
    return max(MIN_BATCH_ROWS, budget // width)


def _value_bytes(kind: pa.DataType) -> int:
    try:
        return max(kind.bit_width // 8, 1)
    except ValueError:  # variable width: text, binary, nested
        return 32


def _not_parquet(file: DataFile, binary: CountingFile, exc: Exception) -> InputError:
    start = _start(binary)
    if start.startswith(b"PAR1"):
        return InputError(f"{file.path}: damaged or truncated Parquet file: {first_line(exc)}")
    kind = magic_kind(start)
    if kind and kind != "a Parquet file":
        return InputError(f"{file.path}: not a Parquet file; this is {kind}")
    if _is_text(start):
        return InputError(
            f"{file.path}: not a Parquet file; it holds text — pass format='csv' or 'jsonl'"
            " if that is what it is"
        )
    return InputError(f"{file.path}: not a Parquet file (no Parquet marker at its start)")


def _start(binary: CountingFile) -> bytes:
    try:
        binary.seek(0)
        return binary.read(64)
    except (OSError, ValueError):
        return b""


def _is_text(data: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data
