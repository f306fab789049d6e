"""read_capture: a time window of capture files as one Arrow table.

Only the hour folders that can hold the window are listed (see
:func:`watchkeeper.capture.layout.window_hours`); each record is kept when its
``inferenceTime`` lies in ``[start, end)``. A clean file is parsed whole by Arrow's
JSON reader; a file with a bad line is parsed line by line, and its bad lines are
skipped and counted.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from watchkeeper.capture.assemble import assemble
from watchkeeper.capture.layout import check_name, window_hours
from watchkeeper.capture.payloads import read_json_lines, utf8_text
from watchkeeper.capture.record import TIME_FORMAT
from watchkeeper.capture.scripts import RecordPreprocessor
from watchkeeper.errors import UsageError

_SIDE = pa.struct(
    [("observedContentType", pa.string()), ("data", pa.string()), ("encoding", pa.string())]
)
_RECORD = pa.schema(
    [
        ("captureData", pa.struct([("endpointInput", _SIDE), ("endpointOutput", _SIDE)])),
        ("eventMetadata", pa.struct(
            [("eventId", pa.string()), ("inferenceId", pa.string()),
             ("inferenceTime", pa.string())]
        )),
    ]
)  # fmt: skip
# The flat columns a record is read into, in the order the schema flattens to.
COLUMNS = ["in_type", "in_data", "in_encoding", "out_type", "out_data", "out_encoding",
           "event_id", "inference_id", "time_text"]  # fmt: skip
_FLAT = pa.schema([(name, pa.string()) for name in COLUMNS])
FETCH_FILES = 64


@dataclass(frozen=True)
class CaptureWindow:
    """Captured traffic of a time window.

    ``table`` holds one row per assembled row (output columns, input columns, then
    ``__event_id``, ``__inference_id`` and ``__inference_time``); ``records`` counts the
    capture records in the window, ``corrupt_lines`` the lines skipped because they were
    not capture records or their payload could not be decoded, ``mismatched_records``
    the records whose output and input had different numbers of rows, and ``files`` the
    files read. With a record preprocessor, ``dropped_records`` counts the records it
    left out, ``failed_records`` those it failed on (``failures``: the first reasons),
    which ``corrupt_lines`` counts too: neither gave rows; ``records`` counts only the
    records that did.
    """

    table: pa.Table
    records: int
    corrupt_lines: int
    files: int
    mismatched_records: int = 0
    dropped_records: int = 0
    failed_records: int = 0
    failures: tuple[str, ...] = ()

    def preprocessor_note(self) -> str:
        """What a record preprocessor did to the window, for the reason a window left
        without rows gives; empty when it did nothing of note."""
        notes = []
        if self.dropped_records:
            notes.append(f"left out {self.dropped_records} record(s)")
        if self.failed_records:
            notes.append(f"failed on {self.failed_records} record(s), first: {self.failures[0]}")
        return f"the record preprocessor {' and '.join(notes)}" if notes else ""


def read_capture(
    destination: str | os.PathLike[str],
    endpoint: str,
    variant: str | None = None,
    *,
    start: datetime,
    end: datetime,
    storage_options: dict[str, Any] | None = None,
    preprocessor: RecordPreprocessor | None = None,
) -> CaptureWindow:
    """The capture records of ``endpoint`` (one variant, or all) with start <= time < end.

    Naive datetimes are taken as UTC; ``preprocessor`` (see
    :func:`watchkeeper.capture.scripts.load_preprocessor`) makes the rows of each record
    in place of the payloads' own fields. Example::

        window = read_capture("s3://bucket/data-capture", "churn",
                              start=datetime(2024, 5, 1, 10, tzinfo=UTC),
                              end=datetime(2024, 5, 1, 11, tzinfo=UTC))
        features = window.table.drop_columns(["__event_id", "__inference_id",
                                              "__inference_time"])
    """
    start, end = window_bounds(start, end)
    fs, paths = window_files(destination, endpoint, variant, start, end, storage_options)
    records, corrupt = _read_records(fs, paths)
    return window_of(records, corrupt, len(paths), start, end, preprocessor)


def window_bounds(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``start`` and ``end`` in UTC (naive ones taken as UTC); start must come first."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if not start < end:
        raise UsageError(f"start ({start.isoformat()}) must be before end ({end.isoformat()})")
    return start, end


def window_files(
    destination: str | os.PathLike[str],
    endpoint: str,
    variant: str | None,
    start: datetime,
    end: datetime,
    storage_options: dict[str, Any] | None = None,
) -> tuple[Any, list[str]]:
    """(filesystem, sorted paths) of the capture files that can hold the window's records:
    those of the hour folders the window touches."""
    fs, root = fsspec.core.url_to_fs(os.fspath(destination), **(storage_options or {}))
    base = f"{root.rstrip('/')}/{check_name('endpoint', endpoint)}"
    fs.invalidate_cache()
    variants = [check_name("variant", variant)] if variant else _folders(fs, base)
    paths = [
        path
        for name in variants
        for hour in window_hours(start, end)
        for path in _files(fs, f"{base}/{name}/{hour}")
    ]
    return fs, paths


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise UsageError(f"{name} must be a datetime, not {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _folders(fs: Any, path: str) -> list[str]:
    try:
        entries = fs.ls(path, detail=True)
    except FileNotFoundError:
        return []
    return sorted(e["name"].rstrip("/").rsplit("/", 1)[-1] for e in entries
                  if e["type"] == "directory")  # fmt: skip


def _files(fs: Any, folder: str) -> list[str]:
    try:
        names = fs.ls(folder, detail=False)
    except FileNotFoundError:
        return []
    return sorted(name for name in names if name.endswith(".jsonl"))


def _read_records(fs: Any, paths: list[str]) -> tuple[pa.Table, int]:
    """All records of the files, and the number of corrupt lines among them."""
    tables, corrupt = [], 0
    for at in range(0, len(paths), FETCH_FILES):
        # One call for many files: object stores fetch them concurrently.
        contents = fs.cat(paths[at : at + FETCH_FILES], on_error="raise")
        for path in paths[at : at + FETCH_FILES]:
            table, bad = parse_capture_file(contents.pop(path))
            tables.append(table)
            corrupt += bad
    return (pa.concat_tables(tables) if tables else _FLAT.empty_table()), corrupt


def parse_capture_file(data: bytes) -> tuple[pa.Table, int]:
    """The records of one capture file as flat string columns, and its corrupt line count.

    A line is corrupt when it is not JSON, is not a capture record, or has no
    ``inferenceTime``; a record with neither input nor output data is corrupt too.
    """
    try:
        # Arrow's JSON reader passes invalid UTF-8 inside strings on to the table, where
        # it breaks the first text function that meets it: such a file is read by lines.
        data.decode("utf-8")
        table = _parse_whole(data)
        lines = table.num_rows  # Arrow skips blank lines only
    except (UnicodeDecodeError, pa.ArrowInvalid):
        table = _parse_lines(data)
        lines = sum(1 for line in data.splitlines() if line.strip())
    usable = pc.and_(
        pc.is_valid(table["time_text"]),
        pc.or_(pc.is_valid(table["in_data"]), pc.is_valid(table["out_data"])),
    )
    table = table.filter(usable)
    return table, lines - table.num_rows


def _parse_whole(data: bytes) -> pa.Table:
    options = pajson.ParseOptions(explicit_schema=_RECORD, unexpected_field_behavior="ignore")
    table = read_json_lines(data, options)
    return pa.Table.from_arrays(table.flatten().flatten().columns, schema=_FLAT)


def _parse_lines(data: bytes) -> pa.Table:
    rows = []
    for line in data.splitlines():
        if line.strip():
            try:
                rows.append(_flat_record(json.loads(line)))
            except (ValueError, RecursionError):  # not JSON, or not a capture record
                rows.append(None)
    good = [row for row in rows if row is not None]
    return pa.table({name: pa.array([row[i] for row in good], pa.string())
                     for i, name in enumerate(COLUMNS)})  # fmt: skip


def _flat_record(record: Any) -> list[str | None]:
    """The flat columns of one parsed line; ValueError when it is not a capture record."""
    capture = record.get("captureData") if isinstance(record, dict) else None
    metadata = record.get("eventMetadata") if isinstance(record, dict) else None
    if not isinstance(capture, dict) or not isinstance(metadata, dict):
        raise ValueError("not a capture record")
    flat = []
    for side in ("endpointInput", "endpointOutput"):
        part = capture.get(side) or {}
        if not isinstance(part, dict):
            raise ValueError("not a capture record")
        flat += [part.get("observedContentType"), part.get("data"), part.get("encoding")]
    flat += [metadata.get("eventId"), metadata.get("inferenceId"), metadata.get("inferenceTime")]
    if not all(value is None or isinstance(value, str) for value in flat):
        raise ValueError("a capture record field is not a string")
    for value in flat:
        if value is not None:
            utf8_text(value)
    return flat


def window_of(
    records: pa.Table,
    corrupt: int,
    files: int,
    start: datetime,
    end: datetime,
    preprocessor: RecordPreprocessor | None = None,
) -> CaptureWindow:
    """The parsed records (:func:`parse_capture_file`) with start <= time < end, assembled
    into rows (or made into rows by ``preprocessor``); ``corrupt`` lines were already
    found bad."""
    times = pc.strptime(records["time_text"], format=TIME_FORMAT, unit="s", error_is_null=True)
    times = times.cast(pa.timestamp("s", tz="UTC"))
    corrupt += times.null_count
    # Compared in microseconds: the window's bounds need not be whole seconds.
    exact = times.cast(pa.timestamp("us", tz="UTC"))
    inside = pc.and_(
        pc.greater_equal(exact, pa.scalar(start, pa.timestamp("us", tz="UTC"))),
        pc.less(exact, pa.scalar(end, pa.timestamp("us", tz="UTC"))),
    )
    inside = pc.fill_null(inside, False)
    records = records.append_column("inference_time", times).filter(inside)
    if preprocessor is not None:
        made = preprocessor(records)
        return CaptureWindow(
            made.table, made.records, corrupt + made.failed, files,
            dropped_records=made.dropped, failed_records=made.failed,
            failures=tuple(made.failures),
        )  # fmt: skip
    assembled = assemble(records)
    bad = int(np.count_nonzero(assembled.bad))
    return CaptureWindow(
        assembled.table, records.num_rows - bad, corrupt + bad, files, assembled.mismatched
    )
