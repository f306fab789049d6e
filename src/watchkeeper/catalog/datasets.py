"""Datasets in the catalog: received profiles, their hourly and daily batches, baselines,
monitor settings and alert channels.

Profiles are kept as their serialised bytes. A received profile is first stored as a
*part* (one short insert, so that receiving stays fast); compaction later merges the
pending parts into the batch rows of their hour and day, in one transaction that also
deletes them, so a profile is counted once whatever stops when. Each batch row also
holds the JSON metrics its evaluation computed (statistics, drift distances) and its
verdict, so that pages read numbers, not profiles.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, defer, mapped_column

from watchkeeper.catalog.monitoring import _utc
from watchkeeper.catalog.store import Catalog, _Base, _now
from watchkeeper.errors import UsageError

HOUR, DAY = "hour", "day"
STALE_CLAIM = dt.timedelta(minutes=10)
GRANULARITIES = (HOUR, DAY)
ANY = "*"  # a monitor setting for every segment or every feature


class _Dataset(_Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    segment_columns: Mapped[str] = mapped_column(Text, default="[]")
    description: Mapped[str] = mapped_column(Text, default="")
    baseline: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    baseline_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    baseline_updated_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    last_alert_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _Part(_Base):
    __tablename__ = "profile_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    segment: Mapped[str] = mapped_column(String(1024))
    timestamp: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer)
    profile: Mapped[bytes] = mapped_column(LargeBinary)
    claim: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _Received(_Base):
    """Ids of the profiles received, so that a profile sent again is not counted twice."""

    __tablename__ = "received_profiles"
    __table_args__ = (UniqueConstraint("dataset", "profile_id", name="uq_received"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128))
    profile_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _Batch(_Base):
    __tablename__ = "profile_batches"
    __table_args__ = (
        UniqueConstraint("dataset", "segment", "granularity", "start", name="uq_batch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(String(1024))
    granularity: Mapped[str] = mapped_column(String(8))
    start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    parts: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    profile: Mapped[bytes] = mapped_column(LargeBinary)
    # evaluation: metrics (JSON) are recomputed when the batch, its predecessor or the
    # baseline change; the verdict when they or the monitors change
    metrics: Mapped[str | None] = mapped_column(Text, nullable=True)
    metrics_stale: Mapped[bool] = mapped_column(Boolean, default=True)
    violations: Mapped[str] = mapped_column(Text, default="[]")
    violation_count: Mapped[int] = mapped_column(Integer, default=0)
    max_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    verdict_stale: Mapped[bool] = mapped_column(Boolean, default=True)
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _Monitor(_Base):
    __tablename__ = "monitors"
    __table_args__ = (UniqueConstraint("dataset", "segment", "feature", name="uq_monitor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    segment: Mapped[str] = mapped_column(String(1024), default=ANY)
    feature: Mapped[str] = mapped_column(String(512), default=ANY)
    settings: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class _Channel(_Base):
    __tablename__ = "alert_channels"
    __table_args__ = (UniqueConstraint("dataset", "url", name="uq_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


@dataclass(frozen=True)
class Dataset:
    """A dataset: a name, its segment columns and its baseline (if set)."""

    name: str
    segment_columns: tuple[str, ...] = ()
    description: str = ""
    baseline_source: str | None = None
    baseline_updated_at: dt.datetime | None = None
    cooldown_minutes: int = 24 * 60
    created_at: dt.datetime | None = None

    @property
    def has_baseline(self) -> bool:
        return self.baseline_source is not None


@dataclass(frozen=True)
class Part:
    """A received profile waiting to be merged into its batches."""

    id: int
    dataset: str
    segment: str
    timestamp: dt.datetime
    rows: int
    profile: bytes


@dataclass(frozen=True)
class Batch:
    """One hourly or daily batch of a segment (``""``: the whole dataset).

    ``metrics`` maps feature → its figures (see ``watchkeeper.datasets.evaluate``);
    ``violations`` lists the monitor findings of the last verdict. ``profile`` is only
    loaded when asked for.
    """

    id: int
    dataset: str
    segment: str
    granularity: str
    start: dt.datetime
    rows: int
    parts: int
    metrics: dict[str, Any] | None
    violations: list[dict[str, Any]] = field(default_factory=list)
    max_score: float | None = None
    metrics_stale: bool = True
    verdict_stale: bool = True
    alerted: bool = False
    profile: bytes | None = None
    updated_at: dt.datetime | None = None

    @property
    def end(self) -> dt.datetime:
        return self.start + (dt.timedelta(hours=1) if self.granularity == HOUR else _ONE_DAY)


_ONE_DAY = dt.timedelta(days=1)


def batch_start(moment: dt.datetime, granularity: str) -> dt.datetime:
    """The start of the hour or the (UTC) day holding ``moment``."""
    moment = _utc(moment)
    if granularity == HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    if granularity == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    raise UsageError(f"granularity must be 'hour' or 'day'; got {granularity!r}")


class _Conflict(Exception):
    """A batch changed between reading and writing it."""


class DatasetStore:
    """Datasets, their parts, batches, monitor settings and channels in a catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.engine = catalog.engine

    # -- datasets ---------------------------------------------------------------------

    def create(self, dataset: Dataset) -> Dataset:
        try:
            with Session(self.engine) as session, session.begin():
                session.add(
                    _Dataset(
                        name=dataset.name,
                        segment_columns=json.dumps(list(dataset.segment_columns)),
                        description=dataset.description,
                        cooldown_minutes=dataset.cooldown_minutes,
                    )
                )
        except IntegrityError as exc:
            raise UsageError(f"a dataset named {dataset.name!r} exists already") from exc
        return self.get(dataset.name)

    def find(self, name: str) -> Dataset | None:
        with Session(self.engine) as session:
            row = session.scalar(
                select(_Dataset).options(defer(_Dataset.baseline)).where(_Dataset.name == name)
            )
            return None if row is None else _dataset(row)

    def get(self, name: str) -> Dataset:
        found = self.find(name)
        if found is None:
            raise UsageError(f"no dataset named {name!r}")
        return found

    def all(self) -> list[Dataset]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(_Dataset).options(defer(_Dataset.baseline)).order_by(_Dataset.name)
            )
            return [_dataset(row) for row in rows]

    def update(self, name: str, **values: Any) -> Dataset:
        """Change ``description`` or ``cooldown_minutes``."""
        allowed = {"description", "cooldown_minutes"}
        unknown = set(values) - allowed
        if unknown:
            raise UsageError(f"cannot change {', '.join(sorted(unknown))} of a dataset")
        with Session(self.engine) as session, session.begin():
            found = session.execute(update(_Dataset).where(_Dataset.name == name).values(**values))
            if not found.rowcount:
                raise UsageError(f"no dataset named {name!r}")
        return self.get(name)

    def delete(self, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            found = session.execute(delete(_Dataset).where(_Dataset.name == name))
            if not found.rowcount:
                raise UsageError(f"no dataset named {name!r}")
            for table in (_Part, _Batch, _Monitor, _Channel, _Received):
                session.execute(delete(table).where(table.dataset == name))

    def set_baseline(self, name: str, profile: bytes, source: str) -> None:
        """Store the reference profile; every batch's metrics become stale."""
        with Session(self.engine) as session, session.begin():
            found = session.execute(
                update(_Dataset)
                .where(_Dataset.name == name)
                .values(baseline=profile, baseline_source=source, baseline_updated_at=_now())
            )
            if not found.rowcount:
                raise UsageError(f"no dataset named {name!r}")
            session.execute(
                update(_Batch)
                .where(_Batch.dataset == name)
                .values(metrics_stale=True, verdict_stale=True)
            )

    def baseline(self, name: str) -> bytes | None:
        with Session(self.engine) as session:
            return session.scalar(select(_Dataset.baseline).where(_Dataset.name == name))

    def last_alert(self, name: str) -> dt.datetime | None:
        with Session(self.engine) as session:
            moment = session.scalar(select(_Dataset.last_alert_at).where(_Dataset.name == name))
            return None if moment is None else _utc(moment)

    def set_last_alert(self, name: str, moment: dt.datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Dataset).where(_Dataset.name == name).values(last_alert_at=moment)
            )

    # -- parts and compaction ---------------------------------------------------------

    def add_part(
        self,
        name: str,
        segment: str,
        timestamp: dt.datetime,
        rows: int,
        profile: bytes,
        profile_id: str | None = None,
    ) -> int | None:
        """Store a received profile and return its part's id; None (and nothing stored)
        when a profile with the same ``profile_id`` was received before."""
        try:
            with Session(self.engine) as session, session.begin():
                if profile_id:
                    session.add(_Received(dataset=name, profile_id=profile_id[:64]))
                    session.flush()
                part = _Part(
                    dataset=name,
                    segment=segment,
                    timestamp=_utc(timestamp),
                    rows=rows,
                    profile=profile,
                )
                session.add(part)
                session.flush()
                return part.id
        except IntegrityError:
            return None

    def pending_datasets(self) -> list[str]:
        """Datasets with parts waiting to be merged."""
        with Session(self.engine) as session:
            return list(session.scalars(select(_Part.dataset).distinct()))

    def pending_parts(self, name: str | None = None) -> int:
        with Session(self.engine) as session:
            query = select(func.count(_Part.id))
            if name is not None:
                query = query.where(_Part.dataset == name)
            return session.scalar(query) or 0

    def claim_parts(self, name: str, claim: str, limit: int) -> list[Part]:
        """Claim up to ``limit`` pending parts of ``name`` (oldest first) and return them.

        The claim is a short transaction of its own, so receiving goes on while the
        claimed parts are merged; claims older than ``STALE_CLAIM`` (a compactor that
        died) are given up first.
        """
        now = _now()
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Part)
                .where(
                    _Part.dataset == name,
                    _Part.claim.is_not(None),
                    _Part.claimed_at < now - STALE_CLAIM,
                )
                .values(claim=None, claimed_at=None)
            )
            ids = list(
                session.scalars(
                    select(_Part.id)
                    .where(_Part.dataset == name, _Part.claim.is_(None))
                    .order_by(_Part.id)
                    .limit(limit)
                )
            )
            if not ids:
                return []
            session.execute(
                update(_Part)
                .where(_Part.id.in_(ids), _Part.claim.is_(None))
                .values(claim=claim, claimed_at=now)
            )
        with Session(self.engine) as session:
            rows = session.scalars(select(_Part).where(_Part.claim == claim).order_by(_Part.id))
            return [
                Part(row.id, row.dataset, row.segment, _utc(row.timestamp), row.rows, row.profile)
                for row in rows
            ]

    def merge_parts(
        self,
        name: str,
        claim: str,
        parts: int,
        targets: dict[tuple[str, str, dt.datetime], tuple[int, int]],
        merged: Callable[[tuple[str, str, dt.datetime], bytes | None], bytes],
    ) -> None:
        """Fold claimed parts into their batches and delete them (one write transaction).

        ``targets`` maps (segment, granularity, start) → (rows, parts) added to that
        batch; ``merged(key, stored)`` returns the batch's new profile from its stored
        one (None for a new batch). Raises :class:`UsageError` when the claim no longer
        holds ``parts`` parts (it went stale and another compactor took them).
        """
        for attempt in range(5):
            try:
                # the merging (reading and writing profiles) happens before the write
                # transaction, so receiving is never held up by it; a batch that another
                # compactor changed meanwhile is noticed by its version, and merged again
                updates = self._merged_batches(name, targets, merged)
                self._write_merge(name, claim, parts, targets, updates)
                return
            except _Conflict:
                if attempt == 4:
                    raise UsageError(
                        f"dataset {name!r}: batches kept changing during a merge; "
                        "it is tried again at the next refresh"
                    ) from None

    def _merged_batches(self, name, targets, merged) -> dict:
        """(segment, granularity, start) → (batch id or None, version, merged profile)."""
        updates = {}
        with Session(self.engine) as session:
            for key in targets:
                segment, granularity, start = key
                row = session.execute(
                    select(_Batch.id, _Batch.version, _Batch.profile).where(
                        _Batch.dataset == name,
                        _Batch.segment == segment,
                        _Batch.granularity == granularity,
                        _Batch.start == start,
                    )
                ).first()
                if row is None:
                    updates[key] = (None, 0, merged(key, None))
                else:
                    updates[key] = (row.id, row.version, merged(key, row.profile))
        return updates

    def _write_merge(self, name, claim, parts, targets, updates) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                # a write first: on SQLite it takes the lock for the whole transaction
                held = session.execute(
                    update(_Part).where(_Part.claim == claim).values(claimed_at=_now())
                ).rowcount
                if held != parts:
                    raise UsageError(
                        f"dataset {name!r}: a merge lost its claim; it is tried again"
                    )
                # rows in one order in every transaction: fewer lock waits in a cycle
                for key, (batch_id, version, profile) in sorted(updates.items()):
                    segment, granularity, start = key
                    rows, count = targets[key]
                    stale = {
                        "metrics_stale": True,
                        "verdict_stale": True,
                        "alerted": False,
                        "updated_at": _now(),
                    }
                    if batch_id is None:
                        session.add(
                            _Batch(
                                dataset=name,
                                segment=segment,
                                granularity=granularity,
                                start=start,
                                rows=rows,
                                parts=count,
                                profile=profile,
                                version=1,
                                **stale,
                            )
                        )
                        session.flush()
                    else:
                        changed = session.execute(
                            update(_Batch)
                            .where(_Batch.id == batch_id, _Batch.version == version)
                            .values(
                                profile=profile,
                                rows=_Batch.rows + rows,
                                parts=_Batch.parts + count,
                                version=version + 1,
                                **stale,
                            )
                        ).rowcount
                        if not changed:
                            raise _Conflict
                    # the next batch's "previous batch" changed too
                    successor = session.scalar(
                        select(_Batch.id)
                        .where(
                            _Batch.dataset == name,
                            _Batch.segment == segment,
                            _Batch.granularity == granularity,
                            _Batch.start > start,
                        )
                        .order_by(_Batch.start)
                        .limit(1)
                    )
                    if successor is not None:
                        session.execute(
                            update(_Batch)
                            .where(_Batch.id == successor)
                            .values(metrics_stale=True, verdict_stale=True)
                        )
                session.execute(delete(_Part).where(_Part.claim == claim))
        except IntegrityError:
            raise _Conflict from None  # another compactor created one of these batches
        except OperationalError as exc:
            if "deadlock" not in str(exc).lower():
                raise
            raise _Conflict from None  # PostgreSQL chose this transaction to undo

    def release_claims(self, claim: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Part).where(_Part.claim == claim).values(claim=None, claimed_at=None)
            )

    # -- batches ----------------------------------------------------------------------

    def batches(
        self,
        name: str,
        *,
        segment: str | None = "",
        granularity: str = DAY,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        with_profile: bool = False,
        stale_only: bool = False,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Batch]:
        """Batches of a segment (``None``: of every segment) in time order."""
        with Session(self.engine) as session:
            query = select(_Batch).where(
                _Batch.dataset == name, _Batch.granularity == granularity
            )
            if not with_profile:
                query = query.options(defer(_Batch.profile))
            if segment is not None:
                query = query.where(_Batch.segment == segment)
            if start is not None:
                query = query.where(_Batch.start >= _utc(start))
            if end is not None:
                query = query.where(_Batch.start < _utc(end))
            if stale_only:
                query = query.where(_Batch.metrics_stale | _Batch.verdict_stale)
            order = _Batch.start.desc() if newest_first else _Batch.start
            query = query.order_by(order, _Batch.segment)
            if limit is not None:
                query = query.limit(limit)
            return [_batch(row, with_profile) for row in session.scalars(query)]

    def batch(
        self, name: str, segment: str, granularity: str, start: dt.datetime
    ) -> Batch | None:
        with Session(self.engine) as session:
            row = session.scalar(
                select(_Batch).where(
                    _Batch.dataset == name,
                    _Batch.segment == segment,
                    _Batch.granularity == granularity,
                    _Batch.start == _utc(start),
                )
            )
            return None if row is None else _batch(row, True)

    def batch_by_id(self, batch_id: int) -> Batch | None:
        with Session(self.engine) as session:
            row = session.get(_Batch, batch_id)
            return None if row is None else _batch(row, True)

    def previous(self, batch: Batch, with_profile: bool = True) -> Batch | None:
        """The batch of the same segment and granularity just before ``batch``."""
        with Session(self.engine) as session:
            query = (
                select(_Batch)
                .where(
                    _Batch.dataset == batch.dataset,
                    _Batch.segment == batch.segment,
                    _Batch.granularity == batch.granularity,
                    _Batch.start < batch.start,
                )
                .order_by(_Batch.start.desc())
                .limit(1)
            )
            if not with_profile:
                query = query.options(defer(_Batch.profile))
            row = session.scalar(query)
            return None if row is None else _batch(row, with_profile)

    def segments(self, name: str) -> list[str]:
        """The segment keys that have batches (``""`` first)."""
        with Session(self.engine) as session:
            keys = session.scalars(
                select(_Batch.segment).where(_Batch.dataset == name).distinct()
            )
            return sorted(keys, key=lambda key: (key != "", key))

    def save_metrics(self, batch_id: int, updated_at: dt.datetime | None, metrics: dict) -> bool:
        """Store a batch's metrics unless the batch changed since it was read."""
        with Session(self.engine) as session, session.begin():
            query = update(_Batch).where(_Batch.id == batch_id)
            if updated_at is not None:
                query = query.where(_Batch.updated_at == updated_at)
            found = session.execute(
                query.values(metrics=json.dumps(metrics), metrics_stale=False, verdict_stale=True)
            )
            return bool(found.rowcount)

    def save_verdict(
        self, batch_id: int, violations: list[dict], max_score: float | None
    ) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Batch)
                .where(_Batch.id == batch_id)
                .values(
                    violations=json.dumps(violations),
                    violation_count=len(violations),
                    max_score=max_score,
                    verdict_stale=False,
                )
            )

    def mark_verdicts_stale(self, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_Batch).where(_Batch.dataset == name).values(verdict_stale=True)
            )

    def mark_alerted(self, batch_ids: Iterable[int]) -> None:
        ids = list(batch_ids)
        with Session(self.engine) as session, session.begin():
            for start in range(0, len(ids), 500):
                session.execute(
                    update(_Batch).where(_Batch.id.in_(ids[start : start + 500])).values(
                        alerted=True
                    )
                )

    def unalerted_violations(self, name: str, granularity: str = DAY) -> list[Batch]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(_Batch)
                .options(defer(_Batch.profile))
                .where(
                    _Batch.dataset == name,
                    _Batch.granularity == granularity,
                    _Batch.violation_count > 0,
                    _Batch.alerted.is_(False),
                    _Batch.verdict_stale.is_(False),
                )
                .order_by(_Batch.start, _Batch.segment)
            )
            return [_batch(row, False) for row in rows]

    # -- monitors ---------------------------------------------------------------------

    def monitor_settings(self, name: str) -> dict[tuple[str, str], dict[str, Any]]:
        """(segment, feature) → settings; ``*`` stands for every segment or feature."""
        with Session(self.engine) as session:
            rows = session.scalars(select(_Monitor).where(_Monitor.dataset == name))
            return {(row.segment, row.feature): json.loads(row.settings) for row in rows}

    def set_monitor(
        self, name: str, segment: str, feature: str, settings: dict[str, Any] | None
    ) -> None:
        """Store (or with ``None`` remove) a monitor setting; verdicts become stale."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(_Monitor).where(
                    _Monitor.dataset == name,
                    _Monitor.segment == segment,
                    _Monitor.feature == feature,
                )
            )
            if settings is not None:
                session.add(
                    _Monitor(
                        dataset=name,
                        segment=segment,
                        feature=feature,
                        settings=json.dumps(settings, sort_keys=True),
                    )
                )
            session.execute(
                update(_Batch).where(_Batch.dataset == name).values(verdict_stale=True)
            )

    # -- channels ---------------------------------------------------------------------

    def channels(self, name: str) -> list[str]:
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(_Channel.url).where(_Channel.dataset == name).order_by(_Channel.id)
                )
            )

    def add_channel(self, name: str, url: str) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                session.add(_Channel(dataset=name, url=url))
        except IntegrityError:
            pass  # already there

    def remove_channel(self, name: str, url: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(delete(_Channel).where(_Channel.dataset == name, _Channel.url == url))


def _dataset(row: _Dataset) -> Dataset:
    return Dataset(
        name=row.name,
        segment_columns=tuple(json.loads(row.segment_columns or "[]")),
        description=row.description or "",
        baseline_source=row.baseline_source,
        baseline_updated_at=_utc(row.baseline_updated_at) if row.baseline_updated_at else None,
        cooldown_minutes=row.cooldown_minutes,
        created_at=_utc(row.created_at) if row.created_at else None,
    )


def _batch(row: _Batch, with_profile: bool) -> Batch:
    return Batch(
        id=row.id,
        dataset=row.dataset,
        segment=row.segment,
        granularity=row.granularity,
        start=_utc(row.start),
        rows=row.rows,
        parts=row.parts,
        metrics=json.loads(row.metrics) if row.metrics else None,
        violations=json.loads(row.violations or "[]"),
        max_score=row.max_score,
        metrics_stale=row.metrics_stale,
        verdict_stale=row.verdict_stale,
        alerted=row.alerted,
        profile=row.profile if with_profile else None,
        updated_at=row.updated_at,
    )
