"""Streaming JSON Lines reader.

The file is cut into chunks of whole lines (a chunk grows to hold a line of any
length) and each chunk is parsed by ``pyarrow.json``. Types are inferred per chunk,
so a key that first appears late in the file, or a number that later turns into
text, is read rather than refused. When one chunk mixes types for a key (``1`` on
one line, ``"abc"`` on another), that key is read as text in that chunk: JSON values
that are not strings keep their JSON spelling (``1``, ``true``, ``{"b": 2}``).

Every line must hold one JSON object; the first line that does not (``null``, ``[1]``,
text) is named in the error, and nothing of the file is profiled. Each chunk is
measured before the parser meets it (:mod:`watchkeeper.io.jsonshape`): a value nested
more than ``MAX_NESTING`` (64) levels deep is read as text, its JSON as written in the
file, so that such a value costs time by its bytes and can never exhaust a stack. A
line may be up to ``MAX_LINE_BYTES`` (1 GiB) long.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.json as pajson

from watchkeeper.errors import InputError
from watchkeeper.io.files import ByteCounter, DataFile, open_binary
from watchkeeper.io.jsonshape import MAX_NESTING, chunk_shape, members
from watchkeeper.io.messages import excerpt, first_line
from watchkeeper.io.names import with_unique_names
from watchkeeper.io.text import HEAD_BYTES, decode_head, read_block, text_stream

CHUNK_BYTES = 2 << 20
MAX_LINE_BYTES = 1 << 30
ENCODING_HINT = "JSON Lines files must be UTF-8; re-encode the file"
ONE_OBJECT = "write one object per line"

_PARSER_ROW = re.compile(r"\s*in row (\d+)$")


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
    except _LineTooLong:
        raise InputError(
            f"{file.path}: line {line} is longer than {MAX_LINE_BYTES >> 20} MB;"
            " is it really JSON Lines?"
        ) from None
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{file.path}: cannot read: {first_line(exc)}") from exc
    if not found:
        raise InputError(f"{file.path}: holds no JSON records, only blank lines")


def _line_chunks(file: DataFile, stream: pa.NativeFile) -> Iterator[bytes]:
    """The stream's bytes in pieces that end at a line end (the last one may not)."""
    pending: list[bytes] = []
    waiting = 0
    while block := read_block(file, stream, CHUNK_BYTES):
        cut = block.rfind(b"\n")
        if cut < 0:
            pending.append(block)
            waiting += len(block)
            if waiting > MAX_LINE_BYTES:
                raise _LineTooLong
            continue
        pending.append(block[: cut + 1])
        yield b"".join(pending)
        pending = [block[cut + 1 :]]
        waiting = len(pending[0])
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


class _LineTooLong(Exception):
    """A line runs on past ``MAX_LINE_BYTES``."""


def parse_chunk(file: DataFile, chunk: bytes, first: int) -> pa.Table:
    """Parse whole lines of JSON; ``first`` is the file's line number of the first one."""
    shape = chunk_shape(chunk)
    if shape.not_object is not None:
        raise _not_object(file, chunk, first, shape.not_object)
    deep = {index: chunk[start:stop] for index, start, stop in shape.deep}
    if not deep:
        try:
            table = _parse(chunk)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            pass  # a line that is not JSON (named below), or keys whose types mix
        else:
            # Text that is not UTF-8 (the parser copies string bytes unchecked), or an
            # array the parser built wrong (lists that start with null get offsets past
            # their values), is not let through.
            if not _broken_columns(table):
                return table
    return _parse_records(file, chunk, first, deep)


def _parse(chunk: bytes) -> pa.Table:
    # One block per chunk: a line can never straddle two blocks.
    options = pajson.ReadOptions(block_size=len(chunk) + 1, use_threads=False)
    return pajson.read_json(pa.BufferReader(chunk), read_options=options)


def _broken_columns(table: pa.Table) -> set[str]:
    """The top-level keys whose arrays are not valid Arrow data."""
    broken = set()
    for name, column in zip(table.column_names, table.columns, strict=True):
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            broken.add(name)
    return broken


def _parse_records(file: DataFile, chunk: bytes, first: int, deep: dict[int, bytes]) -> pa.Table:
    """Parse a chunk in Python (naming the first line that is not one JSON object),
    then in Arrow. A key whose values nest too deeply (lines ``deep``, by index in the
    chunk), whose values mix JSON types, or that the parser cannot build, is read as
    text."""
    records, as_text = _records(file, chunk, first, deep)
    for key in as_text:
        _to_text(records, key)
    keys = {key for record in records for key in record}
    while True:
        try:
            table = _parse(_dumps(records))
        except pa.ArrowInvalid as exc:
            culprits = _named_key(str(exc), keys - as_text) or _failing_keys(
                records, keys - as_text
            )
            error: Exception = exc
        else:
            broken = _broken_columns(table)
            if not broken:
                return table
            culprits = broken - as_text
            error = ValueError("the parser built invalid data")
        if not culprits:
            raise _chunk_error(file, chunk, first, error) from error
        for key in culprits:
            as_text.add(key)
            _to_text(records, key)


