"""An AWS Lambda entry point for S3 PUT events: ``watchkeeper.integrations.aws_lambda.handler``;
and one for the prediction API behind API Gateway, ``predict_handler`` (configured as
:mod:`watchkeeper.integrations.lambda_predict` says).

Configured by environment variables:

* ``WATCHKEEPER_RULES``: the rules file (a path in the package or an ``s3://`` URI);
* ``WATCHKEEPER_BASELINE``: a baseline folder or URI (optional);
* ``WATCHKEEPER_NOTIFY``: apprise URLs, separated by spaces or commas (optional);
* ``WATCHKEEPER_REPORTS``: where reports go, ``reports`` in the same bucket by default;
* ``WATCHKEEPER_REPORT_URL``: web address of the reports folder, for links (optional);
* ``WATCHKEEPER_DATABASE_URL``: the catalog. A Lambda's disk is wiped between cold
  starts, so deduplication across invocations needs a shared database (PostgreSQL);
  by default the catalog lives in ``/tmp``. Concurrent invocations sharing it check
  each object once.
* ``WATCHKEEPER_ISOLATE``: ``1`` (the default) checks each object in a child process, so
  that an object that crashes its reader is recorded as failed with a message instead
  of ending the invocation; ``0`` checks in the handler's process (every error is still
  caught per object). Where child processes cannot start, objects are checked in the
  handler's process.
* ``WATCHKEEPER_TIME_LIMIT``: seconds one object's check may take (600 by default; keep
  it below the function's timeout). ``WATCHKEEPER_MEMORY_LIMIT``: MiB one check may use.
* ``WATCHKEEPER_METRICS``: ``cloudwatch`` prints each checked object's metric series as
  Embedded Metric Format lines, which CloudWatch Logs turns into metrics
  (:mod:`watchkeeper.integrations.cloudwatch`); ``none`` by default.

Each record of the event is a unit of failure. Returns a summary: one entry per object
checked, with its status, violations and report.
"""

from __future__ import annotations

import os
import re
from typing import Any

from watchkeeper.errors import UsageError, WatchkeeperError


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Check the objects the S3 event names; see the module documentation."""
    # imported here: the predict function needs none of it
    from watchkeeper.integrations.cloudwatch import metrics_from_settings
    from watchkeeper.watch import handle_s3_event

    if not os.environ.get("WATCHKEEPER_HOME") and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        os.environ["WATCHKEEPER_HOME"] = "/tmp/.watchkeeper"  # the only writable disk there
    try:
        limits = _limits()
        records = handle_s3_event(
            event,
            rules=os.environ.get("WATCHKEEPER_RULES") or None,
            baseline=os.environ.get("WATCHKEEPER_BASELINE") or None,
            notify=[
                url for url in re.split(r"[\s,]+", os.environ.get("WATCHKEEPER_NOTIFY", "")) if url
            ],
            reports=os.environ.get("WATCHKEEPER_REPORTS") or "reports",
            report_url=os.environ.get("WATCHKEEPER_REPORT_URL") or None,
            metrics=metrics_from_settings(),
            **limits,
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


def _limits() -> dict[str, Any]:
    """``isolate``, ``time_limit`` and ``memory_limit`` from the environment."""
    isolate = os.environ.get("WATCHKEEPER_ISOLATE", "1").strip().lower()
    if isolate not in ("1", "0", "true", "false", "yes", "no"):
        raise UsageError(f"WATCHKEEPER_ISOLATE must be 1 or 0, not {isolate!r}")
    limits: dict[str, Any] = {"isolate": isolate in ("1", "true", "yes")}
    for name, key, kind in (
        ("WATCHKEEPER_TIME_LIMIT", "time_limit", float),
        ("WATCHKEEPER_MEMORY_LIMIT", "memory_limit", int),
    ):
        text = os.environ.get(name, "").strip()
        if not text:
            continue
        try:
            limits[key] = kind(text)
        except ValueError:
            raise UsageError(f"{name} must be a number, not {text!r}") from None
    return limits


def predict_handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Answer an API Gateway event with the prediction API; see
    :mod:`watchkeeper.integrations.lambda_predict`."""
    from watchkeeper.integrations.lambda_predict import predict_handler as answer

    return answer(event, context)
