"""Capture records to one table: output fields first, then input fields, as SageMaker does.

Each record's output rows and input rows are paired in order. When one side has a
single row (or none) it is repeated (or left empty) for every row of the other side;
when both have several rows but not as many, the shorter side is padded with nulls and
the record is counted as mismatched.

Fields keep their JSON names; positional fields are named ``_c0, _c1, …`` by their
place in the assembled row, output fields first, as SageMaker names a headerless CSV.
A JSON answer ``{"predictions": [...], "probabilities": [[...]], ...}`` (the one
``watchkeeper serve`` gives) is named as it names itself: ``predictions`` (or
``predictions_0, …`` for several outputs) and ``probabilities_0, probabilities_1, …``
(the probability of each class, in the order of the answer's ``classes``).
:func:`named_by_position` gives a window mixing CSV and JSON records one set of
names; the output columns are listed in the table's schema metadata
(:func:`answer_columns`).
A column whose every value reads as a whole number is int64, one whose every value reads
as a number float64, any other is a string column.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.capture.payloads import Key, SideRows, read_side, scatter

_POSITIONAL = re.compile(r"_c[0-9]+")
METADATA = ("__event_id", "__inference_id", "__inference_time")
ANSWER = "predictions"  # the answer's column, where SageMaker's positional naming has _c0
_ANSWERS_KEY = b"watchkeeper.answer_columns"


@dataclass
class Assembled:
    """The assembled rows, and what could not be used as given."""

    table: pa.Table
    bad: np.ndarray  # per record: a payload could not be decoded, so it gave no rows
    mismatched: int


def assemble(records: pa.Table) -> Assembled:
    """Rows of the records table (see :func:`watchkeeper.capture.reader.read_capture`)."""
    output = read_side(records["out_data"], records["out_encoding"], records["out_type"], "output")
    inputs = read_side(records["in_data"], records["in_encoding"], records["in_type"], "input")
    bad = output.bad | inputs.bad
    pairing = _pair(output, inputs, bad)
    columns = _output_columns(output, pairing.output)
    output_names = set(columns)
    for name, parts in _input_columns(
        inputs, pairing.input, _widths(output, pairing.output, pairing.record), taken=set(columns)
    ).items():
        columns.setdefault(name, []).extend(parts)
    features = [typed_text_column(scatter(part, pairing.rows)) for part in columns.values()]
    metadata = records.select(["event_id", "inference_id", "inference_time"]).take(pairing.record)
    # Built from arrays, not a dict, so that records whose payloads hold no fields at all
    # (`{}`) still give their rows.
    names = [_unreserved(name, columns) for name in columns]
    outputs = [name for name, key in zip(names, columns, strict=True) if key in output_names]
    table = pa.Table.from_arrays(
        features + [column.combine_chunks() for column in metadata.columns],
        names=[*names, *METADATA],
    )
    return Assembled(_with_answers(table, outputs), bad, pairing.mismatched)


def _unreserved(name: str, taken: Parts) -> str:
    """A payload field's column name: never a name the metadata columns use, so that a
    request holding ``__inference_id`` cannot stand in for the record's own."""
    renamed = name
    while renamed in METADATA or (renamed != name and renamed in taken):
        renamed = f"{renamed}_payload"
    return renamed


@dataclass
class _Pairing:
    rows: int
    record: np.ndarray  # record of each assembled row
    output: np.ndarray  # output row of each assembled row, -1 for none
    input: np.ndarray
    mismatched: int


def _pair(output: SideRows, inputs: SideRows, bad: np.ndarray) -> _Pairing:
    n_out, n_in = output.counts, inputs.counts
    rows = np.where(bad, 0, np.maximum(np.maximum(n_out, n_in), 1))
    mismatched = int(np.count_nonzero(~bad & (n_out > 1) & (n_in > 1) & (n_out != n_in)))
    record = np.repeat(np.arange(len(rows)), rows)
    first = np.cumsum(rows) - rows
    within = np.arange(len(record)) - np.repeat(first, rows)
    return _Pairing(
        len(record), record,
        _side_rows(output, record, within), _side_rows(inputs, record, within), mismatched,
    )  # fmt: skip


def _side_rows(side: SideRows, record: np.ndarray, within: np.ndarray) -> np.ndarray:
    """The side's row for each assembled row: repeated when the record has one, else in step."""
    counts = side.counts[record]
    step = np.where(counts == 1, 0, within)
    return np.where(step < counts, side.starts[record] + step, -1)


def _widths(side: SideRows, rows: np.ndarray, record: np.ndarray) -> np.ndarray:
    """Fields of the output in each assembled row. A row padded for want of an output row
    counts the record's first output row, so its input fields keep their names."""
    if not side.size:
        return np.zeros(len(rows), np.int64)
    has_output = side.counts[record] > 0
    source = np.where(rows >= 0, rows, np.where(has_output, side.starts[record], -1))
    return np.where(source >= 0, side.widths[np.maximum(source, 0)], 0)


Parts = dict[str, list[tuple[np.ndarray, pa.Array]]]


def _output_columns(output: SideRows, rows: np.ndarray) -> Parts:
    every = np.arange(len(rows))
    return _ordered(
        {_name(key, 0): [(every, _take(column, rows))] for key, column in output.columns.items()}
    )


