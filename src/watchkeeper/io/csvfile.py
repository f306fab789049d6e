"""Streaming CSV and TSV reader built on ``pyarrow.csv.open_csv``.

Arrow infers each column's type from the first block of the file. When a later block
does not fit (an int64 column meets ``abc``), the file is opened again with that column
read as text and reading resumes after the rows already handed out. Text is always a
safe fallback: the profile layer classifies text values itself. Batches before the
conflict keep the inferred type, batches after it carry text.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from watchkeeper.errors import InputError
from watchkeeper.io.batches import empty_batch
from watchkeeper.io.files import ByteCounter, DataFile, open_binary
from watchkeeper.io.messages import encoding_hint, excerpt, first_line
from watchkeeper.io.names import renamed, unique_names
from watchkeeper.io.options import BATCH_ROWS, CsvOptions
from watchkeeper.io.text import Head, read_head, text_stream

BLOCK_BYTES = 8 << 20
# pieces parsed at once by the multi-threaded reader
CHUNK_BYTES = 32 << 20
# Later pieces are parsed on Arrow's threads only when there are more than two cores:
# on two, the profile's threads keep both busy, and Arrow's threads only add a fifth to
# the parse's CPU time.
PIECE_THREADS = (os.cpu_count() or 1) > 2
# A row must fit in one block; blocks grow up to this for rows that are that long.
MAX_BLOCK_BYTES = 1 << 30
# Columns holding a value this long are read as text, without Arrow's type inference.
LONG_FIELD_BYTES = 64 << 10

# Only the spellings SageMaker (Deequ) counts as Boolean; "1"/"0" stay numbers.
TRUE_VALUES = ["true"]
FALSE_VALUES = ["false"]

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_CONVERSION = re.compile(r"In CSV column #(\d+): (?:Row #(\d+): )?CSV conversion error to ([^:]+):")
_RAGGED = re.compile(r"(?:Row #(\d+): )?Expected (\d+) columns, got (\d+): (.*)", re.DOTALL)


def read_csv(
    file: DataFile, options: CsvOptions, counter: ByteCounter, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.RecordBatch]:
    """Stream a CSV or TSV file as record batches of at most ``batch_rows`` rows (see
    :class:`CsvOptions`).

    A file with a header and no rows yields one empty batch that carries the columns.
    """
    delimiter = "\t" if file.format == "tsv" and options.delimiter == "," else options.delimiter
    head = read_head(file, counter, encoding=options.encoding, what="CSV", hint=encoding_hint())
    header = options.header
    if header is None:
        header = not first_row_is_numeric(head.text, delimiter, options.quote_char)
    scan = _CsvScan(
        file, options, counter, head, delimiter=delimiter, header=header, batch_rows=batch_rows
    )
    return scan.batches()


def first_row_is_numeric(text: str, delimiter: str, quote_char: str) -> bool:
    """Whether the first non-blank row holds only numbers (and empty fields).

    A header made of numbers is implausible, so such a row is data. Empty fields are
    ignored: a missing value in the first row must not turn it into column names.
    """
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote_char)
    try:
        first = next((row for row in rows if any(field.strip() for field in row)), [])
    except csv.Error:
        return False
    fields = [field for field in first if field.strip()]
    return bool(fields) and all(_NUMBER.fullmatch(field) for field in fields)


class _CsvScan:
    """One CSV file being read, re-opened with wider column types as conflicts appear."""

    def __init__(
        self,
        file: DataFile,
        options: CsvOptions,
        counter: ByteCounter,
        head: Head,
        *,
        delimiter: str,
        header: bool,
        batch_rows: int,
    ) -> None:
        self.file, self.options, self.counter = file, options, counter
        self.batch_rows = batch_rows
        self.delimiter, self.header, self.skip = delimiter, header, head.skip
        # Arrow finds no row in a one-line file without a line end; that file gets one.
        self.terminate = head.complete and not any(end in head.text for end in "\r\n")
        self.blank = not head.text.strip()
        self.head_text = head.text
        self.block_size = BLOCK_BYTES
        self.text_columns: dict[str, pa.DataType] = {}
        self.source_names: list[str] = []
        self.names: list[str] = []
        self.rows_done = 0
        # Pieces of whole rows parsed by Arrow's multi-threaded reader: 2-3 times faster
        # than its streaming reader. Any error other than a type to widen switches to the
        # streaming reader, which reports rows by their number in the file.
        self.chunked = True

    def batches(self) -> Iterator[pa.RecordBatch]:
        while True:
            try:
                yield from self._read_chunked() if self.chunked else self._read_once()
                return
            except _UseStreaming:
                self.chunked = False
            except pa.ArrowInvalid as exc:
                if self._widen(exc):
                    continue
                if self.chunked:
                    self.chunked = False
                    continue
                if not self._grow(exc):
                    raise self._error(exc) from exc
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{self.file.path}: not valid {self.options.encoding} text; {encoding_hint()}"
                ) from exc
            except (OSError, pa.ArrowException) as exc:
                raise InputError(f"{self.file.path}: cannot read: {first_line(exc)}") from exc

    def _read_once(self, *, threads: bool = False) -> Iterator[pa.RecordBatch]:
        with open_binary(self.file, self.counter) as binary:
            stream = text_stream(binary, self.file, skip=self.skip, encoding=self.options.encoding)
            if self.terminate:
                stream = pa.PythonFile(_EndsWithNewline(stream), mode="r")
            reader = pacsv.open_csv(
                stream,
                read_options=self._read_options(threads),
                parse_options=self._parse_options(),
                convert_options=self._convert_options(),
            )
            self._learn_names(reader.schema)
            to_skip = self.rows_done
            for batch in reader:
                if to_skip >= batch.num_rows:
                    to_skip -= batch.num_rows
                    continue
                batch, to_skip = batch.slice(to_skip), 0
                self.rows_done += batch.num_rows
                yield renamed(batch, self.names)
            if self.rows_done == 0:
                yield renamed(empty_batch(reader.schema), self.names)

    def _read_chunked(self) -> Iterator[pa.RecordBatch]:
        with open_binary(self.file, self.counter) as binary:
            stream = text_stream(binary, self.file, skip=self.skip, encoding=self.options.encoding)
            to_skip, first = self.rows_done, True
            for piece in _row_pieces(stream, self.options.quote_char.encode()):
                table = self._parse_piece(piece, first)
                first = False
                for batch in table.combine_chunks().to_batches(max_chunksize=self.batch_rows):
                    if to_skip >= batch.num_rows:
                        to_skip -= batch.num_rows
                        continue
                    batch, to_skip = batch.slice(to_skip), 0
                    self.rows_done += batch.num_rows
                    yield renamed(batch, self.names)
            if first:
                raise pa.ArrowInvalid("Empty CSV file")
            if self.rows_done == 0:
                yield renamed(empty_batch(self.schema), self.names)

    def _parse_piece(self, piece: bytes, first: bool) -> pa.Table:
        if first:
            read = pacsv.ReadOptions(autogenerate_column_names=not self.header)
            convert = self._convert_options()
        else:  # later pieces: no header, and the first piece's column types
            read = pacsv.ReadOptions(column_names=self.source_names, use_threads=PIECE_THREADS)
            types = {field.name: field.type for field in self.schema}
            convert = self._convert_options(types | self.text_columns)
        try:
            table = self._read_piece(piece, read, convert)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            # A row longer than Arrow's block: parse the piece as one block, rather than
            # start the file again with the streaming reader and ever larger blocks.
            read.block_size = len(piece) + 1
            if first and self._find_long_text(piece, read):
                convert = self._convert_options()
            table = self._read_piece(piece, read, convert)
        if first:
            if any(pa.types.is_binary(field.type) for field in table.schema):
                raise _UseStreaming  # text that is not UTF-8: say in which row
            self.schema = table.schema
            self._learn_names(table.schema)
        return table

    def _find_long_text(self, piece: bytes, read: pacsv.ReadOptions) -> bool:
        """Read columns holding values of ``LONG_FIELD_BYTES`` or more as text; whether any.

        Arrow's type inference costs some 50 ns per byte of a value (a 30 MB field takes
        1.5 s, 40 times the cost of reading it as text), and no number, boolean or date
        is that long: such columns are found by reading the piece once as text only.
        """
        names = self._first_row()
        if not names:
            return False
        if not self.header:
            names = [f"f{index}" for index in range(len(names))]
        as_text = self._convert_options(dict.fromkeys(names, pa.string()))
        table = self._read_piece(piece, read, as_text)
        longest = {
            name: pc.max(pc.binary_length(column)).as_py() or 0
            for name, column in zip(table.column_names, table.columns, strict=True)
            if pa.types.is_string(column.type)
        }
        long = [name for name, size in longest.items() if size >= LONG_FIELD_BYTES]
        self.text_columns.update(dict.fromkeys(long, pa.string()))
        return bool(long)

    def _first_row(self) -> list[str]:
        """The fields of the file's first row, as far as its first block holds them."""
        rows = csv.reader(
            io.StringIO(self.head_text, newline=""),
            delimiter=self.delimiter,
            quotechar=self.options.quote_char,
        )
        try:
            return next((row for row in rows if row), [])
        except csv.Error:
            return []

    def _read_piece(
        self, piece: bytes, read: pacsv.ReadOptions, convert: pacsv.ConvertOptions
    ) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(piece),
            read_options=read,
            parse_options=self._parse_options(),
            convert_options=convert,
        )

    def _read_options(self, threads: bool) -> pacsv.ReadOptions:
        return pacsv.ReadOptions(
            use_threads=threads,
            block_size=self.block_size,
            autogenerate_column_names=not self.header,
        )

    def _parse_options(self) -> pacsv.ParseOptions:
        return pacsv.ParseOptions(
            delimiter=self.delimiter, quote_char=self.options.quote_char, newlines_in_values=True
        )

    def _convert_options(self, types: dict | None = None) -> pacsv.ConvertOptions:
        return pacsv.ConvertOptions(
            column_types=self.text_columns if types is None else types,
            null_values=list(self.options.null_values),
            strings_can_be_null=True,
            true_values=TRUE_VALUES,
            false_values=FALSE_VALUES,
        )

    def _learn_names(self, schema: pa.Schema) -> None:
        self.source_names = list(schema.names)
        given = self.options.column_names
        if given is not None:
            if len(given) != len(schema):
                raise InputError(
                    f"{self.file.path}: has {len(schema)} columns but {len(given)}"
                    " column_names were given"
                )
            self.names = list(given)
        elif self.header:
            self.names = unique_names(schema.names)
        else:
            self.names = [f"_c{index}" for index in range(len(schema))]
        for name, field in zip(self.names, schema, strict=True):
            if pa.types.is_binary(field.type):
                raise InputError(
                    f"{self.file.path}: not valid UTF-8 (in column {name!r}); {encoding_hint()}"
                )

    def _widen(self, exc: pa.ArrowInvalid) -> bool:
        """Read the column named in a conversion error as text next time; False if not one."""
        match = _CONVERSION.search(str(exc))
        if not match or "string" in match.group(3) or not self.source_names:
            return False
        name = self.source_names[int(match.group(1))]
        if name in self.text_columns:
            return False
        self.text_columns[name] = pa.string()
        return True

    def _grow(self, exc: pa.ArrowInvalid) -> bool:
        """Use bigger blocks next time if a row did not fit in one; False if not that."""
        message = str(exc)
        too_long = "straddl" in message or ("Empty CSV file or block" in message and not self.blank)
        if not too_long or self.block_size >= MAX_BLOCK_BYTES:
            return False
        self.block_size = min(self.block_size * 4, MAX_BLOCK_BYTES)
        return True

    def _error(self, exc: pa.ArrowInvalid) -> InputError:
        message = str(exc)
        match = _CONVERSION.search(message)
        if match and "string" in match.group(3):
            column = self.names[int(match.group(1))] if self.names else match.group(1)
            if match.group(2):  # Arrow counts rows from the file's first line
                where = f", row {match.group(2)}"
            else:  # the failing block starts after the rows read so far
                where = f", data row {self.rows_done + 1} or later" if self.rows_done else ""
            return InputError(
                f"{self.file.path}: not valid UTF-8 (in column {column!r}{where});"
                f" {encoding_hint()}"
            )
        ragged = _RAGGED.search(message)
        if ragged:
            return self._ragged_error(ragged)
        if "Empty CSV file" in message and self.blank:
            return InputError(f"{self.file.path}: holds no rows, only blank lines")
        if "straddl" in message or "Empty CSV file" in message:
            return InputError(
                f"{self.file.path}: a row is longer than {MAX_BLOCK_BYTES >> 20} MB;"
                " is the quote character right?"
            )
        return InputError(f"{self.file.path}: cannot read as CSV: {first_line(exc)}")

    def _ragged_error(self, match: re.Match[str]) -> InputError:
        row = match.group(1) or self._ragged_row()
        where = f"row {row}" if row else "a row"
        return InputError(
            f"{self.file.path}: {where} has {match.group(3)} fields, expected"
            f" {match.group(2)}: {excerpt(match.group(4))}"
        )

    def _ragged_row(self) -> str | None:
        """The row number of a parse error; Arrow only counts rows when single-threaded."""
        self.rows_done = 0
        try:
            for _ in self._read_once(threads=False):
                pass
        except pa.ArrowInvalid as exc:
            found = _RAGGED.search(str(exc))
            return found.group(1) if found else None
        except Exception:  # the first error is the one to report; this pass only adds detail
            return None
        return None


