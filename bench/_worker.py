"""One measured run, in a fresh process: ``python -P _worker.py TOOL PATH``.

Prints one JSON object on stdout: status, rows, phase timings and library versions.
The parent measures wall time and peak RSS of the whole process around it.

This file runs under the project's interpreter and under the whylogs peer venv
(NumPy 1.x, pandas 2.2), so it imports only the standard library at module level and
each tool's libraries inside that tool's runner.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata


def _versions(*distributions: str) -> dict[str, str]:
    found = {}
    for name in distributions:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class _Clock:
    """Named phases measured back to back from the clock's creation."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] = now - self._last
        self._last = now


def run_watchkeeper(path: str) -> dict:
    clock = _Clock()
    import watchkeeper

    clock.lap("import")
    profile = getattr(watchkeeper, "profile", None)
    versions = _versions("watchkeeper", "numpy", "pyarrow", "datasketches")
    if not callable(profile):
        return {
            "status": "unavailable",
            "reason": "watchkeeper.profile(path) is not available in this tree",
            "versions": versions,
        }
    result = profile(path)
    clock.lap("read+profile")
    return {"status": "ok", "rows": _rows_of(result), "phases": clock.phases, "versions": versions}


def _rows_of(result: object) -> int | None:
    # The profile's row count is only a sanity check; its attribute name is not fixed here.
    for name in ("num_rows", "row_count", "rows", "n"):
        value = getattr(result, name, None)
        if isinstance(value, int):
            return value
    return None


def run_whylogs(path: str) -> dict:
    clock = _Clock()
    import pandas as pd
    import whylogs as why

    clock.lap("import")
    frame = pd.read_csv(path) if path.endswith(".csv") else pd.read_parquet(path)
    clock.lap("read")
    view = why.log(frame).view()
    clock.lap("profile")
    return {
        "status": "ok",
        "rows": len(frame),
        "columns": len(view.get_columns()),
        "phases": clock.phases,
        "versions": _versions("whylogs", "whylogs-sketching", "pandas", "numpy", "pyarrow"),
    }


def run_floor(path: str) -> dict:
    """Read with pyarrow, then one vectorised pass of the cheapest useful summary per column."""
    clock = _Clock()
    import datasketches
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    clock.lap("import")
    table = pacsv.read_csv(path) if path.endswith(".csv") else pq.read_table(path)
    clock.lap("read")

    def numeric(column: pa.ChunkedArray) -> dict:
        values = pc.drop_null(column).to_numpy()
        # KLL's update takes only writable float64 arrays; a zero-copy Arrow view is neither.
        doubles = values.astype(np.float64, copy=not values.flags.writeable)
        sketch = datasketches.kll_doubles_sketch(200)
        sketch.update(doubles)
        return {
            "count": len(column),
            "nulls": column.null_count,
            "sum": values.sum(),
            "mean": values.mean() if values.size else None,
            "var": values.var() if values.size else None,
            "min": values.min() if values.size else None,
            "max": values.max() if values.size else None,
            "kll": sketch,
        }

    def categorical(column: pa.ChunkedArray) -> dict:
        return {"nulls": column.null_count, "value_counts": pc.value_counts(column)}

    def ordered(column: pa.ChunkedArray) -> dict:
        return {"nulls": column.null_count, "min_max": pc.min_max(column)}

    summaries = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            summaries[name] = numeric(column)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            summaries[name] = categorical(column)
        else:
            summaries[name] = ordered(column)
    clock.lap("profile")
    return {
        "status": "ok",
        "rows": table.num_rows,
        "columns": len(summaries),
        "phases": clock.phases,
        "versions": _versions("pyarrow", "numpy", "datasketches"),
    }


RUNNERS: dict[str, Callable[[str], dict]] = {
    "watchkeeper": run_watchkeeper,
    "whylogs": run_whylogs,
    "floor": run_floor,
}


def main(argv: list[str]) -> int:
    tool, path = argv[1], argv[2]
    try:
        result = RUNNERS[tool](path)
    except ImportError as error:
        result = {"status": "unavailable", "reason": f"{type(error).__name__}: {error}"}
    except Exception as error:
        traceback.print_exc()
        result = {"status": "failed", "reason": f"{type(error).__name__}: {error}"}
    result["python"] = sys.version.split()[0]
    result["pid"] = os.getpid()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
