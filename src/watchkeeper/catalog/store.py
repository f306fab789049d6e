"""Tables and the operations on them.

Several processes (watchers, ``--once`` runs from cron, schedulers, Lambda invocations)
may share one catalog. Each landed object's version is claimed by one process before it
is checked and each outbox message before it is delivered (see
:mod:`watchkeeper.catalog.leases`); recording is idempotent, so a row another process
recorded first is not an error.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from watchkeeper.catalog import sqlite_files
from watchkeeper.catalog.leases import LeaseKeeper, lease_column, owner_column
from watchkeeper.catalog.times import DEFAULT_LEASE, utcnow
from watchkeeper.errors import UsageError

PENDING, SENT = "pending", "sent"
# a watched object's row while a process checks it; done and failed rows are final
CHECKING = "checking"
FINISHED = ("done", "failed")
# every table's id is an Integer primary key: 32 bits on PostgreSQL, so a larger id
# from a request is refused before it reaches a query that the database would reject
MAX_ID = 2**31 - 1


def workspace() -> Path:
    """The workspace folder: ``WATCHKEEPER_HOME``, else ``./.watchkeeper``."""
    return Path(os.environ.get("WATCHKEEPER_HOME") or ".watchkeeper")


def default_database_url() -> str:
    """``WATCHKEEPER_DATABASE_URL``, else a SQLite file in the workspace."""
    configured = os.environ.get("WATCHKEEPER_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{(workspace() / 'catalog.db').resolve()}"


class Base(DeclarativeBase):
    pass


class _Object(Base):
    __tablename__ = "watched_objects"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_object_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(2048))
    key: Mapped[str] = mapped_column(String(2048), index=True)
    version: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(32))
    violations: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the process checking it (status "checking") or that recorded it, and its lease
    owner: Mapped[str | None] = owner_column()
    lease_until: Mapped[dt.datetime | None] = lease_column()


class _Message(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(256), unique=True)
    # a channel's id (a hash of its URL), never the URL: URLs carry tokens and passwords
    channel: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # the process delivering it now, until its lease expires
    owner: Mapped[str | None] = owner_column()
    lease_until: Mapped[dt.datetime | None] = lease_column()


@dataclass(frozen=True)
class ProcessedObject:
    """An object the watcher has processed (``status`` is ``done`` or ``failed``)."""

    source: str
    key: str
    version: str
    status: str
    violations: int = 0
    rows: int = 0
    report: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Message:
    """A message waiting in (or sent from) the outbox."""

    id: int
    dedup_key: str
    channel: str
    title: str
    body: str
    status: str
    attempts: int
    last_error: str | None


class Catalog:
    """The catalog database; safe to share between threads and processes.

    ``lease`` is how long, in seconds, this process's claims on shared work last
    unless renewed (they are renewed while it runs): after a process dies, the others
    take its objects and messages over once that time has passed.
    """

    def __init__(self, url: str | None = None, *, lease: float = DEFAULT_LEASE) -> None:
        if not isinstance(lease, int | float) or not lease > 0:
            raise UsageError(f"lease must be more than zero seconds, not {lease!r}")
        self.url = url or default_database_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(self.url, future=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise UsageError(f"catalog database {self.url!r} cannot be used: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_settings)
        event.listen(self.engine, "before_cursor_execute", _without_nul, retval=True)
        self._create_tables()
        self.leases = LeaseKeeper(self.engine, lease)

    @property
    def owner(self) -> str:
        """This catalog's id in the claims it makes (host, pid and a random part)."""
        return self.leases.owner

    def _create_tables(self) -> None:
        # Processes opening a new catalog at once may each find a table missing and all
        # create it: table by table, the losers see "already exists" and go on to the
        # next (a whole create_all would start again and could lose on every table).
        for table in Base.metadata.sorted_tables:
            for attempt in range(3):
                try:
                    table.create(self.engine, checkfirst=True)
                    break
                except SQLAlchemyError as exc:
                    if "already exists" not in str(exc) or attempt == 2:
                        raise UsageError(f"catalog database {self.url!r}: {exc}") from exc
        self._add_new_columns()

    def _add_new_columns(self) -> None:
        """Add the columns a newer watchkeeper defines to a catalog an older one made.

        Only additions: every column added since the first release has a server-side
        default or accepts NULL, so existing rows stay valid. Two processes upgrading
        at once may both try; the loser finds the column there.
        """
        inspector = inspect(self.engine)
        for table in Base.metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=self.engine.dialect)
                default = ""
                if column.server_default is not None:
                    value = column.server_default.arg
                    quoted = "'" + str(value).replace("'", "''") + "'"
                    default = f" DEFAULT {value.text if hasattr(value, 'text') else quoted}"
                statement = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}{default}"
                try:
                    with self.engine.begin() as connection:
                        connection.execute(text(statement))
                except SQLAlchemyError as exc:
                    if "duplicate" not in str(exc).lower() and "exists" not in str(exc):
                        raise UsageError(f"catalog database {self.url!r}: {exc}") from exc

    def close(self) -> None:
        self.leases.close()
        self.engine.dispose()

    # -- watched objects ----------------------------------------------------------------

    def is_processed(self, key: str, version: str) -> bool:
        """Whether this version of ``key`` has been recorded done or failed."""
        return (key, version) in self.processed_versions([key])

    def processed_versions(self, keys: list[str]) -> set[tuple[str, str]]:
        """(key, version) pairs recorded done or failed, among ``keys``."""
        return {pair for pair, status in self._states(keys).items() if status in FINISHED}

    def claimed_versions(self, keys: list[str]) -> dict[tuple[str, str], str]:
        """(key, version) pairs another live process is checking, with its owner id."""
        found = {}
        now = utcnow()
        for pair, (status, owner, until) in self._states(keys, detail=True).items():
            live = until is not None and _aware(until) >= now
            if status == CHECKING and owner != self.owner and live:
                found[pair] = owner
        return found

    def _states(self, keys: list[str], detail: bool = False) -> dict:
        found: dict = {}
        with Session(self.engine) as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = session.execute(
                    select(
                        _Object.key, _Object.version, _Object.status, _Object.owner,
                        _Object.lease_until,
                    ).where(_Object.key.in_(chunk))
                )  # fmt: skip
                for key, version, status, owner, until in rows:
                    found[(key, version)] = (status, owner, until) if detail else status
        return found

    def claim(self, key: str, version: str, source: str) -> bool:
        """Claim this version of ``key`` for this process to check; False when another
        process has recorded it or holds a live claim on it.

        A claim whose lease has expired (its process died) is taken over. The claim is
        renewed until :meth:`record` or :meth:`release` ends it.
        """
        table = _Object.__table__
        try:
            with Session(self.engine) as session, session.begin():
                row = _Object(
                    source=source, key=key, version=version, status=CHECKING,
                    owner=self.owner, lease_until=self.leases.expiry(),
                )  # fmt: skip
                session.add(row)
                session.flush()
                row_id = row.id
        except IntegrityError:
            with Session(self.engine) as session, session.begin():
                row_id = session.scalar(
                    update(_Object)
                    .where(
                        _Object.key == key,
                        _Object.version == version,
                        _Object.status == CHECKING,
                        or_(_Object.lease_until.is_(None), _Object.lease_until < utcnow()),
                    )
                    .values(owner=self.owner, lease_until=self.leases.expiry())
                    .returning(_Object.id)
                )
            if row_id is None:
                return False
        self.leases.hold(table, row_id)
        return True

    def release(self, key: str, version: str) -> None:
        """Give up this process's claim without a verdict: the object is checked again
        (by this or another process) at the next pass."""
        with Session(self.engine) as session, session.begin():
            row_id = session.scalar(
                delete(_Object)
                .where(
                    _Object.key == key,
                    _Object.version == version,
                    _Object.status == CHECKING,
                    _Object.owner == self.owner,
                )
                .returning(_Object.id)
            )
        if row_id is not None:
            self.leases.drop(_Object.__table__, row_id)

    def record(
        self, processed: ProcessedObject, messages: list[tuple[str, str, str, str]]
    ) -> bool:
        """Record a processed object and queue its messages, in one transaction.

        ``messages`` are ``(dedup_key, channel, title, body)``; one whose key is already
        in the outbox (sent or not) is not queued again. The object may be claimed by
        this process (see :meth:`claim`) or not claimed at all. Returns False, and
        queues nothing, when another process has recorded this version or holds it:
        recording twice is not an error.
        """
        for attempt in range(3):
            try:
                return self._record(processed, messages)
            except IntegrityError:
                # another process inserted the same object or message meanwhile: the
                # next attempt sees its row
                if attempt == 2:
                    raise
        return False

    def _record(self, processed: ProcessedObject, messages: list[tuple[str, str, str, str]]):
        values = dict(processed.__dict__, processed_at=utcnow(), lease_until=None)
        with Session(self.engine) as session, session.begin():
            # the claimed row is written first: on SQLite that takes the write lock at
            # once, so the reads below see what every other process committed
            row_id = session.scalar(
                update(_Object)
                .where(
                    _Object.key == processed.key,
                    _Object.version == processed.version,
                    _Object.status == CHECKING,
                    _Object.owner == self.owner,
                )
                .values(**values)
                .returning(_Object.id)
            )
            if row_id is None:
                if self._exists(session, processed):
                    return False
                session.add(_Object(**values, owner=self.owner))
            for dedup_key, channel, title, body in messages:
                if session.scalar(select(_Message.id).where(_Message.dedup_key == dedup_key)):
                    continue
                session.add(_Message(dedup_key=dedup_key, channel=channel, title=title, body=body))
        if row_id is not None:
            self.leases.drop(_Object.__table__, row_id)
        return True

    @staticmethod
    def _exists(session: Session, processed: ProcessedObject) -> bool:
        found = session.scalar(
            select(_Object.id).where(
                _Object.key == processed.key, _Object.version == processed.version
            )
        )
        return found is not None

    def objects(self, source: str | None = None) -> list[ProcessedObject]:
        """The objects recorded done or failed (not those being checked now)."""
        with Session(self.engine) as session:
            query = select(_Object).where(_Object.status.in_(FINISHED)).order_by(_Object.id)
            if source is not None:
                query = query.where(_Object.source == source)
            return [
                ProcessedObject(
                    source=row.source,
                    key=row.key,
                    version=row.version,
                    status=row.status,
                    violations=row.violations,
                    rows=row.rows,
                    report=row.report,
                    error=row.error,
                )
                for row in session.scalars(query)
            ]

    # -- outbox -------------------------------------------------------------------------

    def enqueue(self, dedup_key: str, channel: str, title: str, body: str) -> bool:
        """Queue a message unless one with the same key exists; True if queued."""
        try:
            with Session(self.engine) as session, session.begin():
                session.add(_Message(dedup_key=dedup_key, channel=channel, title=title, body=body))
        except IntegrityError:
            return False
        return True

    def pending(self) -> list[Message]:
        """Messages not delivered yet, oldest first (claimed by a process or not)."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(_Message).where(_Message.status == PENDING).order_by(_Message.id)
            )
            return [_message(row) for row in rows]

    def messages(self) -> list[Message]:
        with Session(self.engine) as session:
            return [
                _message(row) for row in session.scalars(select(_Message).order_by(_Message.id))
            ]

    def claim_message(self, message_id: int) -> bool:
        """Claim a pending message for this process to deliver; False when it has been
        sent or another live process is delivering it. Ends with :meth:`mark_sent` or
        :meth:`release_message`."""
        with Session(self.engine) as session, session.begin():
            claimed = session.scalar(
                update(_Message)
                .where(
                    _Message.id == message_id,
                    _Message.status == PENDING,
                    or_(
                        _Message.owner.is_(None),
                        _Message.owner == self.owner,
                        _Message.lease_until.is_(None),
                        _Message.lease_until < utcnow(),
                    ),
                )
                .values(owner=self.owner, lease_until=self.leases.expiry())
                .returning(_Message.id)
            )
        if claimed is None:
            return False
        self.leases.hold(_Message.__table__, message_id)
        return True

    def release_message(self, message_id: int) -> None:
        """Give up this process's claim on a message not delivered: it stays pending."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Message)
                .where(_Message.id == message_id, _Message.owner == self.owner)
                .values(owner=None, lease_until=None)
            )
        self.leases.drop(_Message.__table__, message_id)

    def mark_sent(self, message_id: int) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Message)
                .where(_Message.id == message_id)
                .values(
                    status=SENT, sent_at=utcnow(), attempts=_Message.attempts + 1, lease_until=None
                )
            )
        self.leases.drop(_Message.__table__, message_id)

    def mark_failed_attempt(self, message_id: int, error: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Message)
                .where(_Message.id == message_id)
                .values(attempts=_Message.attempts + 1, last_error=error[:2000])
            )


