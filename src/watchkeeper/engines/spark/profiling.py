"""Profiling a Spark DataFrame: one profile per partition, merged in partition order.

Each partition's Arrow batches go through the same :meth:`DatasetProfile.track` as a
local file's, every column in the same pass. A table of up to ``DRIVER_MERGE_COLUMNS``
columns sends each partition's whole profile to the driver, which merges them. A wider
table's profile would not fit the driver: each partition's profile leaves its executor
cut into column groups, Spark brings each group's slices together on one executor, which
merges them, and the driver fetches the merged groups in column order and sets their
columns side by side. Either way the profiles are merged as a balanced tree in partition
order (a column's merge does not depend on the other columns), so the same partitioning
gives the same bytes on every run and on both paths, whichever executor finished first.
"""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import pyarrow as pa
from pyspark import TaskContext
from pyspark.sql import DataFrame

from watchkeeper.engines.spark.failures import spark_failures
from watchkeeper.engines.spark.text_choice import settle_text_columns
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes

# One partition's answer, one row per value: its profile, whole in pieces of at most
# PIECE_BYTES (so that no single value a JVM copies along the way is as large as a wide
# table's profile), or one slice per column group; what its observers counted travels
# with the last piece, or as a group of its own after the column groups.
PIECE_BYTES = 8 << 20
RESULT_SCHEMA = "grp INT, partition INT, profile BINARY, observed BINARY"
_RESULT_ARROW = pa.schema(
    [
        ("grp", pa.int32()),
        ("partition", pa.int32()),
        ("profile", pa.binary()),
        ("observed", pa.binary()),
    ]
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
# Up to this many columns the driver merges whole partition profiles (a few tens of MB
# each at most, and no shuffle); wider tables are merged on the executors in groups of
# GROUP_COLUMNS columns, a few MB of binary profile per partition and group.
DRIVER_MERGE_COLUMNS = 2_048
GROUP_COLUMNS = 256


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
    group_columns: int | None = None,
    text_columns: Mapping[str, bool] | None = None,
) -> DatasetProfile:
    """Profile a pyspark DataFrame on its cluster; the profile a local run would build.

    Every column in the same pass: the Spark jobs are one per wave of partitions (as
    many as the cluster has cores), whatever the number of columns. An empty partition
    still contributes the schema's columns, so an empty DataFrame profiles to its
    columns with no rows.
    ``prepare`` turns the frame's batches into the table to profile (whose columns the
    frame's schema then does not tell).
    ``group_columns`` is the number of columns per group merged on the executors
    (default: none up to ``DRIVER_MERGE_COLUMNS`` columns, else ``GROUP_COLUMNS``); the
    profile is the same whichever it is.
    ``text_columns`` forces columns to be free text (True) or not (False); each other
    string column is free text in every partition or in none, as the first partition
    to decide chose (see :mod:`watchkeeper.engines.spark.text_choice`).
    """
    names = [] if prepare is not None else list(frame.columns)
    workers = [*observers, *([prepare] if prepare is not None else [])]
    groups = _column_groups(names, group_columns)
    batch_rows = max(1, min(MAX_BATCH_ROWS, BATCH_VALUES // max(len(names), 1)))
    settings = dict.fromkeys(_BATCH_ROWS_CONFS, str(batch_rows))
    with _confs(frame, settings), warnings.catch_warnings():
        # pyspark warns about pandas versions even though no pandas is involved here
        warnings.filterwarnings("ignore", category=FutureWarning, module="pyspark")
        if names:
            # pyspark resolves each column by name, and a name with a dot (`0.5`, `a.b`)
            # would be read as a field of a struct: positional names go through instead
            frame = frame.toDF(*[f"_{index}" for index in range(len(names))])
        forced = dict(text_columns or {})
        profile = _profiled(frame, names, workers, prepare is not None, groups, forced)
        if profile is not None:
            settle_text_columns(profile, frame, names, forced, prepare, _text_only)
    if profile is None:  # a DataFrame with no partitions at all
        profile = DatasetProfile()
        profile.track(_no_rows(names), parallel=False)
    profile.metadata.update(metadata or {})
    return profile


def _profiled(
    frame: DataFrame,
    names: list[str],
    workers: list[Any],
    prepared: bool,
    groups: list[list[str]] | None,
    text_columns: dict[str, bool],
) -> DatasetProfile | None:
    profile_partition = _partition_profiler(names, workers, prepared, groups, text_columns)
    results = frame.mapInArrow(profile_partition, RESULT_SCHEMA)
    with spark_failures("profiling on Spark failed"):
        if groups is not None and _has_context(results):
            return _merged_by_groups(results, groups, workers)
        return _merged_on_driver(results, workers)


def _text_only(
    frame: DataFrame, names: list[str], prepare: Any | None, text_columns: dict[str, bool]
) -> DatasetProfile | None:
    """The profile of ``frame`` with no observers, merged whole on the driver."""
    workers = [prepare] if prepare is not None else []
    return _profiled(frame, names, workers, prepare is not None, None, text_columns)


def _column_groups(names: list[str], group_columns: int | None) -> list[list[str]] | None:
    """The column groups merged on the executors, or None: whole profiles to the driver."""
    if group_columns is None:
        group_columns = GROUP_COLUMNS if len(names) > DRIVER_MERGE_COLUMNS else len(names)
    if not names or group_columns >= len(names):
        return None
    size = max(1, group_columns)
    return [names[start : start + size] for start in range(0, len(names), size)]


def _has_context(results: DataFrame) -> bool:
    try:
        return results.sparkSession.sparkContext is not None
    except Exception:  # Spark Connect: no SparkContext, no RDDs on this side
        return False


def _merged_on_driver(results: DataFrame, workers: list[Any]) -> DatasetProfile | None:
    def parts() -> Iterator[bytes]:
        pieces: list[bytes] = []
        for row in _in_partition_order(results):
            pieces.append(row["profile"])
            if row["observed"] is None:
                continue  # more pieces of this partition follow
            _absorb(workers, row["observed"])
            joined, pieces = b"".join(pieces), []
            yield joined

    return merge_in_order(parts(), _load_partition)


def _merged_by_groups(
    results: DataFrame, groups: list[list[str]], workers: list[Any]
) -> DatasetProfile | None:
    """Each column group's partition slices merged on an executor (group ``g`` is shuffle
    partition ``g``, the observers' counts the last one), fetched in column order."""
    keys = len(groups) + 1
    by_group = results.rdd.map(lambda row: (row[0], (row[1], row[2], row[3])))
    merged = by_group.partitionBy(keys, lambda key: key).mapPartitions(_merge_group)
    profile: DatasetProfile | None = None
    for key, data in _rdd_in_order(merged, results.sparkSession.sparkContext.defaultParallelism):
        if key == len(groups):
            for observed in pickle.loads(data):
                _absorb(workers, observed)
            continue
        part = _load_partition(data)
        if profile is None:
            profile = DatasetProfile()
            profile.rows = part.rows
        profile.columns.update(part.columns)
    return profile


def _merge_group(rows: Iterable[tuple[int, tuple[int, bytes, bytes | None]]]) -> Iterator[Any]:
    """One group's slices, merged in partition order; the observers' group as a list."""
    collected = sorted(rows, key=lambda row: row[1][0])
    if not collected:
        return
    key = collected[0][0]
    if collected[0][1][2] is not None:  # the observers' group, absorbed here in order
        merged: list[Any] | None = None
        for _, (_, _, observed) in collected:
            if merged is None:
                merged = pickle.loads(observed)
            else:
                _absorb(merged, observed)
        # one copy travels to the driver, however many partitions (a row sample each)
        yield key, pickle.dumps([pickle.dumps(merged)])
        return
    slices = (data for _, (_, data, _) in collected)
    yield key, profile_to_bytes(merge_in_order(slices, _load_partition))


def _load_partition(data: bytes) -> DatasetProfile:
    return profile_from_bytes(bytes(data), "partition")


def _absorb(workers: list[Any], observed: bytes) -> None:
    for mine, theirs in zip(workers, pickle.loads(observed), strict=True):
        mine.absorb(theirs)


def _in_partition_order(results: DataFrame) -> Iterator[Any]:
    """The partitions' rows in partition order, fetched a wave of partitions at a time
    (one per core of the cluster): the cores stay busy, and the driver holds one wave's
    profiles, so its memory does not grow with the partitions."""
    session = results.sparkSession
    if not _has_context(results):  # Spark Connect: one collect
        yield from sorted(results.collect(), key=lambda row: row["partition"])
        return
    # a stable sort: a partition's pieces stay in the order they were made
    yield from _rdd_in_order(results.rdd, session.sparkContext.defaultParallelism, "partition")


def _rdd_in_order(rdd: Any, wave: int, key: str | None = None) -> Iterator[Any]:
    """An RDD's items partition by partition, a wave of partitions per Spark job; within
    a wave sorted by ``key`` (stable), handed out from the end of a reversed list so that
    each item is let go once it is used."""
    count = rdd.getNumPartitions()
    context = rdd.context
    for start in range(0, count, max(wave, 1)):
        wanted = list(range(start, min(count, start + max(wave, 1))))
        items = context.runJob(rdd, lambda part: part, wanted)
        if key is not None:
            items.sort(key=lambda item: item[key])
        items.reverse()
        while items:
            yield items.pop()


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
    names: list[str],
    workers: list[Any],
    prepared: bool,
    groups: list[list[str]] | None,
    text_columns: dict[str, bool],
) -> Callable[[Iterable[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def profile_partition(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        profile = DatasetProfile(text_columns=text_columns)
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
        observed = pickle.dumps(mine)
        if groups is None:
            yield from _whole(profile, index, observed)
        else:
            yield from _sliced(profile, groups, index, observed)

    return profile_partition


def _whole(profile: DatasetProfile, index: int, observed: bytes) -> Iterator[pa.RecordBatch]:
    encoded = profile_to_bytes(profile)
    starts = range(0, max(len(encoded), 1), PIECE_BYTES)
    for start in starts:
        last = start == starts[-1]
        piece = encoded[start : start + PIECE_BYTES]
        yield _result_row(0, index, piece, observed if last else None)


def _sliced(
    profile: DatasetProfile, groups: list[list[str]], index: int, observed: bytes
) -> Iterator[pa.RecordBatch]:
    for key, names in enumerate(groups):
        part = DatasetProfile()
        part.rows = profile.rows
        part.columns = {name: profile.columns[name] for name in names}
        yield _result_row(key, index, profile_to_bytes(part), None)
    yield _result_row(len(groups), index, b"", observed)


def _result_row(key: int, index: int, data: bytes, observed: bytes | None) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [{"grp": key, "partition": index, "profile": data, "observed": observed}],
        schema=_RESULT_ARROW,
    )


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
