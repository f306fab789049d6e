"""The files a monitoring job leaves for its window, written as one set.

A job renders every file first and writes them together (``io.storage.write_files``),
so a window whose page or document cannot be rendered leaves no half of its results
beside a Failed execution.
"""

from __future__ import annotations

from collections.abc import Mapping

from watchkeeper.artifacts import (
    ANALYSIS,
    CONSTRAINT_VIOLATIONS,
    CONSTRAINTS,
    REPORT_HTML,
    STATISTICS,
)
from watchkeeper.io.storage import write_files

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
