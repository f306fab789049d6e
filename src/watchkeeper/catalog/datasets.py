"""Datasets in the catalog: received profiles, their hourly and daily batches, baselines,
monitor settings and alert channels.

Profiles are kept as their serialised bytes. A received profile is first stored as a
*part* (one short insert, so that receiving stays fast); compaction later merges the
pending parts into the batch rows of their hour and day, in one transaction that also
deletes them, so a profile is counted once whatever stops when. A part that cannot be
merged is kept with its reason and never claimed again. Each batch row also holds the
JSON metrics its evaluation computed (statistics, drift distances) and its verdict, so
that pages read numbers, not profiles.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from watchkeeper.catalog.dataset_parts import PartStore
from watchkeeper.catalog.dataset_records import (
    ANY,
    DAY,
    GRANULARITIES,
    HOUR,
    Batch,
    BatchRow,
    ChannelRow,
    Dataset,
    DatasetRow,
    FailedPart,
    MonitorRow,
    Part,
    PartRow,
    ReceivedRow,
    batch_of,
    batch_start,
    dataset_of,
)
from watchkeeper.catalog.store import Catalog
from watchkeeper.catalog.times import as_utc, utcnow
from watchkeeper.errors import UsageError

__all__ = [
    "ANY",
    "DAY",
    "GRANULARITIES",
    "HOUR",
    "Batch",
    "Dataset",
    "DatasetStore",
    "FailedPart",
    "Part",
    "batch_start",
]


class DatasetStore(PartStore):
    """Datasets, their parts, batches, monitor settings and channels in a catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.engine = catalog.engine

    # -- datasets ---------------------------------------------------------------------

    def create(self, dataset: Dataset) -> Dataset:
        try:
            with Session(self.engine) as session, session.begin():
                session.add(
                    DatasetRow(
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
                select(DatasetRow)
                .options(defer(DatasetRow.baseline))
                .where(DatasetRow.name == name)
            )
            return None if row is None else dataset_of(row)

    def get(self, name: str) -> Dataset:
        found = self.find(name)
        if found is None:
            raise UsageError(f"no dataset named {name!r}")
        return found

    def all(self) -> list[Dataset]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(DatasetRow).options(defer(DatasetRow.baseline)).order_by(DatasetRow.name)
            )
            return [dataset_of(row) for row in rows]

    def update(self, name: str, **values: Any) -> Dataset:
        """Change ``description`` or ``cooldown_minutes``."""
        allowed = {"description", "cooldown_minutes"}
        unknown = set(values) - allowed
        if unknown:
            raise UsageError(f"cannot change {', '.join(sorted(unknown))} of a dataset")
        with Session(self.engine) as session, session.begin():
            found = session.execute(
                update(DatasetRow).where(DatasetRow.name == name).values(**values)
            )
            if not found.rowcount:
                raise UsageError(f"no dataset named {name!r}")
        return self.get(name)

    def delete(self, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            found = session.execute(delete(DatasetRow).where(DatasetRow.name == name))
            if not found.rowcount:
                raise UsageError(f"no dataset named {name!r}")
            for table in (PartRow, BatchRow, MonitorRow, ChannelRow, ReceivedRow):
                session.execute(delete(table).where(table.dataset == name))

    def set_baseline(self, name: str, profile: bytes, source: str) -> None:
        """Store the reference profile; every batch's metrics become stale."""
        with Session(self.engine) as session, session.begin():
            found = session.execute(
                update(DatasetRow)
                .where(DatasetRow.name == name)
                .values(baseline=profile, baseline_source=source, baseline_updated_at=utcnow())
            )
            if not found.rowcount:
                raise UsageError(f"no dataset named {name!r}")
            session.execute(
                update(BatchRow)
                .where(BatchRow.dataset == name)
                .values(metrics_stale=True, verdict_stale=True)
            )

    def baseline(self, name: str) -> bytes | None:
        with Session(self.engine) as session:
            return session.scalar(select(DatasetRow.baseline).where(DatasetRow.name == name))

    def last_alert(self, name: str) -> dt.datetime | None:
        with Session(self.engine) as session:
            moment = session.scalar(select(DatasetRow.last_alert_at).where(DatasetRow.name == name))
            return None if moment is None else as_utc(moment)

    def set_last_alert(self, name: str, moment: dt.datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(DatasetRow).where(DatasetRow.name == name).values(last_alert_at=moment)
            )

    def set_error(self, name: str, error: str | None) -> None:
        """Record why the dataset's last merge or evaluation failed (None: it did not)."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(DatasetRow)
                .where(DatasetRow.name == name)
                .values(last_error=error and error[:2000], last_error_at=error and utcnow())
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
            query = select(BatchRow).where(
                BatchRow.dataset == name, BatchRow.granularity == granularity
            )
            if not with_profile:
                query = query.options(defer(BatchRow.profile))
            if segment is not None:
                query = query.where(BatchRow.segment == segment)
            if start is not None:
                query = query.where(BatchRow.start >= as_utc(start))
            if end is not None:
                query = query.where(BatchRow.start < as_utc(end))
            if stale_only:
                query = query.where(BatchRow.metrics_stale | BatchRow.verdict_stale)
            order = BatchRow.start.desc() if newest_first else BatchRow.start
            query = query.order_by(order, BatchRow.segment)
            if limit is not None:
                query = query.limit(limit)
            return [batch_of(row, with_profile) for row in session.scalars(query)]

    def batch(self, name: str, segment: str, granularity: str, start: dt.datetime) -> Batch | None:
        with Session(self.engine) as session:
            row = session.scalar(
                select(BatchRow).where(
                    BatchRow.dataset == name,
                    BatchRow.segment == segment,
                    BatchRow.granularity == granularity,
                    BatchRow.start == as_utc(start),
                )
            )
            return None if row is None else batch_of(row, True)

    def batch_by_id(self, batch_id: int) -> Batch | None:
        with Session(self.engine) as session:
            row = session.get(BatchRow, batch_id)
            return None if row is None else batch_of(row, True)

    def previous(self, batch: Batch, with_profile: bool = True) -> Batch | None:
        """The batch of the same segment and granularity just before ``batch``."""
        with Session(self.engine) as session:
            query = (
                select(BatchRow)
                .where(
                    BatchRow.dataset == batch.dataset,
                    BatchRow.segment == batch.segment,
                    BatchRow.granularity == batch.granularity,
                    BatchRow.start < batch.start,
                )
                .order_by(BatchRow.start.desc())
                .limit(1)
            )
            if not with_profile:
                query = query.options(defer(BatchRow.profile))
            row = session.scalar(query)
            return None if row is None else batch_of(row, with_profile)

    def segments(self, name: str) -> list[str]:
        """The segment keys that have batches (``""`` first)."""
        with Session(self.engine) as session:
            keys = session.scalars(
                select(BatchRow.segment).where(BatchRow.dataset == name).distinct()
            )
            return sorted(keys, key=lambda key: (key != "", key))

    def save_metrics(self, batch_id: int, updated_at: dt.datetime | None, metrics: dict) -> bool:
        """Store a batch's metrics unless the batch changed since it was read."""
        with Session(self.engine) as session, session.begin():
            query = update(BatchRow).where(BatchRow.id == batch_id)
            if updated_at is not None:
                query = query.where(BatchRow.updated_at == updated_at)
            found = session.execute(
                query.values(
                    metrics=json.dumps(metrics), metrics_stale=False, verdict_stale=True, error=None
                )
            )
            return bool(found.rowcount)

    def save_batch_error(self, batch_id: int, updated_at: dt.datetime | None, error: str) -> None:
        """Record that a batch cannot be evaluated; it is tried again once it changes."""
        with Session(self.engine) as session, session.begin():
            query = update(BatchRow).where(BatchRow.id == batch_id)
            if updated_at is not None:
                query = query.where(BatchRow.updated_at == updated_at)
            session.execute(
                query.values(
                    error=error[:2000],
                    metrics=None,
                    metrics_stale=False,
                    violations="[]",
                    violation_count=0,
                    max_score=None,
                    verdict_stale=False,
                )
            )

    def save_verdict(
        self,
        batch_id: int,
        violations: list[dict],
        max_score: float | None,
        metrics: dict | None = None,
    ) -> None:
        """Store a batch's verdict; ``metrics``, when given, its figures with the
        judgements the verdict made of them."""
        figures = {} if metrics is None else {"metrics": json.dumps(metrics)}
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(BatchRow)
                .where(BatchRow.id == batch_id)
                .values(
                    violations=json.dumps(violations),
                    violation_count=len(violations),
                    max_score=max_score,
                    verdict_stale=False,
                    **figures,
                )
            )

    def mark_verdicts_stale(self, name: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(BatchRow).where(BatchRow.dataset == name).values(verdict_stale=True)
            )

    def mark_alerted(self, batch_ids: Iterable[int]) -> None:
        ids = list(batch_ids)
        with Session(self.engine) as session, session.begin():
            for start in range(0, len(ids), 500):
                session.execute(
                    update(BatchRow)
                    .where(BatchRow.id.in_(ids[start : start + 500]))
                    .values(alerted=True)
                )

    def unalerted_violations(self, name: str, granularity: str = DAY) -> list[Batch]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(BatchRow)
                .options(defer(BatchRow.profile))
                .where(
                    BatchRow.dataset == name,
                    BatchRow.granularity == granularity,
                    BatchRow.violation_count > 0,
                    BatchRow.alerted.is_(False),
                    BatchRow.verdict_stale.is_(False),
                )
                .order_by(BatchRow.start, BatchRow.segment)
            )
            return [batch_of(row, False) for row in rows]

    # -- monitors ---------------------------------------------------------------------

    def monitor_settings(self, name: str) -> dict[tuple[str, str], dict[str, Any]]:
        """(segment, feature) → settings; ``*`` stands for every segment or feature."""
        with Session(self.engine) as session:
            rows = session.scalars(select(MonitorRow).where(MonitorRow.dataset == name))
            return {(row.segment, row.feature): json.loads(row.settings) for row in rows}

    def set_monitor(
        self, name: str, segment: str, feature: str, settings: dict[str, Any] | None
    ) -> None:
        """Store (or with ``None`` remove) a monitor setting; verdicts become stale."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(MonitorRow).where(
                    MonitorRow.dataset == name,
                    MonitorRow.segment == segment,
                    MonitorRow.feature == feature,
                )
            )
            if settings is not None:
                session.add(
                    MonitorRow(
                        dataset=name,
                        segment=segment,
                        feature=feature,
                        settings=json.dumps(settings, sort_keys=True),
                    )
                )
            session.execute(
                update(BatchRow).where(BatchRow.dataset == name).values(verdict_stale=True)
            )

    # -- channels ---------------------------------------------------------------------

    def channels(self, name: str) -> list[str]:
        with Session(self.engine) as session:
            return list(
                session.scalars(
                    select(ChannelRow.url).where(ChannelRow.dataset == name).order_by(ChannelRow.id)
                )
            )

    def add_channel(self, name: str, url: str) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                session.add(ChannelRow(dataset=name, url=url))
        except IntegrityError:
            pass  # already there

    def remove_channel(self, name: str, url: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(ChannelRow).where(ChannelRow.dataset == name, ChannelRow.url == url)
            )
