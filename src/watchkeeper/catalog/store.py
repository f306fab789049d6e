"""Tables and the operations on them."""

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
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from watchkeeper.errors import UsageError

PENDING, SENT = "pending", "sent"


def workspace() -> Path:
    """The workspace folder: ``WATCHKEEPER_HOME``, else ``./.watchkeeper``."""
    return Path(os.environ.get("WATCHKEEPER_HOME") or ".watchkeeper")


def default_database_url() -> str:
    """``WATCHKEEPER_DATABASE_URL``, else a SQLite file in the workspace."""
    configured = os.environ.get("WATCHKEEPER_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{(workspace() / 'catalog.db').resolve()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class _Base(DeclarativeBase):
    pass


class _Object(_Base):
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
    processed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _Message(_Base):
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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


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
    """The catalog database; safe to share between threads and processes."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_database_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(self.url, future=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise UsageError(f"catalog database {self.url!r} cannot be used: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_settings)
        self._create_tables()

    def _create_tables(self) -> None:
        # Two processes opening a new catalog at once may both find a table missing and
        # both create it; the loser sees "already exists" and looks again.
        for attempt in range(3):
            try:
                _Base.metadata.create_all(self.engine)
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
        for table in _Base.metadata.sorted_tables:
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
        self.engine.dispose()

    # -- watched objects ----------------------------------------------------------------

    def is_processed(self, key: str, version: str) -> bool:
        with Session(self.engine) as session:
            found = session.scalar(
                select(_Object.id).where(_Object.key == key, _Object.version == version)
            )
            return found is not None

    def processed_versions(self, keys: list[str]) -> set[tuple[str, str]]:
        """(key, version) pairs already processed, among ``keys``."""
        found: set[tuple[str, str]] = set()
        with Session(self.engine) as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = session.execute(
                    select(_Object.key, _Object.version).where(_Object.key.in_(chunk))
                )
                found.update((key, version) for key, version in rows)
        return found

    def record(self, processed: ProcessedObject, messages: list[tuple[str, str, str, str]]) -> None:
        """Record a processed object and queue its messages, in one transaction.

        ``messages`` are ``(dedup_key, channel, title, body)``; one whose key is already
        in the outbox (sent or not) is not queued again.
        """
        with Session(self.engine) as session, session.begin():
            session.add(_Object(**processed.__dict__))
            for dedup_key, channel, title, body in messages:
                if session.scalar(select(_Message.id).where(_Message.dedup_key == dedup_key)):
                    continue
                session.add(_Message(dedup_key=dedup_key, channel=channel, title=title, body=body))

    def objects(self, source: str | None = None) -> list[ProcessedObject]:
        with Session(self.engine) as session:
            query = select(_Object).order_by(_Object.id)
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

    def mark_sent(self, message_id: int) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Message)
                .where(_Message.id == message_id)
                .values(status=SENT, sent_at=_now(), attempts=_Message.attempts + 1)
            )

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


def _sqlite_settings(connection, _record) -> None:
    # WAL lets a watcher write while a dashboard reads; the busy timeout lets two
    # processes share the file instead of failing on a momentary lock.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
