"""Profiling a Spark DataFrame: one profile per partition, merged on the driver.

Each partition's Arrow batches go through the same :meth:`DatasetProfile.track` as a
local file's, every column in the same pass, and leave the executor as one row: the
partition's index and its serialised profile. The driver merges those profiles as a
balanced tree in partition order, so the same partitioning gives the same bytes on
every run, whichever executor finished first.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import pyarrow as pa
from pyspark import TaskContext
from pyspark.sql import DataFrame

from watchkeeper.engines.spark.failures import spark_failures
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes

# One partition's answer: its profile, in pieces of at most PIECE_BYTES (one row each) so
# that no single value a JVM copies along the way is as large as a wide table's profile;
# what its observers counted travels with the last piece.
PIECE_BYTES = 8 << 20
RESULT_SCHEMA = "partition INT, profile BINARY, observed BINARY"
_RESULT_ARROW = pa.schema(
    [("partition", pa.int32()), ("profile", pa.binary()), ("observed", pa.binary())]
)
# Values per Arrow batch handed to a partition's profile: a wide table gets fewer rows
# per batch so that an executor's memory does not grow with the number of columns.
BATCH_VALUES = 4_000_000
MAX_BATCH_ROWS = 65_536
# Rows per batch, both where Spark hands Arrow to Python and where its Parquet and ORC
# readers decode: at 10,000 columns Spark's default 4,096-row reader batch is 330 MB.
_BATCH_ROWS_CONFS = (
    "spark.sql.execution.arrow.maxRecordsPerBatch",
    "spark.sql.parquet.columnarReaderBatchSize",
    "spark.sql.orc.columnarReaderBatchSize",
)
# What a wide partition's profile costs on the driver (sketches of a few thousand
# items a column), and how much of it one wave may bring back at once.
PROFILE_BYTES_PER_COLUMN = 48 << 10
WAVE_BYTES = 512 << 20


class Preparer(Protocol):
    """Turns a partition's batches into the batches to profile (e.g. capture lines into
    rows), counting what it met; like an observer, a copy per partition, absorbed in order."""

    def prepare(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]: ...

    def absorb(self, other: Any) -> None: ...


class Observer(Protocol):
    """Something that sees every batch besides the profile (e.g. a regex rule's scanner).

    It is pickled to the executors; each partition observes a fresh copy, and the
    driver's object ``absorb``\\ s the copies in partition order.
    """

    def observe(self, batch: pa.RecordBatch) -> None: ...

    def absorb(self, other: Any) -> None: ...


def profile_spark(
    frame: DataFrame,
    *,
    observers: Sequence[Observer] = (),
    metadata: dict[str, str] | None = None,
    prepare: Preparer | None = None,
) -> DatasetProfile:
    """Profile a pyspark DataFrame on its cluster; the profile a local run would build.

    Every column in the same pass: the Spark jobs are one per wave of partitions (as
    many as the cluster has cores), whatever the number of columns. An empty partition
    still contributes the schema's columns, so an empty DataFrame profiles to its
    columns with no rows.
    ``prepare`` turns the frame's batches into the table to profile (whose columns the
    frame's schema then does not tell).
    """
    names = [] if prepare is not None else list(frame.columns)
    workers = [*observers, *([prepare] if prepare is not None else [])]
    profile_partition = _partition_profiler(names, workers, prepare is not None)
    batch_rows = max(1, min(MAX_BATCH_ROWS, BATCH_VALUES // max(len(names), 1)))
    settings = dict.fromkeys(_BATCH_ROWS_CONFS, str(batch_rows))
    with _confs(frame, settings), warnings.catch_warnings():
        # pyspark warns about pandas versions even though no pandas is involved here
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        if names:
            # pyspark resolves each column by name, and a name with a dot (`0.5`, `a.b`)
            # would be read as a field of a struct: positional names go through instead
            frame = frame.toDF(*[f"_{index}" for index in range(len(names))])
        results = frame.mapInArrow(profile_partition, RESULT_SCHEMA)

        def parts() -> Iterator[bytes]:
            pieces: list[bytes] = []
            for row in _in_partition_order(results, len(names)):
                pieces.append(row["profile"])
                if row["observed"] is None:
                    continue  # more pieces of this partition follow
                for mine, theirs in zip(workers, pickle.loads(row["observed"]), strict=True):
                    mine.absorb(theirs)
                joined, pieces = b"".join(pieces), []
                yield joined

        with spark_failures("profiling on Spark failed"):
            profile = merge_in_order(
                parts(),
                lambda data: profile_from_bytes(bytes(data), "partition"),
                held=_profiles_held(len(names)),
            )
    if profile is None:  # a DataFrame with no partitions at all
        profile = DatasetProfile()
        profile.track(_no_rows(names), parallel=False)
    profile.metadata.update(metadata or {})
    return profile


def _profiles_held(columns: int) -> int:
    """How many merged profiles the driver may keep at once: a wide table's are large."""
    return max(1, WAVE_BYTES // max(columns * PROFILE_BYTES_PER_COLUMN, 1))


def _in_partition_order(results: DataFrame, columns: int) -> Iterator[Any]:
    """The partitions' rows in partition order, fetched a wave of partitions at a time
    (one per core of the cluster, fewer for wide tables): the cores stay busy, and the
    driver holds one wave's profiles, so its memory does not grow with the partitions."""
    session = results.sparkSession
    try:
        context = session.sparkContext
    except Exception:  # Spark Connect has no SparkContext on this side: one collect
        yield from sorted(results.collect(), key=lambda row: row["partition"])
        return
    rdd = results.rdd
    count = rdd.getNumPartitions()
    wave = min(context.defaultParallelism, _profiles_held(columns))
    for start in range(0, count, wave):
        rows = context.runJob(rdd, lambda part: part, list(range(start, min(count, start + wave))))
        # a stable sort: a partition's pieces stay in the order they were made; handed
        # out from the end of a reversed list, so each piece is let go once it is used
        rows.sort(key=lambda row: row["partition"])
        rows.reverse()
        while rows:
            yield rows.pop()


def merge_in_order(
    parts: Iterable[Any], load: Callable[[Any], DatasetProfile], held: int = 64
) -> DatasetProfile | None:
    """Merge ``parts`` (loaded one at a time, as they come) as a balanced tree in their
    order; None when there are none.

    Subtrees of equal size are merged as soon as both are complete (a binary counter),
    and at most ``held`` subtrees are kept (the newest two are merged when one more
    would be), so the tree's shape depends on the number of parts and ``held`` alone:
    the same parts give the same bytes.

    >>> import pyarrow as pa
    >>> def one(x):
    ...     p = DatasetProfile()
    ...     p.track(pa.table({"x": [float(x)]}))
    ...     return p
    >>> merge_in_order([1, 2, 3, 4, 5], one).columns["x"].mean
    3.0
    >>> merge_in_order(range(7), one, held=1).rows
    7
    """
    stack: list[tuple[int, DatasetProfile]] = []
    for part in parts:
        size, node = 1, load(part)
        while stack and (stack[-1][0] == size or len(stack) >= max(held, 1)):
            left_size, left = stack.pop()
            size, node = left_size + size, left.merge(node)
        stack.append((size, node))
    if not stack:
        return None
    merged = stack.pop()[1]
    while stack:
        merged = stack.pop()[1].merge(merged)
    return merged


def _no_rows(names: list[str]) -> pa.Table:
    """The columns alone: a column's type only counts once it holds a value."""
    return pa.Table.from_arrays([pa.nulls(0) for _ in names], names=names)


def _partition_profiler(
    names: list[str], workers: list[Any], prepared: bool
) -> Callable[[Iterable[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def profile_partition(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        profile = DatasetProfile()
        # the schema's columns first, so that an empty partition still has them
        profile.track(_no_rows(names), parallel=False)
        mine = copy.deepcopy(workers)
        observers = mine[:-1] if prepared else mine
        if prepared:
            batches = mine[-1].prepare(batches)
        for batch in batches:
            if names:
                batch = pa.RecordBatch.from_arrays(batch.columns, names=names)
            # executors already run one task per core: no threads of our own
            profile.track(batch, parallel=False)
            for observer in observers:
                observer.observe(batch)
        context = TaskContext.get()
        index = context.partitionId() if context is not None else 0
        encoded = profile_to_bytes(profile)
        starts = range(0, max(len(encoded), 1), PIECE_BYTES)
        for start in starts:
            last = start == starts[-1]
            yield pa.RecordBatch.from_pylist(
                [
                    {
                        "partition": index,
                        "profile": encoded[start : start + PIECE_BYTES],
                        "observed": pickle.dumps(mine) if last else None,
                    }
                ],
                schema=_RESULT_ARROW,
            )

    return profile_partition


@contextmanager
def _confs(frame: DataFrame, settings: dict[str, str]) -> Iterator[None]:
    """Set session options for one job, then put back what the user had."""
    conf = frame.sparkSession.conf
    before = {key: conf.get(key, None) for key in settings}
    for key, value in settings.items():
        conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                conf.unset(key)
            else:
                conf.set(key, value)
