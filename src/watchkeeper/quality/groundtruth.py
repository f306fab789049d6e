"""Ground truth: upload labels as SageMaker's JSONL, read a time window, merge with captures.

A ground-truth record is one JSON line,
``{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"…"},
"eventVersion":"0"}``, stored under ``{root}/{endpoint}/yyyy/mm/dd/HH/`` where the hour
is when the labels were collected. A capture is matched to its label by its
``inferenceId`` when it has one, else by its ``eventId``.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from watchkeeper.capture.layout import check_name, window_hours
from watchkeeper.errors import InputError, UsageError
from watchkeeper.io.storage import join, read_bytes, write_bytes

GROUND_TRUTH = pa.schema([("eventId", pa.string()), ("label", pa.string())])
ID_COLUMNS = ("inferenceId", "inference_id", "eventId", "event_id")
LABEL_COLUMNS = ("label", "groundTruth", "ground_truth")
CAPTURE_IDS = ("__inference_id", "__event_id")


@dataclass(frozen=True)
class Upload:
    """Where an upload went, how many labels it holds and the input lines it skipped."""

    uri: str
    records: int
    bad_lines: list[int]


@dataclass(frozen=True)
class Merged:
    """Captured rows with their labels, and what found no partner on either side."""

    table: pa.Table
    unmatched_captures: int
    unmatched_ground_truth: int


def upload_ground_truth(
    file: str | os.PathLike[str],
    endpoint: str,
    root: str | os.PathLike[str],
    *,
    collected_at: datetime | None = None,
    skip_bad_lines: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> Upload:
    """Store the labels of ``file`` as SageMaker's ground-truth JSONL for ``endpoint``.

    ``file`` is SageMaker's ground-truth JSONL, or a CSV with a header naming an id
    column (``inferenceId``, ``inference_id``, ``eventId`` or ``event_id``) and a label
    column (``label``, ``groundTruth`` or ``ground_truth``). The labels land in one new
    file of the hour ``collected_at`` (default: now), written atomically. A bad line
    raises :class:`InputError` naming it, and nothing is written, unless
    ``skip_bad_lines``: then it is left out and its number reported.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "labels.csv").write_text("inferenceId,label\\na-1,1\\na-2,0\\n")
    >>> done = upload_ground_truth(folder / "labels.csv", "churn", folder / "gt",
    ...                            collected_at=datetime(2024, 5, 1, 10, 30, tzinfo=UTC))
    >>> done.records, "churn/2024/05/01/10/" in done.uri.replace(os.sep, "/")
    (2, True)
    """
    data = read_bytes(file, storage_options)
    name = os.fspath(file)
    return store_ground_truth(
        data, endpoint, root, source=name, csv=name.lower().endswith((".csv", ".tsv")),
        collected_at=collected_at, skip_bad_lines=skip_bad_lines,
        storage_options=storage_options,
    )  # fmt: skip


def store_ground_truth(
    data: bytes,
    endpoint: str,
    root: str | os.PathLike[str],
    *,
    source: str,
    csv: bool,
    collected_at: datetime | None = None,
    skip_bad_lines: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> Upload:
    """:func:`upload_ground_truth` for labels already in memory (an HTTP upload, say):
    ``csv`` says whether ``data`` is CSV (else SageMaker's JSONL); ``source`` names it in
    errors."""
    check_name("endpoint", endpoint)
    when = _utc(collected_at or datetime.now(UTC), "collected_at")
    name = source
    if csv:
        table, bad = _read_csv(data, name), []
    else:
        table, bad = _read_jsonl(data, name, skip_bad_lines)
    if table.num_rows == 0:
        raise InputError(f"{name}: no ground-truth labels in the file")
    lines = [
        json.dumps(
            {"groundTruthData": {"data": label, "encoding": "CSV"},
             "eventMetadata": {"eventId": event}, "eventVersion": "0"},
            separators=(",", ":"),
        )
        for event, label in zip(table["eventId"].to_pylist(), table["label"].to_pylist(),
                                strict=True)
    ]  # fmt: skip
    target = join(
        root, endpoint, when.strftime("%Y/%m/%d/%H"),
        f"{when:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.jsonl",
    )  # fmt: skip
    write_bytes(target, ("\n".join(lines) + "\n").encode("utf-8"), storage_options)
    return Upload(target, table.num_rows, bad)


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise UsageError(f"{name} must be a datetime, not {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _read_csv(data: bytes, name: str) -> pa.Table:
    delimiter = "\t" if name.lower().endswith(".tsv") else ","
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={}, strings_can_be_null=False, auto_dict_encode=False
            ),
            read_options=pacsv.ReadOptions(),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(f"{name}: not a readable CSV file ({exc})") from None
    ids = [c for c in ID_COLUMNS if c in table.column_names]
    labels = [c for c in LABEL_COLUMNS if c in table.column_names]
    if not ids or not labels:
        raise InputError(
            f"{name}: needs an id column ({', '.join(ID_COLUMNS)}) and a label column "
            f"({', '.join(LABEL_COLUMNS)}); it has {', '.join(table.column_names)}"
        )
    event, label = (pc.cast(table[c], pa.string()) for c in (ids[0], labels[0]))
    for column, what in ((event, ids[0]), (label, labels[0])):
        empty = pc.or_(pc.is_null(column), pc.equal(column, "")).to_numpy(zero_copy_only=False)
        if empty.any():
            raise InputError(
                f"{name}: line {int(empty.argmax()) + 2} has no {what}"
                f" ({int(empty.sum())} such lines)"
            )
    return pa.table([event, label], schema=GROUND_TRUTH)


def _read_jsonl(data: bytes, name: str, skip_bad_lines: bool) -> tuple[pa.Table, list[int]]:
    events, labels, bad = [], [], []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        record = _record(line)
        if record is None:
            if not skip_bad_lines:
                raise InputError(
                    f"{name}: line {number} is not a ground-truth record (a JSON object "
                    "with groundTruthData.data and eventMetadata.eventId); nothing was written"
                )
            bad.append(number)
            continue
        events.append(record[0])
        labels.append(record[1])
    return pa.table([pa.array(events, pa.string()), pa.array(labels, pa.string())],
                    schema=GROUND_TRUTH), bad  # fmt: skip


def _record(line: str) -> tuple[str, str] | None:
    try:
        record = json.loads(line)
        label = record["groundTruthData"]["data"]
        event = record["eventMetadata"]["eventId"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(label, bool) or not isinstance(label, str | int | float):
        return None
    if not isinstance(event, str) or not event:
        return None
    return event, str(label)


def read_ground_truth(
    root: str | os.PathLike[str],
    endpoint: str,
    start: datetime,
    end: datetime,
    *,
    storage_options: dict[str, Any] | None = None,
) -> pa.Table:
    """The labels collected for ``endpoint`` in the hours from ``start`` to ``end``.

    Returns a table of string columns ``eventId`` and ``label``; an event labelled
    twice keeps its latest label (the later hour folder, then the later file name).
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    if not start < end:
        raise UsageError(f"start ({start.isoformat()}) must be before end ({end.isoformat()})")
    fs, base = fsspec.core.url_to_fs(os.fspath(root), **(storage_options or {}))
    base = f"{base.rstrip('/')}/{check_name('endpoint', endpoint)}"
    fs.invalidate_cache()
    # Unlike captures, the hour is that of the upload: it is filtered on its folder alone.
    hours = [h for h in window_hours(start, end)][1:]
    paths = [p for hour in hours for p in _files(fs, f"{base}/{hour}")]
    tables = [_parse_stored(fs.cat_file(path), path) for path in paths]
    table = pa.concat_tables(tables) if tables else GROUND_TRUTH.empty_table()
    return _latest(table)


def _files(fs: Any, folder: str) -> list[str]:
    try:
        return sorted(p for p in fs.ls(folder, detail=False) if p.endswith(".jsonl"))
    except FileNotFoundError:
        return []


def _parse_stored(data: bytes, path: str) -> pa.Table:
    table, _ = _read_jsonl(data, path, skip_bad_lines=False)
    return table


def _latest(table: pa.Table) -> pa.Table:
    """One row per eventId: the last one in reading order."""
    if table.num_rows == 0:
        return table
    order = pa.array(range(table.num_rows), pa.int64())
    last = table.append_column("__at", order).group_by("eventId").aggregate([("__at", "max")])
    keep = pc.sort_indices(last["__at_max"])
    return table.take(pc.take(last["__at_max"], keep))


def merge_with_captures(
    captures: pa.Table, ground_truth: pa.Table, *, label_column: str = "groundTruth"
) -> Merged:
    """Captured rows joined to their labels (inner join), and the unmatched on each side.

    ``captures`` is :attr:`watchkeeper.capture.CaptureWindow.table` (its ``__event_id``
    and ``__inference_id`` columns), ``ground_truth`` a table with ``eventId`` and
    ``label`` as :func:`read_ground_truth` returns. The label is added as
    ``label_column``.

    >>> captures = pa.table({"prediction": ["0.9", "0.2", "0.7"],
    ...                      "__event_id": ["e1", "e2", "e3"],
    ...                      "__inference_id": [None, "i2", None]})
    >>> labels = pa.table({"eventId": ["e1", "i2", "x"], "label": ["1", "0", "1"]})
    >>> merged = merge_with_captures(captures, labels)
    >>> merged.table.sort_by("prediction")["groundTruth"].to_pylist()
    ['0', '1']
    >>> merged.unmatched_captures, merged.unmatched_ground_truth
    (1, 1)
    """
    missing = [c for c in CAPTURE_IDS if c not in captures.column_names]
    missing += [f"ground truth {c}" for c in GROUND_TRUTH.names
                if c not in ground_truth.column_names]  # fmt: skip
    if missing:
        raise UsageError(f"cannot merge: column {missing[0]} is missing")
    if label_column in captures.column_names:
        raise UsageError(f"label_column {label_column!r} is already a capture column")
    key = pc.coalesce(*(pc.cast(captures[c], pa.string()) for c in CAPTURE_IDS))
    labels = _latest(ground_truth.select(GROUND_TRUTH.names).cast(GROUND_TRUTH))
    labels = labels.rename_columns(["__key", label_column])
    joined = captures.append_column("__key", key).join(
        labels, keys="__key", join_type="inner", use_threads=True
    )
    known = pc.is_in(labels["__key"], value_set=key.combine_chunks())
    return Merged(
        table=joined.drop_columns(["__key"]),
        unmatched_captures=captures.num_rows - joined.num_rows,
        unmatched_ground_truth=labels.num_rows - int(pc.sum(known).as_py() or 0),
    )
