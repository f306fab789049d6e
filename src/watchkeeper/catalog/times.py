"""Times in the catalog: written in UTC, read back in UTC."""

from __future__ import annotations

import datetime as dt

# How long a process's claim on shared work outlives it (seconds): far longer than a
# renewal takes, even on a busy machine (see watchkeeper.catalog.leases).
DEFAULT_LEASE = 60.0


def utcnow() -> dt.datetime:
    """Now, in UTC, as every time the catalog stores."""
    return dt.datetime.now(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A time read back from the catalog, in UTC (SQLite gives naive datetimes back;
    everything stored is UTC).

    >>> as_utc(dt.datetime(2026, 11, 20, 9, 0)).isoformat()
    '2026-11-20T09:00:00+00:00'
    """
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
