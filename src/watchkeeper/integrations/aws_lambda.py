"""An AWS Lambda entry point for S3 PUT events: ``watchkeeper.integrations.aws_lambda.handler``.

Configured by environment variables:

* ``WATCHKEEPER_RULES``: the rules file (a path in the package or an ``s3://`` URI);
* ``WATCHKEEPER_BASELINE``: a baseline folder or URI (optional);
* ``WATCHKEEPER_NOTIFY``: apprise URLs, separated by spaces or commas (optional);
* ``WATCHKEEPER_REPORTS``: where reports go, ``reports`` in the same bucket by default;
* ``WATCHKEEPER_REPORT_URL``: web address of the reports folder, for links (optional);
* ``WATCHKEEPER_DATABASE_URL``: the catalog. A Lambda's disk is wiped between cold
  starts, so deduplication across invocations needs a shared database (PostgreSQL);
  by default the catalog lives in ``/tmp``.

Returns a summary: one entry per object, with its status, violations and report.
"""

from __future__ import annotations

import os
import re
from typing import Any

from watchkeeper.errors import WatchkeeperError
from watchkeeper.watch import handle_s3_event


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Check the objects the S3 event names; see the module documentation."""
    if not os.environ.get("WATCHKEEPER_HOME") and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        os.environ["WATCHKEEPER_HOME"] = "/tmp/.watchkeeper"  # the only writable disk there
    try:
        records = handle_s3_event(
            event,
            rules=os.environ.get("WATCHKEEPER_RULES") or None,
            baseline=os.environ.get("WATCHKEEPER_BASELINE") or None,
            notify=[
                url for url in re.split(r"[\s,]+", os.environ.get("WATCHKEEPER_NOTIFY", "")) if url
            ],
            reports=os.environ.get("WATCHKEEPER_REPORTS") or "reports",
            report_url=os.environ.get("WATCHKEEPER_REPORT_URL") or None,
        )
    except WatchkeeperError as exc:  # a configuration problem: say it in the function's log
        return {"status": "error", "error": str(exc)}
    return {
        "status": "ok",
        "objects": [
            {
                "object": record.key,
                "status": record.status,
                "violations": record.violations,
                "report": record.report,
                "error": record.error,
            }
            for record in records
        ],
    }
