"""Opening a SQLite file while another connection writes it first, for the tests of
every store that keeps one (the catalog, the online feature store)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
HELD_SECONDS = 1.0


def opened_while_another_writes(path: Path, open_store: Callable[[], T]) -> T:
    """``open_store()`` run while another connection holds the new file's write lock in
    its first (rollback) journal mode, released after ``HELD_SECONDS``: what it opened,
    in WAL mode, having waited for the lock."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE first_writer (x)")
    opened: list[object] = []

    def run() -> None:
        try:
            opened.append(open_store())
        except Exception as exc:  # handed to the caller below
            opened.append(exc)

    opening = threading.Thread(target=run)
    started = time.monotonic()
    opening.start()
    time.sleep(HELD_SECONDS)
    writer.execute("COMMIT")
    writer.close()
    opening.join(timeout=30)
    assert time.monotonic() - started >= HELD_SECONDS
    [store] = opened
    if isinstance(store, Exception):
        raise store
    with sqlite3.connect(path) as reader:
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    return store  # type: ignore[return-value]
