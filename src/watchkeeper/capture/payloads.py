"""Payloads to rows: the fields of one side (input or output) of many capture records.

CSV payloads are split into lines and fields by Arrow over the joined payload text, one
row per non-blank line. JSON payloads are parsed per record: an object is one row of
named fields, a list of objects or of lists is several rows, ``{"instances": [...]}``
(input) and ``{"predictions": [...]}`` (output) are one row per element, anything else
is one row. Base64 payloads are decoded first and read by their content type; binary
ones (an image, say) give no fields.

Field values are kept as text here; types are decided once the columns are assembled.
"""

from __future__ import annotations

import base64
import binascii
import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

# Payloads are parsed this many records at a time, which keeps the joined text of
# one piece well inside Arrow's 2 GiB string limit.
PIECE_RECORDS = 1 << 18
WRAPPERS = {"input": "instances", "output": "predictions"}
JSON_BLOCK = 4 << 20

Key = int | str  # a field's position in its side's row, or its name


@dataclass
class SideRows:
    """The rows of one side of a list of records.

    Record ``r`` owns rows ``starts[r] : starts[r] + counts[r]``; ``columns`` maps each
    field (position or name) to a string array over all rows; ``widths`` is the number
    of fields of each row; ``bad`` marks records whose payload could not be decoded.
    """

    counts: np.ndarray
    starts: np.ndarray
    columns: dict[Key, pa.Array]
    widths: np.ndarray
    bad: np.ndarray

    @property
    def size(self) -> int:
        return len(self.widths)


def read_side(
    data: pa.ChunkedArray, encodings: pa.ChunkedArray, types: pa.ChunkedArray, side: str
) -> SideRows:
    """The rows of one side (``"input"`` or ``"output"``) of every record, in record order."""
    pieces = []
    for at in range(0, len(data), PIECE_RECORDS):
        piece = [column[at : at + PIECE_RECORDS].combine_chunks()
                 for column in (data, encodings, types)]  # fmt: skip
        pieces.append(_read_piece(*piece, side))
    return combine(pieces, len(data)) if pieces else _empty(0)


# How a payload is read, decided per record from its encoding and content type.
NONE, CSV, JSON, BASE64_NONE, BASE64_CSV, BASE64_JSON = range(6)
_KIND_NAMES = {JSON: "json", BASE64_JSON: "base64-json"}


def _read_piece(data: pa.Array, encodings: pa.Array, types: pa.Array, side: str) -> SideRows:
    kinds = _kinds(encodings, types)
    groups: list[tuple[np.ndarray, SideRows]] = []
    csv_records = np.flatnonzero(kinds == CSV)
    if len(csv_records):
        groups.append((csv_records, csv_rows(data.take(csv_records))))
    encoded_csv = np.flatnonzero(kinds == BASE64_CSV)
    if len(encoded_csv):
        groups.append((encoded_csv, _base64_csv_rows(data.take(encoded_csv))))
    # Binary payloads (base64 of no known text type) give no fields and are not decoded.
    by_python = (kinds == JSON) | (kinds == BASE64_JSON)
    json_records = np.flatnonzero(kinds == JSON)
    fast = object_rows(data.take(json_records), side) if len(json_records) else None
    if fast is not None:
        groups.append((json_records, fast))
        by_python &= kinds != JSON
    python_records = np.flatnonzero(by_python)
    if len(python_records):
        texts = data.take(python_records).to_pylist()
        chosen = [_KIND_NAMES[kind] for kind in kinds[python_records].tolist()]
        groups.append((python_records, _python_rows(texts, chosen, side)))
    return _scatter_records(groups, len(data))


def _kinds(encodings: pa.Array, types: pa.Array) -> np.ndarray:
    """The kind of each payload: by its encoding, and by its content type when base64 or unsaid."""
    encoding = pc.utf8_upper(pc.fill_null(encodings, ""))
    media = pc.utf8_lower(pc.fill_null(types, ""))

    def flag(values: pa.Array) -> np.ndarray:
        return values.to_numpy(zero_copy_only=False)

    by_type = np.where(
        flag(pc.match_substring(media, "csv")), CSV,
        np.where(flag(pc.match_substring(media, "json")), JSON, NONE),
    )  # fmt: skip
    kinds = np.where(flag(pc.equal(encoding, "CSV")), CSV, by_type)
    kinds = np.where(flag(pc.equal(encoding, "JSON")), JSON, kinds)
    return np.where(flag(pc.equal(encoding, "BASE64")), BASE64_NONE + by_type, kinds)


