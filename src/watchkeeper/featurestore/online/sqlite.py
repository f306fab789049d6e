"""The online store in one SQLite file: :class:`SQLiteOnlineStore`."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pyarrow as pa

from watchkeeper.catalog import sqlite_files
from watchkeeper.errors import UsageError
from watchkeeper.featurestore.definitions import check_group_name
from watchkeeper.featurestore.online.records import (
    event_time_us,
    prepared_chunks,
    select_features,
)

__all__ = ["SQLiteOnlineStore"]

# records per INSERT statement: 2 + 3 × 300 bound values stays under SQLite's oldest
# limit of 999 variables
_ROWS_PER_STATEMENT = 300


def _upsert(rows: int) -> str:
    """One INSERT of ``rows`` records (group ?1, id column ?2, then id, event time and
    document per record) keeping the latest event per id.

    SQLite applies the rows of one statement in order, each seeing the ones before it,
    so duplicates of an id inside a batch resolve by the same rule as across batches:
    an older event loses, an equal one replaces (the later write wins)."""
    values = ", ".join(
        f"(?1, ?{3 + 3 * row}, ?{4 + 3 * row}, ?{5 + 3 * row}, ?2)" for row in range(rows)
    )
    return (
        'INSERT INTO online ("group", id, event_us, record, id_column)'
        f" VALUES {values}"
        ' ON CONFLICT ("group", id) DO UPDATE SET event_us = excluded.event_us,'
        " record = excluded.record, id_column = excluded.id_column"
        " WHERE excluded.event_us >= online.event_us"
    )


class SQLiteOnlineStore:
    """The online store in one SQLite file (WAL mode, one connection per thread).

    One table ``online`` holds a row per (group, id): the event time in microseconds and
    the record as JSON (NULL once deleted, the row then remembering the deletion's time).
    A batch is written in one transaction, a few hundred records per statement, the
    latest-event rule applied by the statement itself.
    """

    def __init__(self, path: str | Path, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._timeout = timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._statement = _upsert(_ROWS_PER_STATEMENT)
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
            # large pages suit records of a few hundred bytes each (set on a new file
            # only; an existing one keeps its own)
            connection.execute("PRAGMA page_size=16384")
            sqlite_files.share(connection, self._timeout)
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def write(
        self,
        group: str,
        records: list[dict] | pa.Table,
        id_column: str,
        time_column: str,
        commit: str | None = None,
    ) -> int:
        """Write one batch in one transaction; return how many records became the latest."""
        check_group_name(group)
        if not len(records) and commit is None:
            return 0
        connection = self._connection()
        applied = 0
        connection.execute("BEGIN IMMEDIATE")
        try:
            self._note(connection, group, commit)
            for chunk in prepared_chunks(records, id_column, time_column):
                applied += self._upsert_chunk(connection, group, id_column, chunk)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return applied

    def _upsert_chunk(self, connection: sqlite3.Connection, group: str, id_column: str, chunk):
        rows = zip(chunk.ids, chunk.event_us, chunk.documents.to_pylist(), strict=True)
        applied = 0
        while True:
            block = list(itertools.islice(rows, _ROWS_PER_STATEMENT))
            if not block:
                return applied
            statement = (
                self._statement if len(block) == _ROWS_PER_STATEMENT else _upsert(len(block))
            )
            values = [group, id_column, *itertools.chain.from_iterable(block)]
            applied += connection.execute(statement, values).rowcount

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
        return None if row is None else select_features(row[0], row[1], features)

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
        return [select_features(*found.get(key, (None, None)), features) for key in keys]

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