def _named_key(message: str, candidates: set[str]) -> set[str]:
    """The one key the parser's message names (``Column(/key/...) changed from …``).

    Keys may hold ``/`` and ``)``, so a message can fit several keys: then none is
    taken, and the keys are tried one by one instead.
    """
    named = {
        key for key in candidates if f"Column(/{key})" in message or f"Column(/{key}/" in message
    }
    return named if len(named) == 1 else set()


def _failing_keys(records: list[dict[str, Any]], candidates: set[str]) -> set[str]:
    """The keys whose values alone the parser cannot read or builds wrong."""
    return {key for key in candidates if not _parses([{key: r.get(key)} for r in records])}


def _parses(records: list[dict[str, Any]]) -> bool:
    try:
        return not _broken_columns(_parse(_dumps(records)))
    except pa.ArrowInvalid:
        return False


def _dumps(records: list[dict[str, Any]]) -> bytes:
    return "\n".join(json.dumps(record) for record in records).encode()


def _to_text(records: list[dict[str, Any]], key: str) -> None:
    for record in records:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            record[key] = json.dumps(value, sort_keys=True)  # as the profile writes them


def _records(
    file: DataFile, chunk: bytes, first: int, deep: dict[int, bytes] | None = None
) -> tuple[list[dict[str, Any]], set[str]]:
    """The chunk's objects, decoded in Python, and the keys that hold values nested too
    deeply to decode (kept as their text); InputError names the first bad line."""
    deep = deep or {}
    records, as_text = [], set()
    for offset, line in enumerate(chunk.split(b"\n")):
        if not line.strip():
            continue
        where = f"{file.path}: line {first + offset}"
        if offset in deep:
            record, texts = _deep_record(deep[offset], where)
            as_text |= texts
        else:
            record = _record(line, where)
        records.append(record)
    return records, as_text


def _record(line: bytes, where: str) -> dict[str, Any]:
    """One line's object; only for lines nested at most ``MAX_NESTING`` levels deep."""
    value = _decode(line, where)
    if not isinstance(value, dict):
        raise InputError(f"{where} is not a JSON object (it is {_json_kind(value)}); {ONE_OBJECT}")
    return value


def _deep_record(line: bytes, where: str) -> tuple[dict[str, Any], set[str]]:
    """A line nested more than ``MAX_NESTING`` levels deep, split into its members: the
    deep values stay text (their JSON as written), the others are decoded."""
    found = members(line)
    if found is None:
        raise InputError(f"{where} is not valid JSON: its brackets or quotes do not match")
    pairs, as_text = [], set()
    for key_text, value_text in found:
        key = _decode(key_text, where)
        if not isinstance(key, str):
            raise InputError(f"{where} is not valid JSON: a key is not a string")
        if value_text.count(b"{") + value_text.count(b"[") > MAX_NESTING:
            try:
                value: Any = value_text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{where} is not valid UTF-8; {ENCODING_HINT}") from exc
            as_text.add(key)
        else:
            value = _decode(value_text, where)
        pairs.append((key, value))
    try:
        return _unique_keys(pairs), as_text
    except ValueError as exc:
        raise InputError(f"{where} is not valid JSON: {exc}") from exc


def _decode(text: bytes, where: str) -> Any:
    """A JSON text nested at most ``MAX_NESTING`` levels deep, decoded."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_integer,
            parse_float=_double,
        )
    except _BeyondDouble as exc:
        raise InputError(f"{where} holds a number beyond a double's range: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not valid UTF-8; {ENCODING_HINT}") from exc
    except ValueError as exc:
        raise InputError(f"{where} is not valid JSON: {_json_problem(exc)}") from exc


def _not_object(file: DataFile, chunk: bytes, first: int, index: int) -> InputError:
    """The error for the chunk's line ``index``, which is not one JSON object."""
    line = chunk.split(b"\n", index + 1)[index]
    where = f"{file.path}: line {first + index}"
    opens = line.count(b"{") + line.count(b"[")
    if opens <= MAX_NESTING:
        _record(line, where)  # raises the precise error: a null, a list, not JSON …
    start = excerpt(line.strip().decode("utf-8", "replace"), 20)
    return InputError(f"{where} is not a JSON object (it starts {start}); {ONE_OBJECT}")


class _BeyondDouble(Exception):
    """A JSON number that no double holds (Arrow's parser refuses it too)."""


def _integer(text: str) -> int | float:
    # Arrow reads integers beyond 64 bits as doubles; Python would refuse those of more
    # than 4300 digits as text it may not convert.
    if len(text) <= 20:
        value = int(text)
        if -(2**63) <= value < 2**63:
            return value
    return _double(text)


def _double(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _BeyondDouble(excerpt(text, 20))
    return value



def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    return names.get(type(value), "a list")


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


def _chunk_error(file: DataFile, chunk: bytes, first: int, exc: Exception) -> InputError:
    problem = first_line(exc)
    row = _PARSER_ROW.search(problem)
    if row:  # the parser counts rows, blank lines left out: say which line
        filled = (i for i, line in enumerate(chunk.split(b"\n")) if line.strip())
        index = next((i for n, i in enumerate(filled) if n == int(row.group(1))), None)
        if index is not None:
            what = problem[: row.start()].removeprefix("JSON parse error: ").rstrip(". ")
            return InputError(f"{file.path}: line {first + index} cannot be read: {what}")
    last = first + chunk.count(b"\n")
    return InputError(f"{file.path}: cannot read lines {first}-{last} as JSON Lines: {problem}")
