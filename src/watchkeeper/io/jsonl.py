"""Streaming JSON Lines reader.

The file is cut into chunks of whole lines (a chunk grows to hold a line of any
length) and each chunk is parsed by ``pyarrow.json``. Types are inferred per chunk,
so a key that first appears late in the file, or a number that later turns into
text, is read rather than refused. When one chunk mixes types for a key (``1`` on
one line, ``"abc"`` on another), that key is read as text in that chunk: JSON values
that are not strings keep their JSON spelling (``1``, ``true``, ``{"b": 2}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson

from watchkeeper.errors import InputError
from watchkeeper.io.files import ByteCounter, DataFile, open_binary
from watchkeeper.io.messages import first_line
from watchkeeper.io.names import with_unique_names
from watchkeeper.io.text import HEAD_BYTES, decode_head, read_block, text_stream

CHUNK_BYTES = 2 << 20
ENCODING_HINT = "JSON Lines files must be UTF-8; re-encode the file"

_TYPE_CHANGE = re.compile(r"Column\(/([^)/]*)[^)]*\) changed from \w+ to \w+")


def read_jsonl(file: DataFile, counter: ByteCounter) -> Iterator[pa.RecordBatch]:
    """Stream a JSON Lines file (one JSON object per line) as record batches."""
    if file.size == 0:
        raise InputError(f"{file.path}: the file is empty (0 bytes)")
    return _scan(file, counter)


def _scan(file: DataFile, counter: ByteCounter) -> Iterator[pa.RecordBatch]:
    line = 1
    found = False
    try:
        with open_binary(file, counter) as binary:
            stream = text_stream(binary, file)
            for index, chunk in enumerate(_line_chunks(file, stream)):
                text = _checked_start(file, chunk) if index == 0 else chunk
                if text and not text.isspace():
                    for batch in parse_chunk(file, text, line).to_batches():
                        found = True
                        yield with_unique_names(batch)
                line += chunk.count(b"\n")
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{file.path}: cannot read: {first_line(exc)}") from exc
    if not found:
        raise InputError(f"{file.path}: holds no JSON records, only blank lines")


def _line_chunks(file: DataFile, stream: pa.NativeFile) -> Iterator[bytes]:
    """The stream's bytes in pieces that end at a line end (the last one may not)."""
    pending: list[bytes] = []
    while block := read_block(file, stream, CHUNK_BYTES):
        cut = block.rfind(b"\n")
        if cut < 0:
            pending.append(block)
            continue
        pending.append(block[: cut + 1])
        yield b"".join(pending)
        pending = [block[cut + 1 :]]
    rest = b"".join(pending)
    if rest:
        yield rest


def _checked_start(file: DataFile, chunk: bytes) -> bytes:
    head = decode_head(
        file, chunk[:HEAD_BYTES], encoding="utf-8", what="JSON Lines", hint=ENCODING_HINT
    )
    if head.text.lstrip().startswith("["):
        raise InputError(
            f"{file.path}: holds a JSON array, not JSON Lines; write one JSON object per line"
        )
    return chunk[head.skip :]


def parse_chunk(file: DataFile, chunk: bytes, first: int) -> pa.Table:
    """Parse whole lines of JSON; ``first`` is the file's line number of the first one."""
    try:
        return _parse(chunk)
    except pa.ArrowInvalid as exc:
        if _TYPE_CHANGE.search(str(exc)):
            return _parse_mixed(file, chunk, first)
        raise _parse_error(file, chunk, first, exc) from exc
    except UnicodeDecodeError as exc:
        raise _parse_error(file, chunk, first, exc) from exc


def _parse(chunk: bytes) -> pa.Table:
    # One block per chunk: a line can never straddle two blocks.
    options = pajson.ReadOptions(block_size=len(chunk) + 1, use_threads=False)
    table = pajson.read_json(pa.BufferReader(chunk), read_options=options)
    # The JSON parser copies string bytes without checking them; invalid UTF-8 must not
    # reach the profile as a "string".
    table.validate(full=True)
    return table


def _parse_mixed(file: DataFile, chunk: bytes, first: int) -> pa.Table:
    """Parse a chunk whose keys mix JSON types, reading each such key as text."""
    records = _records(file, chunk, first)
    as_text: set[str] = set()
    while True:
        dumped = "\n".join(json.dumps(record) for record in records).encode()
        try:
            return _parse(dumped)
        except pa.ArrowInvalid as exc:
            match = _TYPE_CHANGE.search(str(exc))
            if not match or match.group(1) in as_text:
                raise _parse_error(file, chunk, first, exc) from exc
            as_text.add(match.group(1))
            _to_text(records, match.group(1))


def _to_text(records: list[dict[str, Any]], key: str) -> None:
    for record in records:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            record[key] = json.dumps(value)


def _records(file: DataFile, chunk: bytes, first: int) -> list[dict[str, Any]]:
    """The chunk's objects, decoded in Python; InputError names the first bad line."""
    records = []
    for offset, line in enumerate(chunk.split(b"\n")):
        if not line.strip():
            continue
        where = f"{file.path}: line {first + offset}"
        try:
            value = json.loads(line, object_pairs_hook=_unique_keys)
        except UnicodeDecodeError as exc:
            raise InputError(f"{where} is not valid UTF-8; {ENCODING_HINT}") from exc
        except ValueError as exc:
            raise InputError(f"{where} is not valid JSON: {_json_problem(exc)}") from exc
        if not isinstance(value, dict):
            raise InputError(
                f"{where} is a JSON {type(value).__name__}, not an object; each line must be"
                " one object"
            )
        records.append(value)
    return records


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"key {repeated!r} appears twice in one object")
    return record


def _json_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} (column {exc.colno})"
    return str(exc)


def _parse_error(file: DataFile, chunk: bytes, first: int, exc: Exception) -> InputError:
    _records(file, chunk, first)  # raises the precise error when one line is at fault
    last = first + chunk.count(b"\n")
    return InputError(
        f"{file.path}: cannot read lines {first}-{last} as JSON Lines: {first_line(exc)}"
    )
