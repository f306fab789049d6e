"""The files a monitoring job leaves for its window, written as one set.

A job renders every file first and writes them together (``io.storage.write_files``),
so a window whose page or document cannot be rendered leaves no half of its results
beside a Failed execution.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from watchkeeper.artifacts import (
    ANALYSIS,
    CONSTRAINT_VIOLATIONS,
    CONSTRAINTS,
    REPORT_HTML,
    STATISTICS,
)
from watchkeeper.catalog import Execution, Schedule
from watchkeeper.io.storage import join, write_files
from watchkeeper.report.formatting import execution_subtitle

# file → the name an execution lists it under (``executions show``, the dashboard)
NAMES = {
    STATISTICS: "statistics",
    CONSTRAINTS: "constraints",
    CONSTRAINT_VIOLATIONS: "violations",
    ANALYSIS: "analysis",
    REPORT_HTML: "html",
}


def write_artifacts(
    folder: str, files: Mapping[str, str], storage_options: dict | None = None
) -> dict[str, str]:
    """Write ``files`` (file name → text) under ``folder`` as one set; returns the
    execution's artefacts, name → URI."""
    written = write_files(folder, files, storage_options)
    return {NAMES.get(name, name): uri for name, uri in written.items()}


def output_folder(schedule: Schedule, window_end: dt.datetime) -> str:
    """``{report}/{endpoint}/{schedule}/yyyy/mm/dd/HH`` as SageMaker lays executions out;
    a window that does not end on the hour gets a ``MM-SS`` folder below, so that runs
    over shorter windows do not overwrite each other."""
    parts = [window_end.strftime("%Y"), window_end.strftime("%m"), window_end.strftime("%d")]
    parts.append(window_end.strftime("%H"))
    if window_end.minute or window_end.second:
        parts.append(window_end.strftime("%M-%S"))
    return join(schedule.report, schedule.endpoint, schedule.name, *parts)


def report_heading(schedule: Schedule, execution: Execution, ran_at: dt.datetime) -> dict[str, str]:
    """The title and subtitle of an execution's report page: which endpoint, schedule,
    window and execution it judged, and when it ran (``render_*_html(**heading)``)."""
    return {
        "title": f"watchkeeper: {schedule.endpoint} / {schedule.name}",
        "subtitle": execution_subtitle(
            endpoint=schedule.endpoint,
            schedule=schedule.name,
            cron=schedule.cron,
            start=execution.window_start,
            end=execution.window_end,
            execution_id=execution.id,
            ran_at=ran_at,
        ),
    }
