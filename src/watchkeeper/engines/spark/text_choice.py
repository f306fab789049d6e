"""One choice per string column on Spark: free text in every partition, or in none.

A local run decides whether a column is free text on the first batch that holds text,
and every later batch follows (see :mod:`watchkeeper.profile.text`). On Spark each
partition decides on its own first batch, which for nearly every column gives every
partition the same answer. Where partitions disagree, the merged column would keep the
text of only some of its rows; so :func:`settle_text_columns` finds such columns after
the merge (their text describes fewer values than the column holds), asks the first
partition that decides them, in partition order, and makes the whole column follow:
a "no" drops the text, a "yes" describes every row's text in one more pass over those
columns alone. Columns the caller forced, or a baseline decided, are never split.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pyarrow as pa
from pyspark import TaskContext
from pyspark.sql import DataFrame

from watchkeeper.engines.spark.failures import spark_failures
from watchkeeper.profile import DatasetProfile

_RESULT_SCHEMA = "partition INT, choices STRING"
_RESULT_ARROW = pa.schema([("partition", pa.int32()), ("choices", pa.string())])

# profiled(frame, names, prepare, text_columns): the frame's profile, or None
Profiled = Callable[[DataFrame, list[str], Any, dict[str, bool]], DatasetProfile | None]


def split_columns(profile: DatasetProfile, forced: Mapping[str, bool]) -> list[str]:
    """The columns some partitions read as free text and others did not."""
    return [
        name
        for name, column in profile.columns.items()
        if name not in forced and column.text is not None and column.text.count < column.present
    ]


def settle_text_columns(
    profile: DatasetProfile,
    frame: DataFrame,
    names: list[str],
    forced: Mapping[str, bool],
    prepare: Any | None,
    profiled: Profiled,
) -> None:
    """Make every split column of ``profile`` follow its first deciding partition.

    ``frame``'s columns are named by position (``_0``, ``_1``…) and ``names`` gives
    their names; with ``prepare`` (which turns a partition's batches into the rows to
    profile) ``names`` is empty.
    """
    split = split_columns(profile, forced)
    if not split:
        return
    first = first_choices(frame, names, forced, prepare, split)
    texts = [name for name in split if first.get(name, True)]
    for name in split:
        if name not in texts:
            profile.columns[name].text, profile.columns[name].text_choice = None, False
    if not texts:
        return
    only, kept, preparer = _only(frame, names, prepare, texts)
    again = profiled(only, kept, preparer, dict.fromkeys(texts, True))
    for name in texts:
        column = profile.columns[name]
        column.text = again.columns[name].text if again is not None else None
        column.text_choice = True


def first_choices(
    frame: DataFrame,
    names: list[str],
    forced: Mapping[str, bool],
    prepare: Any | None,
    columns: list[str],
) -> dict[str, bool]:
    """Each of ``columns``' choice in the first partition that makes one: a partition
    reads its batches only until it has decided them all."""
    only, kept, preparer = _only(frame, names, prepare, columns)
    decide = _decider(kept, dict(forced), preparer)
    with spark_failures("deciding the free-text columns on Spark failed"):
        rows = only.mapInArrow(decide, _RESULT_SCHEMA).collect()
    chosen: dict[str, bool] = {}
    for row in sorted(rows, key=lambda row: row["partition"]):
        for name, choice in json.loads(row["choices"]).items():
            chosen.setdefault(name, choice)
    return chosen


def _only(
    frame: DataFrame, names: list[str], prepare: Any | None, columns: list[str]
) -> tuple[DataFrame, list[str], Any | None]:
    """``frame`` (positional names), ``names`` and ``prepare`` narrowed to ``columns``."""
    if prepare is not None:
        return frame, [], _Narrowed(copy.deepcopy(prepare), columns)
    wanted = set(columns)
    indices = [index for index, name in enumerate(names) if name in wanted]
    return frame.select(*[f"_{index}" for index in indices]), [names[i] for i in indices], None


class _Narrowed:
    """A preparer whose rows keep ``columns`` alone; what it counts is not wanted."""

    def __init__(self, prepare: Any, columns: list[str]) -> None:
        self.prepare_all, self.columns = prepare, columns

    def prepare(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in self.prepare_all.prepare(batches):
            yield batch.select([name for name in self.columns if name in batch.schema.names])

    def absorb(self, other: Any) -> None:
        pass


def _decider(names: list[str], forced: dict[str, bool], prepare: Any | None):
    def decide(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        profile = DatasetProfile(text_columns=forced)
        if prepare is not None:
            batches = copy.deepcopy(prepare).prepare(batches)
        for batch in batches:
            if names:
                batch = pa.RecordBatch.from_arrays(batch.columns, names=names)
            profile.track(batch, parallel=False)
            if all(column.text_choice is not None for column in profile.columns.values()):
                break  # the rest of the partition is not read
        choices = {
            name: column.text_choice
            for name, column in profile.columns.items()
            if column.text_choice is not None
        }
        context = TaskContext.get()
        index = context.partitionId() if context is not None else 0
        yield pa.RecordBatch.from_pylist(
            [{"partition": index, "choices": json.dumps(choices)}], schema=_RESULT_ARROW
        )

    return decide
