"""Feature definitions: the SageMaker types of a group's columns and how frames fit them.

SageMaker Feature Store knows three feature types: ``Integral`` (integers),
``Fractional`` (floats) and ``String`` (everything else). :func:`infer_definitions`
maps a frame's column types onto them the way SageMaker's ``load_feature_definitions``
does; :func:`validate_frame` checks a frame against definitions column by column with
vectorised pandas operations and names every row that does not fit.

>>> import pandas as pd
>>> infer_definitions(pd.DataFrame({"id": [1], "score": [0.5], "name": ["a"]}))
[{'FeatureName': 'id', 'FeatureType': 'Integral'}, {'FeatureName': 'score', \
'FeatureType': 'Fractional'}, {'FeatureName': 'name', 'FeatureType': 'String'}]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import SchemaError, UsageError

FEATURE_TYPES = ("Integral", "Fractional", "String")
# SageMaker's rule for feature group names, which also keeps them safe as a folder name,
# a Redis key part and a SQL view name
GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
ARROW_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
TIME_TYPE = pa.timestamp("us", tz="UTC")


def to_pandas(frame: Any) -> pd.DataFrame:
    """A pandas DataFrame from pandas, polars, a pyarrow Table or a list of dicts."""
    if isinstance(frame, pd.DataFrame):
        return frame
    if isinstance(frame, pa.Table | pa.RecordBatch):
        return frame.to_pandas()
    if hasattr(frame, "to_pandas") and hasattr(frame, "columns"):
        return frame.to_pandas()
    if isinstance(frame, list):
        return pd.DataFrame.from_records(frame)
    raise UsageError(
        f"expected a pandas or polars DataFrame or a pyarrow Table, got {type(frame).__name__}"
    )


def check_group_name(name: Any) -> str:
    """The feature group name, checked whole: 1 to 64 letters, digits, ``-`` or ``_``,
    starting with a letter or digit; anything else raises :class:`UsageError`.

    >>> check_group_name("customers-v2")
    'customers-v2'
    >>> check_group_name("customers\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UsageError: feature group name 'customers\\n' is not allowed: ...
    """
    if not isinstance(name, str) or not GROUP_NAME.fullmatch(name):
        raise UsageError(
            f"feature group name {name!r} is not allowed: use 1 to 64 letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return name


def _feature_type(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype):
        return "Integral"
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "Fractional"
    return "String"


def infer_definitions(frame: Any) -> list[dict[str, str]]:
    """``[{"FeatureName", "FeatureType"}]`` for each column of a pandas, polars or Arrow
    frame: integers are ``Integral``, floats ``Fractional``, anything else ``String``."""
    if isinstance(frame, pa.Table | pa.RecordBatch):
        schema = frame.schema
    elif hasattr(frame, "to_arrow") and not isinstance(frame, pd.DataFrame):
        schema = frame.head(0).to_arrow().schema
    else:
        pandas_frame = to_pandas(frame)
        schema = pa.Schema.from_pandas(pandas_frame.head(0), preserve_index=False)
        # object columns of an empty frame come out as null; look at the values instead
        schema = pa.schema(
            pa.field(
                name,
                pa.array(pandas_frame[name].head(1000), from_pandas=True).type
                if pandas_frame[name].dtype == object
                else schema.field(name).type,
            )
            for name in schema.names
        )
    return [{"FeatureName": f.name, "FeatureType": _feature_type(f.type)} for f in schema]


def check_definitions(definitions: list[dict[str, str]]) -> list[dict[str, str]]:
    """The definitions, checked: names unique and non-empty, types among FEATURE_TYPES."""
    seen: set[str] = set()
    checked = []
    for item in definitions:
        name = item.get("FeatureName")
        kind = item.get("FeatureType")
        if not name or not isinstance(name, str):
            raise UsageError(f"feature definition without a FeatureName: {item!r}")
        if name in seen:
            raise UsageError(f"feature '{name}' is defined twice")
        if kind not in FEATURE_TYPES:
            raise UsageError(
                f"feature '{name}': type {kind!r} is not one of {', '.join(FEATURE_TYPES)}"
            )
        seen.add(name)
        checked.append({"FeatureName": name, "FeatureType": kind})
    return checked


@dataclass
class IngestReport:
    """What an ingest did: rows written, and each rejected row with its reason.

    Row numbers count from 0 in the order of the frame given to ``ingest``.
    """

    ingested: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def n_rejected(self) -> int:
        """How many rows were rejected."""
        return len(self.rejected)

    @property
    def n_rows(self) -> int:
        """How many rows the frame had."""
        return self.ingested + self.n_rejected

    @property
    def failed_rows(self) -> list[int]:
        """The numbers of the rejected rows (SageMaker's ``failed_rows``)."""
        return [row for row, _ in self.rejected]

    def wait(self, timeout: float | None = None) -> None:
        """Return at once: the ingest was done when this report was made. For code written
        against SageMaker's ``ingest(..., wait=False)`` followed by ``wait()``."""


def _show(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def parse_event_times(values: pd.Series, kind: str) -> pd.Series:
    """UTC timestamps from ISO-8601 strings, datetimes or (``Fractional``) epoch seconds;
    NaT where a value is missing or cannot be read."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values, utc=True)
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = pd.to_datetime(values.astype("float64"), unit="s", utc=True, errors="coerce")
    else:
        text = values.astype("string")
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
        if kind == "Fractional":
            numbers = pd.to_numeric(values, errors="coerce")
            by_number = pd.to_datetime(numbers, unit="s", utc=True, errors="coerce")
            parsed = parsed.fillna(by_number)
    return parsed.astype("datetime64[us, UTC]")


def format_event_times(times: pa.Array | pa.ChunkedArray) -> pa.Array:
    """UTC timestamps as ISO-8601 text ending in ``Z``, exact to the microsecond and with
    no more fraction than the instant needs: whole seconds, milliseconds or microseconds.

    >>> import pandas as pd
    >>> stamps = pd.to_datetime(["2024-05-01T11:30:15.250Z", "2024-05-01T11:30:15Z",
    ...     "1969-12-31T23:59:59.999999Z"], utc=True, format="ISO8601")
    >>> format_event_times(pa.array(stamps, TIME_TYPE)).to_pylist()
    ['2024-05-01T11:30:15.250Z', '2024-05-01T11:30:15Z', '1969-12-31T23:59:59.999999Z']
    """
    if isinstance(times, pa.ChunkedArray):
        times = times.combine_chunks()
    micros = times.cast(TIME_TYPE).cast(pa.int64())
    valid = micros.is_valid()
    values = micros.fill_null(0).to_numpy()
    seconds, fraction = np.divmod(values, 1_000_000)
    # whole seconds, naive, cast to text ("YYYY-MM-DD HH:MM:SS"): many times faster than
    # strftime, whose %S would print the fraction as well
    whole = pa.array(seconds, pa.int64()).cast(pa.timestamp("s")).cast(pa.string())
    stem = pc.utf8_replace_slice(whole, start=10, stop=11, replacement="T")
    if not fraction.any():
        return pc.if_else(valid, pc.binary_join_element_wise(stem, "Z", ""), None)
    millis = fraction % 1000 == 0
    digits = np.where(millis, fraction // 1000, fraction)
    padded = pc.if_else(
        pa.array(millis),
        pc.utf8_lpad(pa.array(digits).cast(pa.string()), width=3, padding="0"),
        pc.utf8_lpad(pa.array(digits).cast(pa.string()), width=6, padding="0"),
    )
    tail = pc.if_else(pa.array(fraction == 0), "", pc.binary_join_element_wise(".", padded, ""))
    text = pc.binary_join_element_wise(stem, tail, "Z", "")
    return pc.if_else(valid, text, pa.scalar(None, pa.string()))


def with_iso_times(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each timezone-aware time column as :func:`format_event_times` text,
    for showing query results (``fs query``, a query's CSV) to the microsecond."""
    shown = frame.copy()
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            utc = column.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
            shown[name] = pd.Series(
                format_event_times(pa.array(utc, TIME_TYPE)).to_pandas(),
                index=frame.index,
                dtype="object",
            )
    return shown


def validate_frame(
    frame: pd.DataFrame,
    definitions: list[dict[str, str]],
    id_name: str,
    time_name: str,
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """The rows that fit the definitions as an Arrow table (the event time as a UTC
    timestamp, every defined column in definition order) and ``(row, reason)`` for
    each row that does not."""
    for name in (id_name, time_name):
        if name not in frame.columns:
            raise SchemaError(f"column '{name}' is missing from the frame")
    n = len(frame)
    frame = frame.reset_index(drop=True)
    reasons: list[tuple[np.ndarray, Any]] = []
    columns: dict[str, Any] = {}
    types = {item["FeatureName"]: item["FeatureType"] for item in definitions}

    for name in frame.columns:
        if name not in types:
            unknown = frame[name].notna().to_numpy()
            reasons.append((unknown, lambda _row, n=name: f"unknown column '{n}'"))

    for name, kind in types.items():
        if name not in frame.columns:
            columns[name] = pd.Series([None] * n, dtype="object")
            continue
        values = frame[name]
        if name == time_name:
            parsed = parse_event_times(values, kind)
            bad = parsed.isna().to_numpy()
            reasons.append(
                (
                    bad,
                    lambda row, v=values, n=name: (
                        f"event time '{n}' is missing"
                        if pd.isna(v.iloc[row])
                        else f"event time '{n}': {_show(v.iloc[row])} is not a time"
                    ),
                )
            )
            columns[name] = parsed
            continue
        if kind == "String":
            converted = values.astype("string")
            bad = np.zeros(n, dtype=bool)
        else:
            if pd.api.types.is_numeric_dtype(values):
                converted = values
            else:
                converted = pd.to_numeric(values, errors="coerce")
            converted = converted.astype("float64") if kind == "Fractional" else converted
            bad = (converted.isna() & values.notna()).to_numpy()
            if kind == "Integral" and pd.api.types.is_float_dtype(converted):
                bad = bad | (converted.notna() & (converted % 1 != 0)).to_numpy()
            reasons.append(
                (
                    bad,
                    lambda row, v=values, n=name, k=kind: (
                        f"column '{n}': {_show(v.iloc[row])} is not {k}"
                    ),
                )
            )
        if name == id_name:
            missing = values.isna().to_numpy()
            if kind == "String":
                missing = missing | (converted.str.strip() == "").fillna(True).to_numpy()
            reasons.append((missing, lambda _row, n=name: f"record identifier '{n}' is missing"))
        columns[name] = converted

    rejected_mask = np.zeros(n, dtype=bool)
    for mask, _ in reasons:
        rejected_mask |= mask
    rejected: list[tuple[int, str]] = []
    for row in np.flatnonzero(rejected_mask).tolist():
        messages = [describe(row) for mask, describe in reasons if mask[row]]
        rejected.append((row, "; ".join(messages)))

    keep = ~rejected_mask
    arrays = []
    for name, kind in types.items():
        column = columns[name][keep]
        if name == time_name:
            arrays.append(pa.array(column, type=TIME_TYPE))
        elif kind == "String":
            arrays.append(pa.array(column, type=pa.string(), from_pandas=True))
        else:
            array = pa.array(column, from_pandas=True)
            arrays.append(array.cast(ARROW_TYPES[kind]))
    return pa.table(arrays, names=list(types)), rejected