class _UseStreaming(Exception):
    """Leave the file to the streaming reader: no row end outside quotes in a very large
    span, or a problem whose row only the streaming reader can name."""


def _row_pieces(stream: pa.NativeFile, quote: bytes) -> Iterator[pa.Buffer]:
    """The stream's text in pieces of about ``CHUNK_BYTES`` that end at a row end.

    A line end ends a row unless it is inside quotes, and it is inside quotes exactly
    when an odd number of quote characters precede it in the piece (doubled quotes
    inside quoted fields count twice): a piece is cut at the last line end with an even
    count. The last piece is the rest of the text, with a line end added if it lacks
    one, so a file that fits in one piece is parsed whole. A seekable stream is re-read
    from each cut (no copying of what follows it); others carry it over.
    """
    seekable = stream.seekable()
    size = stream.size() if seekable else None
    start = stream.tell() if seekable else 0
    carry = b""
    # One buffer for every read of a seekable stream: each piece is parsed (copied into
    # columns) before the next read, and fresh 32 MB buffers would cost page faults.
    scratch = pa.allocate_buffer(CHUNK_BYTES) if seekable else None
    while True:
        if scratch is not None:
            data = scratch.slice(0, stream.readinto(memoryview(scratch)))
        else:
            data = stream.read_buffer(CHUNK_BYTES)
        text = pa.py_buffer(carry + data.to_pybytes()) if carry else data
        if len(data) == 0 or (size is not None and stream.tell() >= size):
            if len(text) and bytes(text[-1:]) not in (b"\n", b"\r"):
                text = pa.py_buffer(text.to_pybytes() + b"\n")
            if _has_text(text):
                yield text
            return
        cut = _row_end(text, quote[0])
        if cut is None:  # a row longer than a piece: read on
            if len(text) > MAX_BLOCK_BYTES:
                raise _UseStreaming
            carry = text.to_pybytes()
            if seekable:
                start += len(data)
            continue
        yield text.slice(0, cut)
        if seekable:
            start += cut - len(carry)
            carry = b""
            stream.seek(start)
        else:
            carry = text.slice(cut).to_pybytes()


