"""The captured records of a job's window, read alike by every kind of job.

A window without a record is the execution's failure, with a reason that says which
endpoint and which minutes were empty.
"""

from __future__ import annotations

from watchkeeper.capture import read_capture
from watchkeeper.capture.reader import CaptureWindow
from watchkeeper.catalog import FAILED, Execution, MonitoringStore, Schedule


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
    )
    if captured.records:
        return captured, None
    reason = (
        f"no captured records for {schedule.endpoint} between "
        f"{execution.window_start:%Y-%m-%dT%H:%M}Z and {execution.window_end:%Y-%m-%dT%H:%M}Z"
    )
    failed = store.finish_execution(
        execution.id, status=FAILED, failure_reason=reason, corrupt_lines=captured.corrupt_lines
    )
    return captured, failed
