"""What the faces read of the datasets: datasets, their batches and segments, received
profiles set aside, monitor settings and alert channels, as
:class:`~watchkeeper.datasets.service.DatasetService` offers them.

Batches are read with their stored figures (metrics, verdict), not their profiles;
:meth:`DatasetService.profile <watchkeeper.datasets.service.DatasetService.profile>`
reads a batch's merged profile when a chart needs it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from watchkeeper.catalog.datasets import DAY, Batch, Dataset, DatasetStore, FailedPart
from watchkeeper.datasets.segments import WHOLE


class DatasetReads:
    """The read methods of :class:`~watchkeeper.datasets.service.DatasetService`,
    over its catalog's ``store``."""

    store: DatasetStore

    def datasets(self) -> list[Dataset]:
        """Every dataset, by name."""
        return self.store.all()

    def dataset(self, name: str) -> Dataset | None:
        """The dataset ``name``, or None when there is none."""
        return self.store.find(name)

    def batches(
        self,
        name: str,
        *,
        segment: str | None = WHOLE,
        granularity: str = DAY,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Batch]:
        """The batches of a segment (``None``: of every segment) and granularity that
        start in ``[start, end)``, in time order (``newest_first``: the other way), at
        most ``limit``; with their figures, without their profiles."""
        return self.store.batches(
            name,
            segment=segment,
            granularity=granularity,
            start=start,
            end=end,
            limit=limit,
            newest_first=newest_first,
        )

    def latest_batch(
        self, name: str, segment: str = WHOLE, granularity: str = DAY
    ) -> Batch | None:
        """The segment's newest batch of that granularity, or None."""
        found = self.batches(
            name, segment=segment, granularity=granularity, limit=1, newest_first=True
        )
        return found[0] if found else None

    def batch(
        self, name: str, segment: str, granularity: str, start: dt.datetime
    ) -> Batch | None:
        """The batch of a segment and granularity that starts at ``start``, or None."""
        return self.store.batch(name, segment, granularity, start)

    def segments(self, name: str) -> list[str]:
        """The keys of the segments that have batches, the whole dataset (``""``) first."""
        return self.store.segments(name)

    def failed_parts(self, name: str, limit: int = 20) -> tuple[int, list[FailedPart]]:
        """How many received profiles of the dataset were set aside (they could not be
        merged), and the latest ``limit`` of them with the reason."""
        return self.store.failed_parts(name, limit)

    def pending_parts(self, name: str) -> int:
        """How many received profiles of the dataset wait to be merged."""
        return self.store.pending_parts(name)

    def monitor_settings(self, name: str) -> dict[tuple[str, str], dict[str, Any]]:
        """The stored monitor settings: (segment, feature) → settings, ``*`` standing
        for every segment or feature."""
        return self.store.monitor_settings(name)

    def channels(self, name: str) -> list[str]:
        """The dataset's own alert channels (apprise URLs), besides the service's."""
        return self.store.channels(name)
