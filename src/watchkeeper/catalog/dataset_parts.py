"""Received profiles waiting to be merged (*parts*), and the merging of them into batches.

Receiving is one short insert; a compactor claims a dataset's oldest parts, merges them
into the batches of their hour and day, and deletes them in the same transaction, so
a profile is counted once whatever stops when. A claim older than ``STALE_CLAIM`` (its
compactor died) is taken over. A part that cannot be merged is set aside with its
reason and never claimed again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from watchkeeper.catalog.dataset_records import (
    BatchRow,
    FailedPart,
    Part,
    PartRow,
    ReceivedRow,
)
from watchkeeper.catalog.times import as_utc, utcnow
from watchkeeper.errors import UsageError

STALE_CLAIM = dt.timedelta(minutes=10)


class _Conflict(Exception):
    """A batch changed between reading and writing it."""


class PartStore:
    """The parts of a :class:`watchkeeper.catalog.datasets.DatasetStore` (its base)."""

    engine: object

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
                    session.add(ReceivedRow(dataset=name, profile_id=profile_id[:64]))
                    session.flush()
                part = PartRow(
                    dataset=name,
                    segment=segment,
                    timestamp=as_utc(timestamp),
                    rows=rows,
                    profile=profile,
                )
                session.add(part)
                session.flush()
                return part.id
        except IntegrityError:
            return None
        except DataError as exc:  # e.g. a count beyond an older catalog's 32-bit column
            reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            raise UsageError(f"this catalog cannot store the profile: {reason}") from None

    def pending_datasets(self) -> list[str]:
        """Datasets with parts waiting to be merged."""
        with Session(self.engine) as session:
            return list(
                session.scalars(select(PartRow.dataset).where(PartRow.error.is_(None)).distinct())
            )

    def pending_parts(self, name: str | None = None) -> int:
        with Session(self.engine) as session:
            query = select(func.count(PartRow.id)).where(PartRow.error.is_(None))
            if name is not None:
                query = query.where(PartRow.dataset == name)
            return session.scalar(query) or 0

    def claim_parts(self, name: str, claim: str, limit: int) -> list[Part]:
        """Claim up to ``limit`` pending parts of ``name`` (oldest first) and return them.

        The claim is a short transaction of its own, so receiving goes on while the
        claimed parts are merged; claims older than ``STALE_CLAIM`` (a compactor that
        died) are given up first.
        """
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(PartRow)
                .where(
                    PartRow.dataset == name,
                    PartRow.claim.is_not(None),
                    PartRow.claimed_at < now - STALE_CLAIM,
                )
                .values(claim=None, claimed_at=None)
            )
            ids = list(
                session.scalars(
                    select(PartRow.id)
                    .where(
                        PartRow.dataset == name, PartRow.claim.is_(None), PartRow.error.is_(None)
                    )
                    .order_by(PartRow.id)
                    .limit(limit)
                )
            )
            if not ids:
                return []
            session.execute(
                update(PartRow)
                .where(PartRow.id.in_(ids), PartRow.claim.is_(None))
                .values(claim=claim, claimed_at=now)
            )
        with Session(self.engine) as session:
            rows = session.scalars(
                select(PartRow).where(PartRow.claim == claim).order_by(PartRow.id)
            )
            return [
                Part(row.id, row.dataset, row.segment, as_utc(row.timestamp), row.rows, row.profile)
                for row in rows
            ]

    def fail_parts(self, claim: str, reasons: dict[int, str]) -> None:
        """Set claimed parts aside for good, each with the reason it cannot be merged."""
        with Session(self.engine) as session, session.begin():
            for part_id, reason in reasons.items():
                session.execute(
                    update(PartRow)
                    .where(PartRow.id == part_id, PartRow.claim == claim)
                    .values(error=reason[:2000], claim=None, claimed_at=None)
                )

    def failed_parts(self, name: str, limit: int = 20) -> tuple[int, list[FailedPart]]:
        """How many of the dataset's received profiles could not be merged, and the
        latest ``limit`` of them."""
        with Session(self.engine) as session:
            failed = (PartRow.dataset == name) & PartRow.error.is_not(None)
            count = session.scalar(select(func.count(PartRow.id)).where(failed)) or 0
            rows = session.execute(
                select(
                    PartRow.id,
                    PartRow.segment,
                    PartRow.timestamp,
                    PartRow.received_at,
                    PartRow.error,
                )
                .where(failed)
                .order_by(PartRow.id.desc())
                .limit(limit)
            )
            return count, [
                FailedPart(
                    row.id, row.segment, as_utc(row.timestamp), as_utc(row.received_at), row.error
                )
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
                    select(BatchRow.id, BatchRow.version, BatchRow.profile).where(
                        BatchRow.dataset == name,
                        BatchRow.segment == segment,
                        BatchRow.granularity == granularity,
                        BatchRow.start == start,
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
                    update(PartRow).where(PartRow.claim == claim).values(claimed_at=utcnow())
                ).rowcount
                if held != parts:
                    raise UsageError(f"dataset {name!r}: a merge lost its claim; it is tried again")
                # rows in one order in every transaction: fewer lock waits in a cycle
                for key, (batch_id, version, profile) in sorted(updates.items()):
                    segment, granularity, start = key
                    rows, count = targets[key]
                    stale = {
                        "error": None,
                        "metrics_stale": True,
                        "verdict_stale": True,
                        "alerted": False,
                        "updated_at": utcnow(),
                    }
                    if batch_id is None:
                        session.add(
                            BatchRow(
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
                            update(BatchRow)
                            .where(BatchRow.id == batch_id, BatchRow.version == version)
                            .values(
                                profile=profile,
                                rows=BatchRow.rows + rows,
                                parts=BatchRow.parts + count,
                                version=version + 1,
                                **stale,
                            )
                        ).rowcount
                        if not changed:
                            raise _Conflict
                    # the next batch's "previous batch" changed too
                    successor = session.scalar(
                        select(BatchRow.id)
                        .where(
                            BatchRow.dataset == name,
                            BatchRow.segment == segment,
                            BatchRow.granularity == granularity,
                            BatchRow.start > start,
                        )
                        .order_by(BatchRow.start)
                        .limit(1)
                    )
                    if successor is not None:
                        session.execute(
                            update(BatchRow)
                            .where(BatchRow.id == successor)
                            .values(metrics_stale=True, verdict_stale=True)
                        )
                session.execute(delete(PartRow).where(PartRow.claim == claim))
        except IntegrityError:
            raise _Conflict from None  # another compactor created one of these batches
        except OperationalError as exc:
            if "deadlock" not in str(exc).lower():
                raise
            raise _Conflict from None  # PostgreSQL chose this transaction to undo

    def release_claims(self, claim: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(PartRow).where(PartRow.claim == claim).values(claim=None, claimed_at=None)
            )
