"""Leases: how several processes sharing one catalog split the work without doing it twice.

A unit of shared work (one landed object's version, one outbox message, one monitoring
window) is claimed by writing the claiming process's ``owner`` id and an expiry
(``lease_until``) on its row. While a process holds claims, a background thread pushes
their expiry forward every third of the lease, so a claim lives exactly as long as the
process that works on it: once a process dies (or hangs without its thread), its claims
expire and another process may take the work over.

Expiry times are written by the clock of each host: hosts sharing a catalog are assumed
to agree within a small part of the lease (as NTP keeps them).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading

from sqlalchemy import DateTime, String, Table, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.catalog.times import utcnow
from watchkeeper.io.messages import first_line

log = logging.getLogger("watchkeeper.catalog")


def owner_column() -> Mapped[str | None]:
    """The ``owner`` column of a table whose rows are claimed (with :func:`lease_column`
    and an integer ``id``, what :class:`LeaseKeeper` renews)."""
    return mapped_column(String(128), nullable=True)


def lease_column() -> Mapped[dt.datetime | None]:
    """The ``lease_until`` column: when the owner's claim on the row expires."""
    return mapped_column(DateTime(timezone=True), nullable=True)


def new_owner() -> str:
    """A process's id in claims: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"


class LeaseKeeper:
    """Renews this process's claims in the background while any are held.

    ``hold(table, row_id)`` after claiming a row, ``drop`` once the row is finished or
    released. The renewing thread starts with the first held claim and ends with the
    last, so an idle catalog costs no thread.
    """

    def __init__(self, engine: Engine, seconds: float, owner: str | None = None) -> None:
        self.engine = engine
        self.seconds = float(seconds)
        self.owner = owner or new_owner()
        self._held: dict[Table, set[int]] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def expiry(self) -> dt.datetime:
        """When a claim made or renewed now expires."""
        return utcnow() + dt.timedelta(seconds=self.seconds)

    def hold(self, table: Table, row_id: int) -> None:
        with self._lock:
            self._held.setdefault(table, set()).add(row_id)
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(
                    target=self._renew_while_held, name="watchkeeper-leases", daemon=True
                )
                self._thread.start()

    def drop(self, table: Table, row_id: int) -> None:
        with self._lock:
            self._held.get(table, set()).discard(row_id)

    def held(self, table: Table) -> set[int]:
        with self._lock:
            return set(self._held.get(table, ()))

    def close(self) -> None:
        """Stop renewing: claims still held expire as a dead process's would."""
        self._closed.set()
        with self._lock:
            self._held.clear()

    def renew(self) -> None:
        """Push the expiry of every held claim forward now."""
        with self._lock:
            held = {table: sorted(ids) for table, ids in self._held.items() if ids}
        until = self.expiry()
        for table, ids in held.items():
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        update(table)
                        .where(table.c.id.in_(ids), table.c.owner == self.owner)
                        .values(lease_until=until)
                    )
            except SQLAlchemyError as exc:  # the next turn tries again, well within the lease
                log.warning("could not renew claims in %s: %s", table.name, first_line(exc))

    def _renew_while_held(self) -> None:
        while not self._closed.wait(self.seconds / 3):
            with self._lock:
                if not any(self._held.values()):
                    self._thread = None
                    return
            self.renew()
