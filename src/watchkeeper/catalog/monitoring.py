"""Schedules, their executions and the metric series they produce."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from watchkeeper.catalog.leases import lease_column, owner_column
from watchkeeper.catalog.store import Base, Catalog
from watchkeeper.catalog.times import as_utc, utcnow
from watchkeeper.errors import UsageError

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
FAILED = "Failed"
STATUSES = (IN_PROGRESS, COMPLETED, COMPLETED_WITH_VIOLATIONS, FAILED)
# what a schedule judges (its kind); :mod:`watchkeeper.monitor.kinds` says how
DATA_QUALITY = "data-quality"
MODEL_QUALITY = "model-quality"
MODEL_BIAS = "model-bias"
MODEL_EXPLAINABILITY = "model-explainability"
KINDS = (DATA_QUALITY, MODEL_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY)


class _Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    endpoint: Mapped[str] = mapped_column(String(256))
    variant: Mapped[str | None] = mapped_column(String(256), nullable=True)
    capture: Mapped[str] = mapped_column(String(2048))
    baseline: Mapped[str] = mapped_column(String(2048))
    report: Mapped[str] = mapped_column(String(2048))
    cron: Mapped[str] = mapped_column(String(256))
    window_start: Mapped[str | None] = mapped_column(String(64), nullable=True)
    window_end: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # what the schedule judges (data quality, model quality, …) and that kind's settings
    kind: Mapped[str] = mapped_column(String(32), default=DATA_QUALITY, server_default=DATA_QUALITY)
    options: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class _Execution(Base):
    __tablename__ = "executions"
    __table_args__ = (UniqueConstraint("schedule", "window_start", "window_end", name="uq_window"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule: Mapped[str] = mapped_column(String(256), index=True)
    endpoint: Mapped[str] = mapped_column(String(256))
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(32), default=IN_PROGRESS)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    records: Mapped[int] = mapped_column(Integer, default=0)
    corrupt_lines: Mapped[int] = mapped_column(Integer, default=0)
    violations: Mapped[int] = mapped_column(Integer, default=0)
    artifacts: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # why its metric series did not reach their destination (CloudWatch): the judgement
    # stands, so this is not its status
    metrics_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the scheduler running it, and its lease: renewed while that scheduler lives
    owner: Mapped[str | None] = owner_column()
    lease_until: Mapped[dt.datetime | None] = lease_column()


class _Metric(Base):
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    schedule: Mapped[str] = mapped_column(String(256), index=True)
    endpoint: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(512))
    statistic: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    timestamp: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class _Judgement(Base):
    __tablename__ = "metric_judgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    execution_id: Mapped[int] = mapped_column(ForeignKey("executions.id", ondelete="CASCADE"))
    schedule: Mapped[str] = mapped_column(String(256), index=True)
    name: Mapped[str] = mapped_column(String(512))
    statistic: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    value: Mapped[float] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float, nullable=True)
    low: Mapped[float | None] = mapped_column(Float, nullable=True)
    high: Mapped[float | None] = mapped_column(Float, nullable=True)
    anomalous: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True)
class Schedule:
    """A monitoring schedule: which endpoint's captures, judged against which baseline,
    when (a 5-field cron expression) and where the results go. ``kind`` says what is
    judged (``data-quality`` by default) and ``options`` holds that kind's settings."""

    name: str
    endpoint: str
    capture: str
    baseline: str
    report: str
    cron: str
    variant: str | None = None
    window_start: str | None = None
    window_end: str | None = None
    created_at: dt.datetime | None = None
    kind: str = DATA_QUALITY
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Execution:
    """One run of a schedule over one window, with SageMaker's statuses."""

    id: int
    schedule: str
    endpoint: str
    scheduled_for: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    status: str
    failure_reason: str | None = None
    records: int = 0
    corrupt_lines: int = 0
    violations: int = 0
    artifacts: dict[str, str] = field(default_factory=dict)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    metrics_error: str | None = None

    @property
    def exit_message(self) -> str:
        """As SageMaker words it: ``CompletedWithViolations: Job completed successfully
        with 3 violations.``"""
        if self.status == COMPLETED_WITH_VIOLATIONS:
            return f"{self.status}: Job completed successfully with {self.violations} violations."
        if self.status == COMPLETED:
            return f"{self.status}: Job completed successfully with no violations."
        if self.status == FAILED:
            return f"{self.status}: {self.failure_reason}"
        return self.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "schedule": self.schedule,
            "endpoint": self.endpoint,
            "scheduled_for": _iso(self.scheduled_for),
            "window_start": _iso(self.window_start),
            "window_end": _iso(self.window_end),
            "status": self.status,
            "exit_message": self.exit_message,
            "failure_reason": self.failure_reason,
            "records": self.records,
            "corrupt_lines": self.corrupt_lines,
            "violations": self.violations,
            "artifacts": dict(self.artifacts),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "metrics_error": self.metrics_error,
        }