# -- CSV --------------------------------------------------------------------------


def csv_rows(texts: pa.Array) -> SideRows:
    """Rows of CSV payloads: each non-blank line a row, fields split by Arrow's CSV reader."""
    texts = texts.cast(pa.string()) if texts.type != pa.string() else texts
    # Every line break ends a row (\r\n, \n, and a lone \r), as CSV readers take them.
    texts = pc.replace_substring(pc.replace_substring(texts, "\r\n", "\n"), "\r", "\n")
    lines = pc.split_pattern(texts, "\n")
    parents = pc.list_parent_indices(lines).to_numpy()
    flat = pc.list_flatten(lines)
    keep = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(flat)), 0)
    flat = flat.filter(keep)
    parents = parents[keep.to_numpy(zero_copy_only=False)]
    counts = np.bincount(parents, minlength=len(texts)).astype(np.int64)
    columns, widths = _split_fields(flat)
    return SideRows(counts, _starts(counts), columns, widths, np.zeros(len(texts), bool))


def _base64_csv_rows(texts: pa.Array) -> SideRows:
    """Rows of base64 CSV payloads: decoded one by one, then read as CSV payloads are."""
    decoded: list[str | None] = []
    bad = np.zeros(len(texts), bool)
    for record, text in enumerate(texts.to_pylist()):
        try:
            decoded.append(None if text is None else _base64_text(text))
        except (ValueError, binascii.Error):  # not base64, or not UTF-8 text once decoded
            decoded.append(None)
            bad[record] = True
    rows = csv_rows(pa.array(decoded, pa.string()))
    rows.bad |= bad
    return rows


def _base64_text(text: str) -> str:
    return base64.b64decode(text, validate=True).decode("utf-8")


def _split_fields(lines: pa.Array) -> tuple[dict[Key, pa.Array], np.ndarray]:
    """Fields of each line. Lines are grouped by comma count so each group is one table."""
    commas = pc.count_substring(lines, ",").to_numpy(zero_copy_only=False)
    widths = np.zeros(len(lines), np.int64)
    pieces: dict[Key, list[tuple[np.ndarray, pa.Array]]] = {}
    for count in np.unique(commas):
        rows = np.flatnonzero(commas == count)
        table = _csv_table(lines.take(rows), int(count) + 1)
        widths[rows] = table.num_columns
        for position, column in enumerate(table.columns):
            pieces.setdefault(position, []).append((rows, column.combine_chunks()))
    return {key: scatter(parts, len(lines)) for key, parts in pieces.items()}, widths


def _csv_table(lines: pa.Array, width: int) -> pa.Table:
    names = [f"f{i}" for i in range(width)]
    text = _joined(pc.binary_join_element_wise(lines, "", "\n"))
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=names, block_size=max(len(text), 1 << 20)),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
        if table.num_rows == len(lines):
            return table
    except pa.ArrowInvalid:
        pass
    # Quoted commas make the comma count wrong for some lines: split those one by one.
    return _csv_table_slow(lines.to_pylist())


def _csv_table_slow(lines: list[str]) -> pa.Table:
    rows = [_csv_fields(line) for line in lines]
    width = max(map(len, rows), default=0)
    return pa.table(
        {f"f{i}": pa.array([row[i] if i < len(row) else None for row in rows], pa.string())
         for i in range(width)}
    )  # fmt: skip


def _csv_fields(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error:  # a field beyond the csv module's size limit: Arrow has none
        text = line.encode() + b"\n"  # Arrow reads no row that has no line break
        names = pacsv.read_csv(
            pa.BufferReader(text), read_options=pacsv.ReadOptions(autogenerate_column_names=True)
        ).column_names
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=names),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
        return [column[0].as_py() for column in table.columns]


def _joined(strings: pa.Array) -> pa.Buffer:
    """The text of a string array without nulls, as one buffer (no copy)."""
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1, strings.offset * 4)
    return strings.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


# -- JSON objects, by Arrow ----------------------------------------------------------

_SCALARS = (pa.types.is_string, pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean,
            pa.types.is_null)  # fmt: skip


