"""Settings every SQLite file watchkeeper writes shares: WAL and a busy timeout.

WAL lets one process write while others read (a watcher and a dashboard, a feature
store's writers and its readers); the busy timeout lets processes share the file instead
of failing on a momentary lock.
"""

from __future__ import annotations

import sqlite3
import time

BUSY_SECONDS = 10.0


def share(connection: sqlite3.Connection, busy_seconds: float = BUSY_SECONDS) -> None:
    """Give ``connection`` the busy timeout, WAL and the synchronous level WAL allows."""
    connection.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
    _switch_to_wal(connection, busy_seconds)
    connection.execute("PRAGMA synchronous=NORMAL")


def _switch_to_wal(connection: sqlite3.Connection, busy_seconds: float) -> None:
    """Put the file in WAL mode, waiting out another process that is writing it.

    The switch happens once per file, when it is new. SQLite refuses it at once, without
    calling the busy handler, while another connection writes the file in its first
    (rollback) journal mode: processes opening one new file together meet this.
    """
    deadline = time.monotonic() + busy_seconds
    pause = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
