"""Imported once by the fork server of isolated checks (see ``isolation``).

One small check of an in-memory table, run at import, does what every check does once
per process — compiling the report's templates, importing what NumPy and the report
writer import on first use — so that each child forked from the server starts warm
instead of paying for it per landed file. The table is small enough to be profiled on
the calling thread, so the server stays single-threaded, as a process that forks must.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pyarrow as pa

from watchkeeper.checks.pipeline import run_check

log = logging.getLogger("watchkeeper.watch")

WARM_UP_RULES = "columns:\n  number: {min: 0}\n"


def warm_up() -> None:
    """Check a few rows and write their report to a folder that is then deleted."""
    table = pa.table(
        {
            "number": [1.5, 2.0, None, 4.25] * 8,
            "count": [1, 2, 3, 4] * 8,
            "text": ["a", "b", None, "c"] * 8,
            "flag": [True, False, True, None] * 8,
        }
    )
    with tempfile.TemporaryDirectory(prefix="watchkeeper-warm-up-") as folder:
        rules = Path(folder, "rules.yaml")
        rules.write_text(WARM_UP_RULES)
        run_check(table, rules=rules, output=Path(folder, "report"), plotly_src="plotly.js")


try:
    warm_up()
except Exception as exc:  # only slower children, never none: the server must start
    log.debug("the fork server's warm-up failed: %s", exc)