def object_rows(texts: pa.Array, side: str) -> SideRows | None:
    """Rows of JSON payloads that are each one object, parsed together by Arrow.

    None when they are not all objects of scalars, nested objects and lists of scalars
    (or when one holds the side's ``instances``/``predictions`` list): those are parsed
    record by record.
    """
    if texts.null_count or not pc.all(pc.starts_with(pc.utf8_ltrim_whitespace(texts), "{")).as_py():
        return None
    # A raw line break can only be whitespace between JSON tokens, so one object per line.
    flat = pc.replace_substring(pc.replace_substring(texts, "\n", " "), "\r", " ")
    try:
        table = _json_table(_joined(pc.binary_join_element_wise(flat, "", "\n")))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(texts) or WRAPPERS[side] in table.column_names:
        return None
    columns = _expanded(_flattened(table))
    if columns is None:
        return None
    widths = np.zeros(len(texts), np.int64)
    for column in columns.values():
        widths += column.is_valid().to_numpy(zero_copy_only=False)
    counts = np.ones(len(texts), np.int64)
    return SideRows(counts, np.arange(len(texts)), columns, widths, np.zeros(len(texts), bool))


def read_json_lines(
    text: pa.Buffer | bytes, options: pajson.ParseOptions | None = None
) -> pa.Table:
    """Arrow's JSON reader over one object per line, its blocks parsed in parallel.

    An object longer than a block cannot be split, so such text is read as one block.
    Text with a line that does not open an object raises ``pa.ArrowInvalid`` before
    Arrow sees it: Arrow's reader crashes the process on a block that starts with
    ``null``, and a line that is not an object is not a record anyway. So does a table
    Arrow builds wrong (a list that starts with ``null`` and goes on with values loses
    its leading nulls, and reading such a list goes past the end of its values).
    """
    if not _lines_open_objects(text):
        raise pa.ArrowInvalid("a line is not a JSON object")
    options = options or pajson.ParseOptions()
    try:
        table = pajson.read_json(
            pa.BufferReader(text), pajson.ReadOptions(block_size=JSON_BLOCK), options
        )
    except pa.ArrowInvalid as exc:
        if "straddling" not in str(exc) or len(text) <= JSON_BLOCK:
            raise
        whole = pajson.ReadOptions(block_size=len(text) + 1)
        table = pajson.read_json(pa.BufferReader(text), whole, options)
    table.validate(full=True)
    return table


def _lines_open_objects(text: pa.Buffer | bytes) -> bool:
    """Whether every non-blank line's first character, after spaces, is ``{``."""
    data = np.frombuffer(text, np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(data == ord("\n")) + 1))
    # The first character of each line that is not a space, a tab or a carriage return;
    # a blank line's is its own line break.
    visible = np.flatnonzero((data != ord(" ")) & (data != ord("\t")) & (data != ord("\r")))
    at = np.searchsorted(visible, starts)
    firsts = data[visible[at[at < len(visible)]]]
    return bool(np.all((firsts == ord("{")) | (firsts == ord("\n"))))


def _json_table(text: pa.Buffer) -> pa.Table:
    table = read_json_lines(text)
    schema = pa.schema([_untimed(field) for field in table.schema])
    if schema == table.schema:
        return table
    # Arrow reads date-like strings as timestamps; read them again as the text they are.
    return read_json_lines(text, pajson.ParseOptions(explicit_schema=schema))


def _untimed(field: pa.Field) -> pa.Field:
    if pa.types.is_timestamp(field.type) or pa.types.is_date(field.type):
        return field.with_type(pa.string())
    if pa.types.is_struct(field.type):
        return field.with_type(pa.struct([_untimed(child) for child in field.type]))
    if pa.types.is_list(field.type):
        return field.with_type(pa.list_(_untimed(field.type.value_field)))
    return field


def _flattened(table: pa.Table) -> pa.Table:
    """Nested objects as ``a.b`` columns."""
    while any(pa.types.is_struct(column.type) for column in table.columns):
        table = table.flatten()
    return table


