"""The catalog: what watchkeeper has seen, judged and sent, in a SQL database.

SQLite in the workspace by default (zero set-up), any SQLAlchemy URL for teams
(``WATCHKEEPER_DATABASE_URL``, e.g. ``postgresql+psycopg://…``). The watcher records each
object it has processed (by key and version, so that a restart neither skips nor repeats
a file) and an outbox of messages (deduplicated by key, delivered and marked sent, so
that no message is lost to a crash or sent twice for the same finding). Monitoring
schedules keep their executions (one per window) and metric series here too.

Several processes may share one catalog: each object version, outbox message and
monitoring window is claimed by one of them with a lease that it renews while it runs,
and that another process takes over once it expires (:mod:`watchkeeper.catalog.leases`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.lazy import lazy_exports

# Imported on first use: a command that only names a default (the lease, the workspace's
# file names) does not pay for SQLAlchemy.
_MONITORING = "watchkeeper.catalog.monitoring"
_STORE = "watchkeeper.catalog.store"
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Batch": "watchkeeper.catalog.datasets",
        "Dataset": "watchkeeper.catalog.datasets",
        "DatasetStore": "watchkeeper.catalog.datasets",
        "COMPLETED": _MONITORING,
        "COMPLETED_WITH_VIOLATIONS": _MONITORING,
        "FAILED": _MONITORING,
        "IN_PROGRESS": _MONITORING,
        "Execution": _MONITORING,
        "MetricJudgement": _MONITORING,
        "MetricPoint": _MONITORING,
        "MonitoringStore": _MONITORING,
        "Schedule": _MONITORING,
        "MAX_ID": _STORE,
        "Catalog": "watchkeeper.catalog.opening",
        "Message": _STORE,
        "ProcessedObject": _STORE,
        "default_database_url": _STORE,
        "workspace": _STORE,
    },
)

if TYPE_CHECKING:
    from watchkeeper.catalog.datasets import Batch, Dataset, DatasetStore
    from watchkeeper.catalog.monitoring import (
        COMPLETED,
        COMPLETED_WITH_VIOLATIONS,
        FAILED,
        IN_PROGRESS,
        Execution,
        MetricJudgement,
        MetricPoint,
        MonitoringStore,
        Schedule,
    )
    from watchkeeper.catalog.store import (
        MAX_ID,
        Catalog,
        Message,
        ProcessedObject,
        default_database_url,
        workspace,
    )

__all__ = [
    "COMPLETED",
    "COMPLETED_WITH_VIOLATIONS",
    "FAILED",
    "IN_PROGRESS",
    "MAX_ID",
    "Batch",
    "Catalog",
    "Dataset",
    "DatasetStore",
    "Execution",
    "Message",
    "MetricJudgement",
    "MetricPoint",
    "MonitoringStore",
    "ProcessedObject",
    "Schedule",
    "default_database_url",
    "workspace",
]
