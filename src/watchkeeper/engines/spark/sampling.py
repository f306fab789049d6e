"""A baseline's row sample drawn on Spark: one bounded sample per partition, merged.

Each partition's copy of :class:`PartitionSample` keeps a :class:`RowSample` seeded with
the base seed and the partition's number, so the partitions draw independent keys; the
driver merges the copies in partition order, keeping the rows of the smallest keys of
all. Every row of the input is as likely to be kept as on one machine, the same data and
partitioning give the same rows, and the driver holds at most two samples' rows at once.
"""

from __future__ import annotations

import pyarrow as pa
from pyspark import TaskContext

from watchkeeper.multivariate import SAMPLE_ROWS, RowSample


class PartitionSample:
    """An observer for :func:`~watchkeeper.engines.spark.profile_spark` whose
    :meth:`table` is the sample :meth:`RowSample.table` of the whole frame."""

    def __init__(self, size: int = SAMPLE_ROWS, seed: int = 0) -> None:
        self.size = size
        self.seed = seed
        self.sample = RowSample(size, seed)
        self.partition: int | None = None

    def observe(self, batch: pa.RecordBatch) -> None:
        if self.partition is None:
            context = TaskContext.get()
            self.partition = context.partitionId() if context is not None else 0
            self.sample = RowSample(self.size, seed=[self.seed, self.partition])
        self.sample.observe(batch)

    def absorb(self, other: PartitionSample) -> None:
        self.sample.merge(other.sample)

    def table(self) -> pa.Table:
        return self.sample.table()