def _expanded(table: pa.Table) -> dict[Key, pa.Array] | None:
    """String columns, lists of scalars spread as ``name_0, name_1, …``; None if deeper."""
    columns: dict[Key, pa.Array] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        column = column.combine_chunks()
        if pa.types.is_list(column.type) and any(f(column.type.value_type) for f in _SCALARS):
            for index, item in enumerate(_list_items(column)):
                columns[f"{name}_{index}"] = _as_text(item)
        elif any(f(column.type) for f in _SCALARS):
            columns[name] = _as_text(column)
        else:
            return None
    return columns


def _as_text(values: pa.Array) -> pa.Array:
    """Values as the text JSON had: a float that is whole keeps its ``.0`` (Arrow writes
    ``3.0`` as ``3``), so that it is not taken for an integer."""
    text = values.cast(pa.string())
    if not pa.types.is_floating(values.type):
        return text
    whole = pc.fill_null(pc.match_substring_regex(text, r"^-?\d+$"), False)
    return pc.if_else(whole, pc.binary_join_element_wise(text, ".0", ""), text)


def _list_items(column: pa.ListArray) -> list[pa.Array]:
    """The k-th element of every list, for each k up to the longest list."""
    lengths = pc.fill_null(pc.list_value_length(column), 0).to_numpy()
    firsts = column.offsets.to_numpy()[:-1]
    return [
        column.values.take(pa.array(firsts + k, mask=lengths <= k))
        for k in range(int(lengths.max(initial=0)))
    ]


# -- JSON and base64 ------------------------------------------------------------------


def _python_rows(texts: list[str | None], kinds: list[str], side: str) -> SideRows:
    """Rows of JSON and base64 payloads, parsed record by record."""
    counts = np.zeros(len(texts), np.int64)
    bad = np.zeros(len(texts), bool)
    fields: dict[Key, tuple[list[int], list[str | None]]] = {}
    widths: list[int] = []
    for record, (text, kind) in enumerate(zip(texts, kinds, strict=True)):
        try:
            rows = _payload_rows(text, kind, side)
        except (ValueError, binascii.Error, RecursionError):
            bad[record] = True
            continue
        counts[record] = len(rows)
        for row in rows:
            for key, value in row:
                index, values = fields.setdefault(key, ([], []))
                index.append(len(widths))
                values.append(value)
            widths.append(_width(row))
    columns = {
        key: scatter([(np.asarray(index, np.int64), pa.array(values, pa.string()))], len(widths))
        for key, (index, values) in fields.items()
    }
    return SideRows(counts, _starts(counts), columns, np.asarray(widths, np.int64), bad)


def _width(row: list[tuple[Key, str | None]]) -> int:
    """Fields a row takes in the assembled row: all positions, or the names with a value.
    An answer row (see :func:`_answer_rows`) takes the positions of its predictions only,
    as its CSV form would, so the positions of a request's fields are the same whichever
    form the answer took."""
    if row and isinstance(row[0][0], str):
        if row[0][0] == WRAPPERS["output"] or row[0][0].startswith(WRAPPERS["output"] + "_"):
            row = [(key, value) for key, value in row
                   if isinstance(key, str) and key.startswith(WRAPPERS["output"])]  # fmt: skip
        return sum(value is not None for _, value in row)
    return len(row)


def _payload_rows(text: str | None, kind: str, side: str) -> list[list[tuple[Key, str | None]]]:
    if text is None:
        return []
    if kind == "base64-json":
        text = _base64_text(text)
    rows = []
    for value in _json_values(text):
        answers = _answer_rows(value) if side == "output" else None
        rows += answers if answers is not None else [_row(row) for row in _rows_of(value, side)]
    return rows


def _answer_rows(value: object) -> list[list[tuple[Key, str | None]]] | None:
    """Rows of an answer ``{"predictions": [...], ...}`` whose predictions are values or
    lists: each named as the answer names it (``predictions``, or ``predictions_0, …``
    for several outputs), with the row's entry of every other list of one entry per
    prediction (``probabilities`` → ``probabilities_0, …``). Lists that are not per row
    (``classes``) are left out. None for any other answer."""
    if not isinstance(value, dict):
        return None
    predictions = value.get(WRAPPERS["output"])
    if not isinstance(predictions, list) or any(isinstance(p, dict) for p in predictions):
        return None  # objects of named fields (SageMaker's own answers) are read as rows
    rows = [list(_named({WRAPPERS["output"]: prediction}, "")) for prediction in predictions]
    for key, items in value.items():
        per_row = (
            isinstance(items, list)
            and len(items) == len(predictions)
            and all(isinstance(item, list) for item in items)
        )
        if key != WRAPPERS["output"] and per_row:
            for row, item in zip(rows, items, strict=True):
                row += _named({key: item}, "")
    return rows


