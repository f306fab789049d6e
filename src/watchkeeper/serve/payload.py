"""Request bodies in, answers out: parsing, validation against the model, formatting.

A request body becomes one NumPy array per feature, in the model's feature order, or a
:class:`RequestProblem` that says what is wrong before the model sees anything:

- JSON: an object of named features (one row), a list of such objects, a list of
  lists of values in feature order, a bare list of values (one row), or any of these
  under ``"instances"`` (SageMaker's JSON request).
- CSV: rows of values in feature order, no header. Blank lines are skipped and do not
  count as rows.

Rows are numbered from 1 in messages. Values are checked against what each feature
takes (see :attr:`LoadedModel.value_kinds`): a number (JSON numbers, or text that reads
as one), a whole number (ONNX integer inputs) or text (JSON numbers and booleans are
turned into their JSON text). ``null``, an empty CSV field and NaN are missing values
and reach the model as NaN only when the model accepts missing values; infinities are
always refused, since no model we load computes anything meaningful from them.
Integral and Fractional baseline features both take any finite number: a decimal in an
Integral column is the kind of drift monitoring exists to report, so it is served and
captured rather than refused.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from watchkeeper.io.messages import excerpt, first_line
from watchkeeper.model import INTEGER, NUMBER, TEXT, Inference, LoadedModel

JSON, CSV = "application/json", "text/csv"
MAX_DETAIL = 50
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)", re.I)


class RequestProblem(Exception):
    """A request the server refuses, with its HTTP status, a one-line message and, for
    validation failures, one entry per problem (``row``, ``feature``, ``message``)."""

    def __init__(self, status: int, message: str, detail: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail or []

    def body(self) -> dict[str, Any]:
        """The JSON answer: ``{"error": ..., "detail": [...]}``."""
        return {"error": self.message, "detail": self.detail}


@dataclass
class _Problems:
    """Validation problems collected over a whole request, reported together (422)."""

    found: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, row: int | None, feature: str | None, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_DETAIL:
            self.found.append({"row": row, "feature": feature, "message": message})

    def raise_any(self) -> None:
        if not self.count:
            return
        first = self.found[0]
        where = " ".join(
            part
            for part in (
                f"row {first['row']}" if first["row"] is not None else "",
                f"feature {first['feature']!r}" if first["feature"] is not None else "",
            )
            if part
        )
        text = f"{where}: {first['message']}" if where else first["message"]
        if self.count > 1:
            text = f"{self.count} problems in the request; the first: {text}"
        raise RequestProblem(422, text, self.found)


def media_type(header: str | None) -> str:
    """``text/csv; charset=utf-8`` → ``text/csv``."""
    return (header or "").split(";", 1)[0].strip().lower()


def _text(body: bytes) -> str:
    if not body.strip():
        raise RequestProblem(400, "the request body is empty; send the rows to predict")
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RequestProblem(
            400, f"the request body is not UTF-8 text (bad byte at position {exc.start})"
        ) from exc


# -- JSON -------------------------------------------------------------------------------


def json_columns(body: bytes, model: LoadedModel) -> list[np.ndarray]:
    """The rows of a JSON body as columns, or the reason they cannot be predicted."""
    text = _text(body)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestProblem(
            400, f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except (ValueError, RecursionError) as exc:  # a number too long, nesting too deep
        raise RequestProblem(400, f"malformed JSON: {first_line(exc)}") from exc
    rows = _json_rows(document, model)
    values = _object_rows(rows, model) if isinstance(rows[0], dict) else _list_rows(rows, model)
    return _typed_columns(values, model, _json_value)


def _json_rows(document: Any, model: LoadedModel) -> list[Any]:
    names = model.feature_names or []
    if isinstance(document, dict) and "instances" in document and "instances" not in names:
        document = document["instances"]
        if not isinstance(document, list):
            raise RequestProblem(422, '"instances" must be a list of rows')
    if isinstance(document, dict):
        return [document]
    if not isinstance(document, list):
        raise RequestProblem(
            422,
            f"expected an object of named features or a list of rows, got {_json_kind(document)}",
        )
    if not document:
        raise RequestProblem(400, "no rows to predict (the list is empty)")
    if all(isinstance(row, dict) for row in document):
        return document
    if all(isinstance(row, list) for row in document):
        return document
    if not any(isinstance(row, dict | list) for row in document):
        return [document]  # a bare list of values is one row
    problems = _Problems()
    first = "an object" if isinstance(document[0], dict) else "a list"
    for number, row in enumerate(document, 1):
        if not isinstance(row, type(document[0])):
            problems.add(number, None, f"is {_json_kind(row)}; every row must be {first}")
    problems.raise_any()
    return document


def _object_rows(rows: list[dict[str, Any]], model: LoadedModel) -> list[list[Any]]:
    names = model.feature_names
    if names is None:
        raise RequestProblem(
            422,
            "this model's features have no names (give --baseline to name them); send "
            "each row as a list of values in feature order, or as CSV",
        )
    expected = set(names)
    problems = _Problems()
    for number, row in enumerate(rows, 1):
        if len(row) == len(names) and row.keys() == expected:
            continue
        missing = [name for name in names if name not in row]
        extra = [key for key in row if key not in expected]
        if missing:
            problems.add(number, None, f"missing features: {', '.join(map(repr, missing))}")
        if extra:
            problems.add(number, None, f"unknown features: {', '.join(map(repr, extra))}")
    problems.raise_any()
    return [[row[name] for row in rows] for name in names]


def _list_rows(rows: list[list[Any]], model: LoadedModel) -> list[list[Any]]:
    width = model.n_features if model.n_features is not None else len(rows[0])
    problems = _Problems()
    for number, row in enumerate(rows, 1):
        if len(row) != width:
            problems.add(
                number, None, f"has {len(row)} values, the model takes {_takes(model, width)}"
            )
    problems.raise_any()
    return [list(column) for column in zip(*rows, strict=True)]


def _json_value(value: Any, kind: str) -> tuple[Any, str | None]:
    """A JSON value as the model takes it, or why it cannot be."""
    if value is None:
        return (None if kind == TEXT else math.nan), None
    if kind == TEXT:
        if isinstance(value, str):
            return value, None
        if isinstance(value, bool | int | float):
            return json.dumps(value), None
        return None, f"{_json_kind(value)} is not a value"
    if isinstance(value, bool):
        return None, f"{json.dumps(value)} is not a number"
    if isinstance(value, int | float):
        return _float(value)
    if isinstance(value, str):
        return _number_text(value)
    return None, f"{_json_kind(value)} is not a number"


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the string {excerpt(value, 30)}"
    return json.dumps(value)


# -- CSV --------------------------------------------------------------------------------


def csv_columns(body: bytes, model: LoadedModel) -> list[np.ndarray]:
    """The rows of a headerless CSV body as columns, or the reason they cannot be predicted."""
    data = _text(body).encode()
    try:
        width = model.n_features or _first_row_width(data)
    except pa.ArrowInvalid as exc:
        raise RequestProblem(400, f"malformed CSV: {first_line(exc)}") from exc
    ragged = _Problems()

    def note(row: pacsv.InvalidRow) -> str:
        ragged.add(
            row.number,
            None,
            f"has {row.actual_columns} fields, the model takes {_takes(model, width)} "
            f"({excerpt(row.text, 40)})",
        )
        return "skip"

    names = [f"f{index}" for index in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            # one block for the whole body: a row must never straddle two blocks
            read_options=pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=max(len(data), 1 << 20)
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=note),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise RequestProblem(400, f"malformed CSV: {first_line(exc)}") from exc
    ragged.raise_any()
    if table.num_rows == 0:
        raise RequestProblem(400, "no rows to predict (the CSV body has only blank lines)")
    columns = [
        _csv_column(table.column(index), kind) for index, kind in enumerate(_kinds(model, width))
    ]
    return _typed_columns(columns, model, _csv_value, header_check=True)


def _first_row_width(data: bytes) -> int:
    """The number of fields of the first row, for a model that does not say how many it takes."""
    # the first row sets the column count; other widths are judged afterwards
    reader = pacsv.open_csv(
        io.BytesIO(data.lstrip(b"\r\n") + b"\n"),  # Arrow wants a line end to see a row
        read_options=pacsv.ReadOptions(autogenerate_column_names=True, use_threads=False),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
    )
    return len(reader.schema)


def _csv_column(column: pa.ChunkedArray, kind: str) -> Any:
    """Numbers converted by Arrow in one pass when they all read as numbers; otherwise
    the text, checked value by value for the message."""
    if kind == TEXT:
        return column.to_pylist()
    trimmed = pc.utf8_trim_whitespace(column)
    try:
        return pc.cast(trimmed, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return trimmed.to_pylist()


def _csv_value(value: Any, kind: str) -> tuple[Any, str | None]:
    if value is None:
        return (None if kind == TEXT else math.nan), None
    if kind == TEXT:
        return value, None
    return _number_text(value)


# -- shared -----------------------------------------------------------------------------


def _typed_columns(
    values: Sequence[Any], model: LoadedModel, convert, *, header_check: bool = False
) -> list[np.ndarray]:
    problems = _Problems()
    names = model.feature_names
    columns = []
    for index, (column, kind) in enumerate(zip(values, _kinds(model, len(values)), strict=True)):
        # unnamed features are called as SageMaker calls headerless CSV columns
        feature = names[index] if names else f"_c{index}"
        columns.append(_typed(column, kind, feature, convert, problems, model.accepts_missing))
    if problems.count and header_check and names and _looks_like_header(values, names):
        raise RequestProblem(
            422, "row 1 looks like a header (the feature names); send the rows only", problems.found
        )
    problems.raise_any()
    return columns


def _typed(
    column: Any, kind: str, feature: str, convert, problems: _Problems, accepts_missing: bool
) -> np.ndarray:
    if isinstance(column, np.ndarray) and column.dtype == np.float64:
        array = column
    elif kind != TEXT and _all_numbers(column) and (array := _floats(column)) is not None:
        pass
    else:
        converted = []
        for number, value in enumerate(column, 1):
            result, problem = convert(value, kind)
            if problem:
                problems.add(number, feature, problem)
                # a stand-in, so that a refused value is not reported again as missing
                result = "" if kind == TEXT else 0.0
            converted.append(result)
        if kind == TEXT:
            array = np.empty(len(converted), dtype=object)
            array[:] = converted
            if not accepts_missing:
                for number, value in enumerate(converted, 1):
                    if value is None:
                        problems.add(number, feature, _MISSING)
            return array
        array = np.array(converted, dtype=np.float64)
    _check_numbers(array, kind, feature, problems, accepts_missing)
    if kind == INTEGER:
        return np.nan_to_num(array).astype(np.int64)
    return array


_MISSING = "missing value (null, empty or NaN); this model does not accept missing values"


def _check_numbers(
    array: np.ndarray, kind: str, feature: str, problems: _Problems, accepts_missing: bool
) -> None:
    finite = np.isfinite(array)
    if not finite.all():
        for position in np.flatnonzero(~finite):
            value = array[position]
            if math.isnan(value):
                if kind == INTEGER:
                    problems.add(
                        int(position) + 1,
                        feature,
                        "missing value; this input takes whole numbers only",
                    )
                elif not accepts_missing:
                    problems.add(int(position) + 1, feature, _MISSING)
            else:
                problems.add(int(position) + 1, feature, f"{float(value)} is not a finite number")
    if kind == INTEGER:
        fractional = finite & (array != np.round(array))
        for position in np.flatnonzero(fractional):
            problems.add(
                int(position) + 1, feature, f"{float(array[position])!r} is not a whole number"
            )


def _floats(column: Sequence[Any]) -> np.ndarray | None:
    try:
        return np.array(column, dtype=np.float64)
    except OverflowError:  # an integer beyond float range: reported value by value
        return None


def _all_numbers(column: Sequence[Any]) -> bool:
    return all(type(value) is float or type(value) is int for value in column)


def _float(value: float) -> tuple[float | None, str | None]:
    try:
        return float(value), None
    except OverflowError:
        return None, f"{excerpt(str(value), 30)} is too large"


def _number_text(text: str) -> tuple[float | None, str | None]:
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        return float(stripped), None
    return None, f"{excerpt(text, 30)} is not a number"


def _looks_like_header(values: Sequence[Any], names: list[str]) -> bool:
    first = [str(column[0]).strip() if column[0] is not None else "" for column in values]
    return sum(value in names for value in first) >= max(1, len(names) // 2)


def _kinds(model: LoadedModel, width: int) -> list[str]:
    return model.value_kinds or [NUMBER] * width


def _takes(model: LoadedModel, width: int) -> str:
    names = model.feature_names
    if names and len(names) <= 8:
        return f"{width} ({', '.join(names)})"
    return str(width)


# -- answers ----------------------------------------------------------------------------


def json_answer(inference: Inference, model: LoadedModel) -> dict[str, Any]:
    """``{"predictions": [...], "probabilities": [[...]], "classes": [...]}``, the last
    two when the model gives probabilities and its classes are known."""
    answer: dict[str, Any] = {"predictions": plain(inference.predictions)}
    if inference.probabilities is not None:
        answer["probabilities"] = plain(inference.probabilities)
        if model.classes is not None:
            answer["classes"] = model.classes
    return answer


def csv_answer(inference: Inference) -> str:
    """One prediction per line (a multi-output prediction's values joined by commas).

    >>> csv_answer(Inference(np.array([0.5, 0.25])))
    '0.5\\n0.25'
    """
    lines = []
    for row in plain(inference.predictions):
        values = row if isinstance(row, list) else [row]
        lines.append(",".join(_csv_field(value) for value in values))
    # no newline after the last line, as SageMaker's containers answer one prediction
    return "\n".join(lines)


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = (
        value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    )
    if any(char in text for char in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def plain(array: np.ndarray) -> list[Any]:
    """A NumPy array as JSON-ready lists; NaN and infinities become ``null``."""
    if array.dtype.kind == "f":
        if np.isfinite(array).all():
            return array.tolist()
        return np.where(np.isfinite(array), array, None).tolist()
    if array.dtype.kind in "iub":
        return array.tolist()
    return [_plain_value(value) for value in array.tolist()]


def _plain_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain_value(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