@dataclass(frozen=True)
class MetricPoint:
    """One value of a metric series (named as SageMaker's CloudWatch metrics)."""

    schedule: str
    endpoint: str
    name: str
    statistic: str
    value: float
    timestamp: dt.datetime


@dataclass(frozen=True)
class MetricJudgement:
    """A metric point judged against its series' history: the band it had to fall in
    (None where unbounded or not judged), anomalous or not, and why."""

    schedule: str
    name: str
    statistic: str
    method: str
    timestamp: dt.datetime
    value: float
    expected: float | None
    low: float | None
    high: float | None
    anomalous: bool
    reason: str


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


class MonitoringStore:
    """Schedules, executions and metrics in a :class:`Catalog`'s database."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.engine = catalog.engine

    # -- schedules --------------------------------------------------------------------

    def create_schedule(self, schedule: Schedule) -> Schedule:
        """Store a schedule; ``created_at`` defaults to now (earlier firings are not due)."""
        values = dict(schedule.__dict__)
        values["options"] = json.dumps(values["options"], sort_keys=True)
        if values["created_at"] is None:
            del values["created_at"]
        try:
            with Session(self.engine) as session, session.begin():
                session.add(_Schedule(**values))
        except IntegrityError as exc:
            raise UsageError(f"a schedule named {schedule.name!r} exists already") from exc
        return self.schedule(schedule.name)

    def schedule(self, name: str) -> Schedule:
        with Session(self.engine) as session:
            row = session.scalar(select(_Schedule).where(_Schedule.name == name))
            if row is None:
                raise UsageError(f"no schedule named {name!r}")
            return _schedule(row)

    def schedules(self) -> list[Schedule]:
        with Session(self.engine) as session:
            return [
                _schedule(row)
                for row in session.scalars(select(_Schedule).order_by(_Schedule.name))
            ]

    def delete_schedule(self, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            found = session.execute(delete(_Schedule).where(_Schedule.name == name))
            if not found.rowcount:
                raise UsageError(f"no schedule named {name!r}")

    # -- executions -------------------------------------------------------------------

    def start_execution(
        self,
        schedule: Schedule,
        scheduled_for: dt.datetime,
        window: tuple[dt.datetime, dt.datetime],
    ) -> Execution | None:
        """Claim a window: a new InProgress execution, or None if it was run already.

        The unique (schedule, window) key makes a window run once, also when several
        schedulers race or one restarts after downtime. The execution is leased to this
        process until :meth:`finish_execution`.
        """
        leases = self.catalog.leases
        try:
            with Session(self.engine) as session, session.begin():
                row = _Execution(
                    schedule=schedule.name,
                    endpoint=schedule.endpoint,
                    scheduled_for=scheduled_for,
                    window_start=window[0],
                    window_end=window[1],
                    status=IN_PROGRESS,
                    owner=leases.owner,
                    lease_until=leases.expiry(),
                )
                session.add(row)
                session.flush()
                started = _execution(row)
        except IntegrityError:
            return None
        leases.hold(_Execution.__table__, started.id)
        return started

    def finish_execution(
        self,
        execution_id: int,
        *,
        status: str,
        failure_reason: str | None = None,
        records: int = 0,
        corrupt_lines: int = 0,
        violations: int = 0,
        artifacts: dict[str, str] | None = None,
        metrics: list[tuple[str, str, float]] = (),
    ) -> Execution:
        """Record how an execution ended and its metric points, in one transaction."""
        if status not in STATUSES:
            raise UsageError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
        with Session(self.engine) as session, session.begin():
            row = session.get(_Execution, execution_id)
            row.status, row.failure_reason = status, failure_reason
            row.records, row.corrupt_lines, row.violations = records, corrupt_lines, violations
            row.artifacts = json.dumps(artifacts or {}, sort_keys=True)
            row.finished_at, row.lease_until = utcnow(), None
            for name, statistic, value in metrics:
                session.add(
                    _Metric(
                        execution_id=execution_id,
                        schedule=row.schedule,
                        endpoint=row.endpoint,
                        name=name,
                        statistic=statistic,
                        value=float(value),
                        timestamp=row.window_end,
                    )
                )
            session.flush()
            finished = _execution(row)
        self.catalog.leases.drop(_Execution.__table__, execution_id)
        return finished

    def record_metrics_error(self, execution_id: int, reason: str) -> Execution:
        """Note that a finished execution's metric series could not be published."""
        with Session(self.engine) as session, session.begin():
            row = session.get(_Execution, execution_id)
            if row is None:
                raise UsageError(f"no execution {execution_id}")
            row.metrics_error = reason
            session.flush()
            return _execution(row)

    def execution(self, execution_id: int) -> Execution:
        with Session(self.engine) as session:
            row = session.get(_Execution, execution_id)
            if row is None:
                raise UsageError(f"no execution {execution_id}")
            return _execution(row)

    def executions(self, schedule: str | None = None, limit: int = 100) -> list[Execution]:
        """Newest first."""
        with Session(self.engine) as session:
            query = select(_Execution).order_by(_Execution.window_end.desc(), _Execution.id.desc())
            if schedule is not None:
                query = query.where(_Execution.schedule == schedule)
            return [_execution(row) for row in session.scalars(query.limit(limit))]

    def abandon_stale(self, before: dt.datetime) -> list[Execution]:
        """Mark Failed the executions left InProgress by a scheduler that died: those
        whose lease has expired, and those of an older catalog without leases that
        started before ``before``. Returns them."""
        now = utcnow()
        dead = or_(
            _Execution.lease_until < now,
            and_(_Execution.lease_until.is_(None), _Execution.started_at < before),
        )
        with Session(self.engine) as session, session.begin():
            rows = session.scalars(
                update(_Execution)
                .where(_Execution.status == IN_PROGRESS, dead)
                .values(
                    status=FAILED,
                    failure_reason="the job was interrupted (its scheduler stopped)",
                    finished_at=now,
                    lease_until=None,
                )
                .returning(_Execution)
            )
            return [_execution(row) for row in rows]

    # -- metrics ----------------------------------------------------------------------

    def latest_metrics(self, schedule: str | None = None) -> list[MetricPoint]:
        """The metric points of each schedule's latest finished execution."""
        points = []
        with Session(self.engine) as session:
            names = [schedule] if schedule else [s.name for s in self.schedules()]
            for name in names:
                latest = session.scalar(
                    select(_Execution.id)
                    .where(_Execution.schedule == name, _Execution.status != IN_PROGRESS)
                    .order_by(_Execution.window_end.desc(), _Execution.id.desc())
                    .limit(1)
                )
                if latest is None:
                    continue
                rows = session.scalars(select(_Metric).where(_Metric.execution_id == latest))
                points.extend(_point(row) for row in rows)
        return points

    def metrics_of(self, execution_id: int) -> list[MetricPoint]:
        """The metric points one execution recorded."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(_Metric).where(_Metric.execution_id == execution_id).order_by(_Metric.id)
            )
            return [_point(row) for row in rows]

    def metric_series(
        self,
        schedule: str,
        name: str,
        statistic: str = "Value",
        *,
        before: dt.datetime | None = None,
        last: int | None = None,
    ) -> list[MetricPoint]:
        """A series, oldest first: the points before ``before`` (all by default), the
        newest ``last`` of them when given."""
        query = select(_Metric).where(
            _Metric.schedule == schedule, _Metric.name == name, _Metric.statistic == statistic
        )
        if before is not None:
            query = query.where(_Metric.timestamp < before)
        query = query.order_by(_Metric.timestamp.desc(), _Metric.id.desc())
        if last is not None:
            query = query.limit(last)
        with Session(self.engine) as session:
            return [_point(row) for row in session.scalars(query)][::-1]

    # -- judgements of metric history ---------------------------------------------------

    def record_judgements(
        self, execution_id: int, judgements: list[MetricJudgement]
    ) -> Execution:
        """Keep an execution's judgements of its metric points; each anomaly counts as a
        violation of the execution (a Completed one becomes CompletedWithViolations)."""
        anomalies = sum(judgement.anomalous for judgement in judgements)
        with Session(self.engine) as session, session.begin():
            row = session.get(_Execution, execution_id)
            if row is None:
                raise UsageError(f"no execution {execution_id}")
            for judgement in judgements:
                session.add(_Judgement(execution_id=execution_id, **judgement.__dict__))
            if anomalies:
                row.violations += anomalies
                if row.status == COMPLETED:
                    row.status = COMPLETED_WITH_VIOLATIONS
            session.flush()
            return _execution(row)

    def judgements(
        self,
        schedule: str,
        name: str | None = None,
        statistic: str | None = None,
        *,
        last: int | None = None,
    ) -> list[MetricJudgement]:
        """A schedule's judgements (of one series when ``name`` is given), oldest first;
        the newest ``last`` of them when given."""
        query = select(_Judgement).where(_Judgement.schedule == schedule)
        if name is not None:
            query = query.where(_Judgement.name == name)
        if statistic is not None:
            query = query.where(_Judgement.statistic == statistic)
        query = query.order_by(_Judgement.timestamp.desc(), _Judgement.id.desc())
        if last is not None:
            query = query.limit(last)
        with Session(self.engine) as session:
            rows = [_judgement(row) for row in session.scalars(query)][::-1]
        return sorted(rows, key=lambda judgement: judgement.name) if name is None else rows

    def judged_series(self, schedule: str) -> list[tuple[str, str]]:
        """The (name, statistic) of every series of ``schedule`` judged against its history."""
        query = (
            select(_Judgement.name, _Judgement.statistic)
            .where(_Judgement.schedule == schedule)
            .distinct()
            .order_by(_Judgement.name, _Judgement.statistic)
        )
        with Session(self.engine) as session:
            return [(row.name, row.statistic) for row in session.execute(query)]


def _schedule(row: _Schedule) -> Schedule:
    return Schedule(
        name=row.name,
        endpoint=row.endpoint,
        capture=row.capture,
        baseline=row.baseline,
        report=row.report,
        cron=row.cron,
        variant=row.variant,
        window_start=row.window_start,
        window_end=row.window_end,
        created_at=as_utc(row.created_at),
        kind=row.kind or DATA_QUALITY,
        options=json.loads(row.options or "{}"),
    )


def _execution(row: _Execution) -> Execution:
    return Execution(
        id=row.id,
        schedule=row.schedule,
        endpoint=row.endpoint,
        scheduled_for=as_utc(row.scheduled_for),
        window_start=as_utc(row.window_start),
        window_end=as_utc(row.window_end),
        status=row.status,
        failure_reason=row.failure_reason,
        records=row.records,
        corrupt_lines=row.corrupt_lines,
        violations=row.violations,
        artifacts=json.loads(row.artifacts or "{}"),
        started_at=as_utc(row.started_at) if row.started_at else None,
        finished_at=as_utc(row.finished_at) if row.finished_at else None,
        metrics_error=row.metrics_error,
    )


def _point(row: _Metric) -> MetricPoint:
    return MetricPoint(
        row.schedule, row.endpoint, row.name, row.statistic, row.value, as_utc(row.timestamp)
    )


def _judgement(row: _Judgement) -> MetricJudgement:
    return MetricJudgement(
        row.schedule, row.name, row.statistic, row.method, as_utc(row.timestamp), row.value,
        row.expected, row.low, row.high, bool(row.anomalous), row.reason,
    )  # fmt: skip
