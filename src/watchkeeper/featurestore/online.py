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

import datetime as dt
import json
import math
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from watchkeeper.errors import UsageError
from watchkeeper.featurestore.definitions import check_group_name

__all__ = [
    "OnlineStore",
    "RedisOnlineStore",
    "SQLiteOnlineStore",
    "event_time_us",
    "open_online_store",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ONE_US = dt.timedelta(microseconds=1)


@runtime_checkable
class OnlineStore(Protocol):
    """What every online store does; see the module's description for the semantics."""

    def write(
        self,
        group: str,
        records: list[dict],
        id_column: str,
        time_column: str,
        commit: str | None = None,
    ) -> int:
        """Write one batch atomically (with ``commit`` noted in the same transaction);
        return how many records became the latest of their id."""
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


def event_time_us(value: Any) -> int:
    """An event time as integer microseconds since the epoch, so that times compare exactly.

    Accepts a datetime (a naive one is read as UTC), an ISO-8601 string, or epoch
    seconds (int, float or a numeric string); anything else raises :class:`UsageError`.

    >>> event_time_us("1970-01-01T00:00:01Z")
    1000000
    >>> event_time_us(1.5)
    1500000
    >>> event_time_us(dt.datetime(1970, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    0
    """
    if isinstance(value, bool) or value is None:
        raise UsageError(f"event time {value!r} is not a time")
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return (when - _EPOCH) // _ONE_US
    if isinstance(value, int):
        return value * 1_000_000
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(f"event time {value!r} is not a time")
        return round(value * 1_000_000)
    if isinstance(value, str):
        text = value.strip()
        try:
            return event_time_us(float(text))
        except ValueError:
            pass
        try:
            return event_time_us(dt.datetime.fromisoformat(text))
        except ValueError:
            raise UsageError(
                f"event time {value!r} is neither an ISO-8601 time nor epoch seconds"
            ) from None
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return event_time_us(item())
    raise UsageError(f"event time {value!r} ({type(value).__name__}) is not a time")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not a scalar")


def _prepare(
    records: Sequence[dict], id_column: str, time_column: str
) -> list[tuple[str, int, str]]:
    """Each record as (id, event microseconds, JSON); raises before anything is written."""
    rows = []
    for position, record in enumerate(records):
        if not isinstance(record, dict):
            raise UsageError(f"record {position} is a {type(record).__name__}, not a dict")
        if record.get(id_column) is None:
            raise UsageError(f"record {position} has no value in the id column {id_column!r}")
        if record.get(time_column) is None:
            raise UsageError(
                f"record {position} has no value in the event time column {time_column!r}"
            )
        try:
            event_us = event_time_us(record[time_column])
        except UsageError as exc:
            raise UsageError(f"record {position}: {exc}") from None
        try:
            text = json.dumps(record, default=_json_value, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"record {position} cannot be stored: {exc}") from None
        rows.append((str(record[id_column]), event_us, text))
    return rows


def _select(text: str | bytes | None, id_column: str | bytes | None, features) -> dict | None:
    if text is None:
        return None
    record = json.loads(text)
    if features is None:
        return record
    if isinstance(id_column, bytes):
        id_column = id_column.decode()
    return {
        name: record[name]
        for name in (id_column, *(f for f in features if f != id_column))
        if name in record
    }


class SQLiteOnlineStore:
    """The online store in one SQLite file (WAL mode, one connection per thread).

    One table ``online`` holds a row per (group, id): the event time in microseconds and
    the record as JSON (NULL once deleted, the row then remembering the deletion's time).
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        connection = self._connection()
        connection.execute(
            "CREATE TABLE IF NOT EXISTS online ("
            ' "group" TEXT NOT NULL, id TEXT NOT NULL, event_us INTEGER NOT NULL,'
            " record TEXT, id_column TEXT,"
            ' PRIMARY KEY ("group", id)) WITHOUT ROWID'
        )
        connection.execute(
            "CREATE TABLE IF NOT EXISTS commits ("
            ' "group" TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY ("group", id)) WITHOUT ROWID'
        )

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._closed:
                raise UsageError(f"the online store {self.path} is closed")
            connection = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def write(
        self,
        group: str,
        records: list[dict],
        id_column: str,
        time_column: str,
        commit: str | None = None,
    ) -> int:
        """Write one batch in one transaction; return how many records became the latest."""
        check_group_name(group)
        rows = _prepare(records, id_column, time_column)
        if not rows and commit is None:
            return 0
        connection = self._connection()
        applied = 0
        connection.execute("BEGIN IMMEDIATE")
        try:
            self._note(connection, group, commit)
            for record_id, event_us, text in rows:
                cursor = connection.execute(
                    'INSERT INTO online ("group", id, event_us, record, id_column)'
                    " VALUES (?, ?, ?, ?, ?)"
                    ' ON CONFLICT ("group", id) DO UPDATE SET event_us = excluded.event_us,'
                    " record = excluded.record, id_column = excluded.id_column"
                    " WHERE excluded.event_us >= online.event_us",
                    (group, record_id, event_us, text, id_column),
                )
                applied += cursor.rowcount
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return applied

    @staticmethod
    def _note(connection: sqlite3.Connection, group: str, commit: str | None) -> None:
        if commit is not None:
            connection.execute(
                'INSERT OR IGNORE INTO commits ("group", id) VALUES (?, ?)', (group, commit)
            )

    def get(self, group: str, record_id: str, features: list[str] | None = None) -> dict | None:
        """The latest record of ``record_id`` (all columns, or ``features`` and the id)."""
        check_group_name(group)
        row = (
            self._connection()
            .execute(
                'SELECT record, id_column FROM online WHERE "group" = ? AND id = ?',
                (group, str(record_id)),
            )
            .fetchone()
        )
        return None if row is None else _select(row[0], row[1], features)

    def get_many(
        self, group: str, ids: list[str], features: list[str] | None = None
    ) -> list[dict | None]:
        """The latest record of each id in the order of ``ids`` (None where there is none)."""
        check_group_name(group)
        keys = [str(record_id) for record_id in ids]
        found: dict[str, tuple[str | None, str | None]] = {}
        connection = self._connection()
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for record_id, text, id_column in connection.execute(
                f'SELECT id, record, id_column FROM online WHERE "group" = ? AND id IN ({marks})',
                (group, *chunk),
            ):
                found[record_id] = (text, id_column)
        return [_select(*found.get(key, (None, None)), features) for key in keys]

    def delete(
        self, group: str, record_id: str, event_time: Any, commit: str | None = None
    ) -> bool:
        """Remove the id's record if its event time is not after ``event_time``."""
        check_group_name(group)
        event_us = event_time_us(event_time)
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            self._note(connection, group, commit)
            cursor = connection.execute(
                "UPDATE online SET event_us = ?, record = NULL, id_column = NULL"
                ' WHERE "group" = ? AND id = ? AND record IS NOT NULL AND event_us <= ?',
                (event_us, group, str(record_id), event_us),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return cursor.rowcount > 0

    def committed(self, group: str, commit: str) -> bool:
        """Whether a write or delete carrying ``commit`` has been applied."""
        check_group_name(group)
        row = (
            self._connection()
            .execute('SELECT 1 FROM commits WHERE "group" = ? AND id = ?', (group, commit))
            .fetchone()
        )
        return row is not None

    def forget(self, group: str, commit: str) -> None:
        """Drop the note of ``commit``."""
        check_group_name(group)
        self._connection().execute(
            'DELETE FROM commits WHERE "group" = ? AND id = ?', (group, commit)
        )

    def drop(self, group: str) -> None:
        """Forget every record and commit of the group."""
        check_group_name(group)
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute('DELETE FROM online WHERE "group" = ?', (group,))
            connection.execute('DELETE FROM commits WHERE "group" = ?', (group,))
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()
        self._local = threading.local()

    @property
    def location(self) -> str:
        """The SQLite file, as an absolute path."""
        return f"sqlite:///{self.path.resolve()}"

    def __repr__(self) -> str:
        return f"SQLiteOnlineStore({str(self.path)!r})"


# KEYS[1] the record's hash; ARGV: event microseconds, record JSON, id column
_PUT = """
local stored = redis.call('HGET', KEYS[1], '__event_us')
if stored and tonumber(stored) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], '__event_us', ARGV[1], 'record', ARGV[2], '__id_column', ARGV[3])
return 1
"""

# KEYS[1] the record's hash; ARGV[1] the deletion's event microseconds
_DELETE = """
if redis.call('HEXISTS', KEYS[1], 'record') == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], '__event_us')) > tonumber(ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], 'record', '__id_column')
redis.call('HSET', KEYS[1], '__event_us', ARGV[1])
return 1
"""


class RedisOnlineStore:
    """The online store on a Redis server: one hash per record, ``wk:<group>:<id>``.

    The hash holds ``__event_us`` (the event time in microseconds), ``record`` (the JSON
    record; absent once deleted) and ``__id_column``. A Lua script compares event times
    per id on the server, and a batch goes in one ``MULTI``/``EXEC`` so it lands whole,
    with its commit noted as the key ``wk-commit:<group>:<commit>``.
    """

    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        try:
            self._redis = redis.Redis.from_url(url)
            self._redis.ping()
        except (redis.RedisError, ValueError) as exc:
            raise UsageError(f"cannot reach the Redis online store {url}: {exc}") from None
        self._put = self._redis.register_script(_PUT)
        self._delete = self._redis.register_script(_DELETE)

    @staticmethod
    def _key(group: str, record_id: Any) -> str:
        return f"wk:{group}:{record_id}"

    @staticmethod
    def _commit_key(group: str, commit: str) -> str:
        return f"wk-commit:{group}:{commit}"

    def write(
        self,
        group: str,
        records: list[dict],
        id_column: str,
        time_column: str,
        commit: str | None = None,
    ) -> int:
        """Write one batch in one transaction; return how many records became the latest."""
        check_group_name(group)
        rows = _prepare(records, id_column, time_column)
        if not rows and commit is None:
            return 0
        pipe = self._redis.pipeline(transaction=True)
        for record_id, event_us, text in rows:
            self._put(
                keys=[self._key(group, record_id)], args=[event_us, text, id_column], client=pipe
            )
        if commit is not None:
            pipe.set(self._commit_key(group, commit), 1)
        results = pipe.execute()
        return sum(int(result) for result in results[: len(rows)])

    def get(self, group: str, record_id: str, features: list[str] | None = None) -> dict | None:
        """The latest record of ``record_id`` (all columns, or ``features`` and the id)."""
        check_group_name(group)
        text, id_column = self._redis.hmget(self._key(group, record_id), "record", "__id_column")
        return _select(text, id_column, features)

    def get_many(
        self, group: str, ids: list[str], features: list[str] | None = None
    ) -> list[dict | None]:
        """The latest record of each id in the order of ``ids`` (None where there is none)."""
        check_group_name(group)
        pipe = self._redis.pipeline(transaction=False)
        for record_id in ids:
            pipe.hmget(self._key(group, record_id), "record", "__id_column")
        return [_select(text, id_column, features) for text, id_column in pipe.execute()]

    def delete(
        self, group: str, record_id: str, event_time: Any, commit: str | None = None
    ) -> bool:
        """Remove the id's record if its event time is not after ``event_time``."""
        check_group_name(group)
        event_us = event_time_us(event_time)
        pipe = self._redis.pipeline(transaction=True)
        self._delete(keys=[self._key(group, record_id)], args=[event_us], client=pipe)
        if commit is not None:
            pipe.set(self._commit_key(group, commit), 1)
        return bool(pipe.execute()[0])

    def committed(self, group: str, commit: str) -> bool:
        """Whether a write or delete carrying ``commit`` has been applied."""
        check_group_name(group)
        return bool(self._redis.exists(self._commit_key(group, commit)))

    def forget(self, group: str, commit: str) -> None:
        """Drop the note of ``commit``."""
        check_group_name(group)
        self._redis.delete(self._commit_key(group, commit))

    def drop(self, group: str) -> None:
        """Forget every record and commit of the group."""
        check_group_name(group)
        # group names have no glob characters (check_group_name), so the patterns are exact
        for pattern in (f"wk:{group}:*", f"wk-commit:{group}:*"):
            batch = []
            for key in self._redis.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    self._redis.unlink(*batch)
                    batch = []
            if batch:
                self._redis.unlink(*batch)

    def close(self) -> None:
        """Close the connection pool."""
        self._redis.close()

    @property
    def location(self) -> str:
        """The server and database, without user or password."""
        kwargs = self._redis.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"redis://{where}/{kwargs.get('db', 0)}"

    def __repr__(self) -> str:
        return f"RedisOnlineStore({self.url!r})"


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
