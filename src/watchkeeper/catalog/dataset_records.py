"""The catalog's tables of datasets, and the records the dataset store gives back.

:mod:`watchkeeper.catalog.datasets` works on these tables; this module only declares
them (and how a row becomes a record), so that the store's operations stay readable.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from watchkeeper.catalog.store import Base
from watchkeeper.catalog.times import as_utc, utcnow
from watchkeeper.errors import UsageError

HOUR, DAY = "hour", "day"
GRANULARITIES = (HOUR, DAY)
ANY = "*"  # a monitor setting for every segment or every feature


class DatasetRow(Base):
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
    # why the last merge or evaluation of the dataset failed (None: it did not)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PartRow(Base):
    __tablename__ = "profile_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    segment: Mapped[str] = mapped_column(String(1024))
    timestamp: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(BigInteger)
    profile: Mapped[bytes] = mapped_column(LargeBinary)
    # set when the part could not be merged: it is kept, and never claimed again
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claim: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReceivedRow(Base):
    """Ids of the profiles received, so that a profile sent again is not counted twice."""

    __tablename__ = "received_profiles"
    __table_args__ = (UniqueConstraint("dataset", "profile_id", name="uq_received"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128))
    profile_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BatchRow(Base):
    __tablename__ = "profile_batches"
    __table_args__ = (
        UniqueConstraint("dataset", "segment", "granularity", "start", name="uq_batch"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(String(1024))
    granularity: Mapped[str] = mapped_column(String(8))
    start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    parts: Mapped[int] = mapped_column(BigInteger, default=0)
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
    # why its evaluation failed; cleared when the batch changes and is evaluated again
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MonitorRow(Base):
    __tablename__ = "monitors"
    __table_args__ = (UniqueConstraint("dataset", "segment", "feature", name="uq_monitor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    segment: Mapped[str] = mapped_column(String(1024), default=ANY)
    feature: Mapped[str] = mapped_column(String(512), default=ANY)
    settings: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChannelRow(Base):
    __tablename__ = "alert_channels"
    __table_args__ = (UniqueConstraint("dataset", "url", name="uq_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(128), index=True)
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    error: str | None = None  # why its last merge or evaluation failed
    error_at: dt.datetime | None = None

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
class FailedPart:
    """A received profile that could not be merged, kept with the reason."""

    id: int
    segment: str
    timestamp: dt.datetime
    received_at: dt.datetime
    error: str


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
    error: str | None = None  # why its evaluation failed

    @property
    def end(self) -> dt.datetime:
        return self.start + (dt.timedelta(hours=1) if self.granularity == HOUR else _ONE_DAY)


_ONE_DAY = dt.timedelta(days=1)


def batch_start(moment: dt.datetime, granularity: str) -> dt.datetime:
    """The start of the hour or the (UTC) day holding ``moment``."""
    moment = as_utc(moment)
    if granularity == HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    if granularity == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    raise UsageError(f"granularity must be 'hour' or 'day'; got {granularity!r}")


def dataset_of(row: DatasetRow) -> Dataset:
    return Dataset(
        name=row.name,
        segment_columns=tuple(json.loads(row.segment_columns or "[]")),
        description=row.description or "",
        baseline_source=row.baseline_source,
        baseline_updated_at=as_utc(row.baseline_updated_at) if row.baseline_updated_at else None,
        cooldown_minutes=row.cooldown_minutes,
        created_at=as_utc(row.created_at) if row.created_at else None,
        error=row.last_error,
        error_at=as_utc(row.last_error_at) if row.last_error_at else None,
    )


def batch_of(row: BatchRow, with_profile: bool) -> Batch:
    return Batch(
        id=row.id,
        dataset=row.dataset,
        segment=row.segment,
        granularity=row.granularity,
        start=as_utc(row.start),
        rows=row.rows,
        parts=row.parts,
        metrics=json.loads(row.metrics) if row.metrics else None,
        violations=[_violation(item) for item in json.loads(row.violations or "[]")],
        max_score=row.max_score,
        metrics_stale=row.metrics_stale,
        verdict_stale=row.verdict_stale,
        alerted=row.alerted,
        profile=row.profile if with_profile else None,
        updated_at=row.updated_at,
        error=row.error,
    )


# how verdicts stored by earlier versions named a violation's fields
_LEGACY = {"feature": "feature_name", "check": "constraint_check_type", "value": "observed"}
_LEGACY_CHECKS = {"drift": "baseline_drift_check", "null_fraction": "missing_values_check"}


def _violation(item: dict[str, Any]) -> dict[str, Any]:
    """A stored violation in today's form (``Violation.to_dict()``), whenever it was stored."""
    if "feature_name" in item:
        return item
    found = {_LEGACY.get(key, key): value for key, value in item.items()}
    check = found.get("constraint_check_type")
    found["constraint_check_type"] = _LEGACY_CHECKS.get(check, check)
    found.setdefault("details", {})
    return found
