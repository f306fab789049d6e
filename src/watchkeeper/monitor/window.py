"""The captured records of a job's window, read alike by every kind of job.

A window without a record is the execution's failure, with a reason that says which
endpoint and which minutes were empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from watchkeeper.capture import read_capture
from watchkeeper.capture.reader import CaptureWindow, window_files
from watchkeeper.capture.scripts import RecordPreprocessor, load_preprocessor
from watchkeeper.catalog import FAILED, Execution, MonitoringStore, Schedule

if TYPE_CHECKING:
    from watchkeeper.profile import DatasetProfile

SPARK_MASTER = "local[*]"
# a schedule's options naming SageMaker's scripts (see watchkeeper.capture.scripts)
RECORD_PREPROCESSOR, POST_ANALYTICS = "record_preprocessor", "post_analytics"
SCRIPT_OPTIONS = (RECORD_PREPROCESSOR, POST_ANALYTICS)
log = logging.getLogger("watchkeeper.monitor")


def preprocessor_of(schedule: Schedule) -> RecordPreprocessor | None:
    """The schedule's record preprocessor, loaded, or None when it has none."""
    path = schedule.options.get(RECORD_PREPROCESSOR)
    return load_preprocessor(path) if path else None


def captured_window(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    storage_options: dict | None,
) -> tuple[CaptureWindow, Execution | None]:
    """The window's captured records, and the execution finished as Failed when there
    are none (None otherwise: the job goes on)."""
    captured = read_capture(
        schedule.capture,
        schedule.endpoint,
        schedule.variant,
        start=execution.window_start,
        end=execution.window_end,
        storage_options=storage_options,
        preprocessor=preprocessor_of(schedule),
    )
    if captured.failed_records:
        log.warning(
            "%s: the record preprocessor failed on %d record(s), first: %s",
            schedule.name, captured.failed_records, captured.failures[0],
        )  # fmt: skip
    if captured.records:
        return captured, None
    return captured, _no_records(
        store, schedule, execution, captured.corrupt_lines, captured.preprocessor_note()
    )


def captured_on_spark(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    storage_options: dict | None,
    select: Callable[[pa.Table], pa.Table],
    observers: Sequence[Any] = (),
    text_columns: dict[str, bool] | None = None,
) -> tuple[DatasetProfile | None, Any, Execution | None]:
    """The window's captured rows profiled on Spark (the schedule's ``engine=spark``,
    ``spark_master`` and ``spark_conf`` options): (profile, the counts of records and
    corrupt lines, and the execution finished as Failed when there is no record);
    ``observers`` see the rows on the executors and ``text_columns`` are read as the
    baseline decided (see ``profile_spark``)."""
    from watchkeeper.engines import spark_engine

    spark = spark_engine()
    options = schedule.options
    session = spark.spark_session(
        options.get("spark_master", SPARK_MASTER), options.get("spark_conf") or {}
    )
    start, end = execution.window_start, execution.window_end
    fs, paths = window_files(
        schedule.capture, schedule.endpoint, schedule.variant, start, end, storage_options
    )
    profile, counts = None, None
    if paths:
        files = [spark_uri(fs.unstrip_protocol(path)) for path in paths]
        profile, counts = spark.profile_capture_files(
            session, files, start, end, select, observers, text_columns
        )
    if counts is not None and counts.records:
        return profile, counts, None
    corrupt = counts.corrupt_lines if counts is not None else 0
    return profile, counts, _no_records(store, schedule, execution, corrupt)


def spark_uri(uri: str) -> str:
    """Where Spark's Hadoop connectors find a file fsspec names: S3 is ``s3a://``.

    >>> spark_uri("s3://bucket/capture/a.jsonl"), spark_uri("file:///tmp/a.jsonl")
    ('s3a://bucket/capture/a.jsonl', 'file:///tmp/a.jsonl')
    """
    return "s3a://" + uri.removeprefix("s3://") if uri.startswith("s3://") else uri


def _no_records(
    store: MonitoringStore,
    schedule: Schedule,
    execution: Execution,
    corrupt_lines: int,
    note: str = "",
) -> Execution:
    reason = (
        f"no captured records for {schedule.endpoint} between "
        f"{execution.window_start:%Y-%m-%dT%H:%M}Z and {execution.window_end:%Y-%m-%dT%H:%M}Z"
    )
    if note:
        reason += f" ({note})"
    return store.finish_execution(
        execution.id, status=FAILED, failure_reason=reason, corrupt_lines=corrupt_lines
    )