def _has_text(text: pa.Buffer) -> bool:
    view = np.frombuffer(text, np.uint8)
    return bool(np.any((view != 10) & (view != 13) & (view != 32) & (view != 9)))


def _row_end(text: pa.Buffer, quote: int) -> int | None:
    """Position after the last line end of ``text`` that is outside quotes, if any."""
    view = np.frombuffer(text, np.uint8)
    window = 1 << 16
    end = len(view)
    before_end = _count(view, quote)  # quotes before ``end``
    while end > 0:
        low = max(0, end - window)
        quotes = np.cumsum(view[low:end] == quote)
        before = before_end - (int(quotes[-1]) if len(quotes) else 0)
        before_end = before
        newlines = np.flatnonzero(view[low:end] == 10)
        # quotes strictly before each line end, counted from the start of the text
        preceding = before + np.where(newlines > 0, quotes[newlines - 1], 0)
        outside = newlines[preceding % 2 == 0]
        if len(outside):
            return low + int(outside[-1]) + 1
        if len(view) - low > MAX_BLOCK_BYTES:
            return None
        end = low
    return None


def _count(view: np.ndarray, byte: int) -> int:
    """How often ``byte`` occurs in ``view``, a window at a time: a comparison of the
    whole 32 MB piece at once would fault in a fresh 32 MB mask for every piece."""
    window = 1 << 20
    return sum(
        int(np.count_nonzero(view[start : start + window] == byte))
        for start in range(0, len(view), window)
    )


class _EndsWithNewline:
    """The text of a one-line stream with a line end added.

    Arrow needs the header's line end in the first block it reads, so the line is
    read whole (it is the whole file) and handed out with ``\\n`` appended.
    """

    def __init__(self, stream: pa.NativeFile) -> None:
        self._stream = stream
        self._buffer: io.BytesIO | None = None
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        if self._buffer is None:
            text = self._stream.read()
            self._buffer = io.BytesIO(text + b"\n" if text.strip() else text)
        return self._buffer.read(size)

    def close(self) -> None:
        self.closed = True
        self._stream.close()