def _input_columns(
    inputs: SideRows, rows: np.ndarray, output_widths: np.ndarray, taken: set[str]
) -> Parts:
    """Input fields after the output's: positions continue where the row's output ends."""
    columns: Parts = {}
    widths = [(int(width), np.flatnonzero(output_widths == width))
              for width in np.unique(output_widths)]  # fmt: skip
    for key, column in inputs.columns.items():
        values = _take(column, rows)
        if isinstance(key, str):
            name = f"{key}_input" if key in taken else key
            columns.setdefault(name, []).append((np.arange(len(rows)), values))
            continue
        for width, at in widths:
            part = values.take(at)
            if part.null_count < len(part):  # rows whose input has no such position add nothing
                columns.setdefault(_name(key, width), []).append((at, part))
    return _ordered(columns)


def _ordered(columns: Parts) -> Parts:
    """Positional columns first, by position, then named ones in order of appearance."""
    positional = sorted((int(name[2:]), name) for name in columns if _POSITIONAL.fullmatch(name))
    names = [name for _, name in positional]
    names += [name for name in columns if not _POSITIONAL.fullmatch(name)]
    return {name: columns[name] for name in names}


def _name(key: Key, offset: int) -> str:
    return key if isinstance(key, str) else f"_c{key + offset}"


def _take(column: pa.Array, rows: np.ndarray) -> pa.Array:
    return column.take(pa.array(np.maximum(rows, 0), mask=rows < 0))


def typed_text_column(column: pa.Array) -> pa.Array:
    """int64 when every value reads as a whole number written without a decimal point
    (``60``, so that a column the model received as integers stays Integral, as it was
    in the baseline), else float64 when every value reads as a number, else the text;
    empty text is null."""
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    column = pc.if_else(blank, pa.scalar(None, pa.string()), column)
    trimmed = pc.utf8_trim_whitespace(column)
    for kind in (pa.int64(), pa.float64()):
        try:
            return pc.cast(trimmed, kind)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return column


# -- one set of names for a window --------------------------------------------------------


def answer_columns(table: pa.Table) -> list[str]:
    """The columns of ``table`` that came from the answers (the output side)."""
    metadata = table.schema.metadata or {}
    listed = json.loads(metadata.get(_ANSWERS_KEY, b"[]"))
    return [name for name in listed if name in table.column_names]


def _with_answers(table: pa.Table, names: Sequence[str]) -> pa.Table:
    metadata = dict(table.schema.metadata or {})
    metadata[_ANSWERS_KEY] = json.dumps(list(names)).encode()
    return table.replace_schema_metadata(metadata)


def named_by_position(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """``table`` with positional columns named: ``_cK`` takes ``names[K]``, as SageMaker
    matches a headerless CSV to a baseline, and the answer column ``predictions`` stands
    for ``_c0`` unless ``names[0]`` is already a column of its own. A column that gets
    the name of a column already there (a CSV record's field and a JSON record's named
    one) becomes one column: each row keeps the value it has.

    >>> window = pa.table({"_c0": [1, None], "predictions": [None, 0],
    ...                    "_c1": [2.5, None], "income": [None, 3.0]})
    >>> named_by_position(window, ["approved", "income"]).to_pylist()
    [{'approved': 1, 'income': 2.5}, {'approved': 0, 'income': 3.0}]
    """
    present = set(table.column_names)
    merged: dict[str, pa.Array] = {}
    renamed: dict[str, str] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        target = _target(name, names, present)
        renamed[name] = target
        array = column.combine_chunks()
        merged[target] = _coalesced(merged[target], array) if target in merged else array
    answers = {renamed[name] for name in answer_columns(table)}
    result = pa.Table.from_arrays(list(merged.values()), names=list(merged))
    return _with_answers(result, [name for name in merged if name in answers])


def _target(name: str, names: Sequence[str], present: set[str]) -> str:
    if _POSITIONAL.fullmatch(name) and int(name[2:]) < len(names):
        return names[int(name[2:])]
    if name == ANSWER and names and names[0] != ANSWER and names[0] not in present:
        return names[0]
    return name


def _coalesced(first: pa.Array, second: pa.Array) -> pa.Array:
    """Each row's value from whichever column has one, in a type both fit."""
    if first.type != second.type:
        numeric = all(
            pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t)
            for t in (first.type, second.type)
        )
        kind = pa.float64() if numeric else pa.string()
        first, second = first.cast(kind), second.cast(kind)
    return pc.coalesce(first, second)


def columns_to_judge(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """The captured columns to judge against a baseline whose features are ``names``:
    metadata dropped; positional names (``_c0`` …, from CSV payloads) replaced by the
    baseline's names at the same positions, as SageMaker matches features by position, so
    that CSV and JSON records of one window fill the same columns; answer columns the
    baseline does not describe (``probabilities_0`` …) left out, as a baseline made from
    training data has the label but no scores.

    >>> window = pa.table({"_c0": [1], "_c1": [2.5], "probabilities_0": [0.1],
    ...                    "__event_id": ["e1"]})
    >>> window = _with_answers(window, ["_c0", "probabilities_0"])
    >>> columns_to_judge(window, ["approved", "income"]).column_names
    ['approved', 'income']
    """
    keep = [name for name in table.column_names if not name.startswith("__")]
    table = table.select(keep)
    positions = [int(name[2:]) for name in keep if _POSITIONAL.fullmatch(name)]
    if not names or (positions and max(positions) >= len(names)):
        # rows wider than the baseline: no name is certain, every difference is reported
        return table
    table = named_by_position(table, names)
    answers = set(answer_columns(table)) - set(names)
    return table.select([name for name in table.column_names if name not in answers])


def answer_name(column: str | None) -> str | None:
    """The captured answer's column: ``predictions``, also when given by its positional
    name ``_c0`` (the two name the same column once a window is assembled).

    >>> answer_name("_c0"), answer_name("score")
    ('predictions', 'score')
    """
    return ANSWER if column == "_c0" else column