def _message(row: _Message) -> Message:
    return Message(
        id=row.id,
        dedup_key=row.dedup_key,
        channel=row.channel,
        title=row.title,
        body=row.body,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite gives naive datetimes back; everything stored is UTC
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _without_nul(_connection, _cursor, statement, parameters, _context, executemany):
    """Text bound for the catalog with NUL written as the two characters ``\\0``.

    PostgreSQL's text cannot hold NUL (SQLite's can): text that comes from data — a column
    name in an alert, a reader's message in a failure record — would fail the write and
    stop the process. Every database gets the same text, so lookups agree too.
    """
    if executemany and isinstance(parameters, list | tuple):  # rows; psycopg may batch to one
        return statement, [_clean(row) for row in parameters]
    return statement, _clean(parameters)


def _clean(row):
    if isinstance(row, dict):
        if not any(isinstance(value, str) and "\0" in value for value in row.values()):
            return row
        return {key: _escaped(value) for key, value in row.items()}
    if isinstance(row, tuple | list):
        if not any(isinstance(value, str) and "\0" in value for value in row):
            return row
        return type(row)(_escaped(value) for value in row)
    return row


def _escaped(value):
    return value.replace("\0", "\\0") if isinstance(value, str) else value


def _sqlite_settings(connection, _record) -> None:
    sqlite_files.share(connection)
