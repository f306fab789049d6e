"""Alerts to the team: Slack, email, webhooks and every other channel apprise knows.

A channel is an apprise URL (``slack://…``, ``mailto://…``, ``json://…``). Alerts go
through the catalog's outbox, so a channel that is down delays them but loses none,
and the same finding reaches each channel once, across restarts::

    notifier = Notifier(["slack://T…/B…/…", "mailto://user:pass@example.com"], Catalog())
    notifier.send(check_alert("s3://bucket", "input.csv", 1000, violations, report_url))
"""

from __future__ import annotations

from watchkeeper.notify.alert import Alert
from watchkeeper.notify.messages import check_alert, failure_alert
from watchkeeper.notify.notifier import FlushReport, Notifier, dedup_key
from watchkeeper.notify.urls import channel_id, redact

__all__ = [
    "Alert",
    "FlushReport",
    "Notifier",
    "channel_id",
    "check_alert",
    "dedup_key",
    "failure_alert",
    "redact",
]