def _json_values(text: str) -> list[object]:
    """One JSON value, or one per line for JSON Lines payloads."""
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _rows_of(value: object, side: str) -> list[object]:
    if isinstance(value, dict):
        inner = value.get(WRAPPERS[side])
        return inner if isinstance(inner, list) else [value]
    if isinstance(value, list) and value and all(isinstance(v, dict | list) for v in value):
        return value
    return [value]


def _row(value: object) -> list[tuple[Key, str | None]]:
    if isinstance(value, dict):
        return list(_named(value, ""))
    if isinstance(value, list):
        return [(i, _text(v)) for i, v in enumerate(value)]
    return [(0, _text(value))]


def _named(value: dict, prefix: str) -> Iterable[tuple[Key, str | None]]:
    """Named fields, nested objects as ``a.b`` and lists of scalars as ``a_0, a_1``."""
    for key, item in value.items():
        name = utf8_text(f"{prefix}{key}")
        if isinstance(item, dict):
            yield from _named(item, f"{name}.")
        elif isinstance(item, list) and not any(isinstance(v, dict | list) for v in item):
            yield from ((f"{name}_{i}", _text(v)) for i, v in enumerate(item))
        else:
            yield name, _text(item)


def _text(value: object) -> str | None:
    """A JSON value as the text a CSV field would hold: numbers as written, JSON otherwise."""
    if value is None or isinstance(value, str):
        return value if value is None else utf8_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, separators=(",", ":"))


def utf8_text(text: str) -> str:
    """``text``, or ValueError when it holds a lone surrogate (JSON's ``"\\ud800"``), which
    has no UTF-8 form and so cannot go into an Arrow column."""
    if not text.isascii():
        text.encode("utf-8")
    return text


# -- putting pieces together ------------------------------------------------------------


def scatter(parts: list[tuple[np.ndarray, pa.Array]], length: int) -> pa.Array:
    """One array of ``length`` with each part's values at its row indices, null elsewhere."""
    if len(parts) == 1:
        rows, values = parts[0]
        if len(rows) == length and (length == 0 or (rows[0] == 0 and rows[-1] == length - 1)):
            return values  # rows are 0..length-1 in order: already in place
    source = np.full(length, -1, np.int64)
    offset = 0
    for rows, values in parts:
        source[rows] = np.arange(offset, offset + len(values))
        offset += len(values)
    values = pa.concat_arrays([part[1] for part in parts]) if parts else pa.array([], pa.string())
    return values.take(pa.array(source, mask=source < 0))


def combine(pieces: list[SideRows], records: int) -> SideRows:
    """Sides of consecutive record ranges, joined into one."""
    groups = []
    at = 0
    for piece in pieces:
        size = len(piece.counts)
        groups.append((np.arange(at, at + size), piece))
        at += size
    return _scatter_records(groups, records)


def _scatter_records(groups: list[tuple[np.ndarray, SideRows]], records: int) -> SideRows:
    """Sides of disjoint sets of records, as one side over all ``records``."""
    if len(groups) == 1 and len(groups[0][0]) == records:
        return groups[0][1]
    result = _empty(records)
    total = sum(group.size for _, group in groups)
    parts: dict[Key, list[tuple[np.ndarray, pa.Array]]] = {}
    widths, offset = [], 0
    for indices, group in groups:
        result.counts[indices] = group.counts
        result.starts[indices] = group.starts + offset
        result.bad[indices] = group.bad
        for key, column in group.columns.items():
            parts.setdefault(key, []).append((np.arange(offset, offset + group.size), column))
        widths.append(group.widths)
        offset += group.size
    result.columns = {key: scatter(part, total) for key, part in parts.items()}
    result.widths = np.concatenate(widths) if widths else np.zeros(0, np.int64)
    return result


def _empty(records: int) -> SideRows:
    zeros = np.zeros(records, np.int64)
    return SideRows(zeros, zeros.copy(), {}, np.zeros(0, np.int64), np.zeros(records, bool))


def _starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts
