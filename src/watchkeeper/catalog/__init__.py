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

from watchkeeper.catalog.datasets import Batch, Dataset, DatasetStore
from watchkeeper.catalog.monitoring import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    IN_PROGRESS,
    Execution,
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
    "MetricPoint",
    "MonitoringStore",
    "ProcessedObject",
    "Schedule",
    "default_database_url",
    "workspace",
]
