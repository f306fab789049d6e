"""The online store of a feature store: the latest record of every id, in milliseconds.

A feature group's records arrive in batches, each record carrying an id and an event
time. The online store keeps, per id, the record with the latest event time: a record
whose event time is older than the stored one (a late arrival) never replaces it; with
equal event times the later write wins. ``delete`` removes an id's record when the stored
event time is not after the given one (SageMaker's ``DeleteRecord``); the deletion is
remembered at that event time, so a late record older than the deletion does not bring
the id back, while a record at or after it does.

A write or a delete may carry a ``commit``, the name of the feature-store call it belongs
to: the store records it in the same transaction as the records, so that after a crash
:meth:`OnlineStore.committed` tells whether that call reached the online store (all of
it) or not (none of it); :meth:`OnlineStore.forget` drops the note once the call is
settled.

Two backends implement :class:`OnlineStore`:

* :class:`SQLiteOnlineStore`, one SQLite file (the default; nothing to run);
* :class:`RedisOnlineStore`, a Redis server shared by several processes or hosts.

Both take a batch as a list of dicts or, much faster for many records, as an Arrow table
(see :mod:`watchkeeper.featurestore.online.records`), and apply the latest-event rule to
the whole batch on the database side: a few hundred records per SQL statement, a few
thousand per Redis script call.

:func:`open_online_store` picks one from a URL:

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store = open_online_store(None, folder / "online.db")
>>> store.write("customers", [
...     {"customer_id": 7, "balance": 10.5, "event_time": "2024-05-01T10:00:00Z"},
...     {"customer_id": 7, "balance": 3.0, "event_time": "2024-04-30T09:00:00Z"},
... ], id_column="customer_id", time_column="event_time")
1
>>> store.get("customers", "7")
{'customer_id': 7, 'balance': 10.5, 'event_time': '2024-05-01T10:00:00Z'}
>>> store.get("customers", "7", features=["balance"])
{'customer_id': 7, 'balance': 10.5}
>>> store.get_many("customers", ["7", "8"], features=["balance"])
[{'customer_id': 7, 'balance': 10.5}, None]
>>> store.delete("customers", "7", "2024-05-02T00:00:00Z")
True
>>> store.get("customers", "7") is None
True
>>> store.close()
>>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from watchkeeper.errors import UsageError
from watchkeeper.featurestore.online.records import event_time_us
from watchkeeper.featurestore.online.redis import RedisOnlineStore
from watchkeeper.featurestore.online.sqlite import SQLiteOnlineStore

__all__ = [
    "OnlineStore",
    "RedisOnlineStore",
    "SQLiteOnlineStore",
    "event_time_us",
    "open_online_store",
]


@runtime_checkable
class OnlineStore(Protocol):
    """What every online store does; see the module's description for the semantics."""

    def write(
        self,
        group: str,
        records: list[dict] | pa.Table,
        id_column: str,
        time_column: str,
        commit: str | None = None,
    ) -> int:
        """Write one batch (a list of dicts or an Arrow table, whose rows are the records)
        atomically, with ``commit`` noted in the same transaction; return how many records
        became the latest of their id, counted in the order they were given."""
        ...

    def get(self, group: str, record_id: str, features: list[str] | None = None) -> dict | None:
        """The latest record of ``record_id`` (only ``features`` and the id), or None."""
        ...

    def get_many(
        self, group: str, ids: list[str], features: list[str] | None = None
    ) -> list[dict | None]:
        """The latest record of each id, in the order of ``ids``; None where there is none."""
        ...

    def delete(
        self, group: str, record_id: str, event_time: Any, commit: str | None = None
    ) -> bool:
        """Remove the id's record if its event time is not after ``event_time`` (with
        ``commit`` noted in the same transaction)."""
        ...

    def committed(self, group: str, commit: str) -> bool:
        """Whether a write or delete carrying ``commit`` has been applied."""
        ...

    @property
    def location(self) -> str:
        """Which store this is (a file, a server and database), without credentials."""
        ...

    def forget(self, group: str, commit: str) -> None:
        """Drop the note of ``commit``."""
        ...

    def drop(self, group: str) -> None:
        """Forget every record and commit of the group."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...


def open_online_store(spec: str | None, default_path: str | Path) -> OnlineStore:
    """The online store a URL names.

    ``redis://host:port/db`` (or ``rediss://``) opens a :class:`RedisOnlineStore`;
    ``sqlite:///relative/path`` or ``sqlite:////absolute/path`` a :class:`SQLiteOnlineStore`
    on that file; None or ``sqlite://`` a :class:`SQLiteOnlineStore` on ``default_path``.

    >>> open_online_store("memcached://localhost", "online.db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UsageError: online store 'memcached://localhost' is not supported: ...
    """
    if spec is None or spec in ("sqlite://", "sqlite:///"):
        return SQLiteOnlineStore(default_path)
    if spec.startswith("sqlite:///"):
        return SQLiteOnlineStore(spec[len("sqlite:///") :])
    if spec.startswith(("redis://", "rediss://")):
        return RedisOnlineStore(spec)
    raise UsageError(
        f"online store {spec!r} is not supported: use redis://host:port/db or sqlite:///path"
    )
