"""A monitoring window's capture files read by Spark and profiled in the same pass.

Spark reads the files' lines as text; each Arrow batch of lines is parsed by the
capture reader's own functions (the same corrupt-line rules, the same window filter,
the same assembly into rows), narrowed to the judged features by ``select``, and
profiled where it lies. The counts of records and corrupt lines travel back with the
partition's profile and add up on the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import SparkSession

from watchkeeper.capture.reader import parse_capture_file, window_of
from watchkeeper.engines.spark.profiling import profile_spark
from watchkeeper.profile import DatasetProfile


@dataclass
class CaptureLines:
    """Parses batches of capture lines into the window's rows, counting as it goes."""

    start: datetime
    end: datetime
    select: Callable[[pa.Table], pa.Table] | None = None
    records: int = 0
    corrupt_lines: int = 0
    mismatched_records: int = 0

    def prepare(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if not batch.num_rows:
                continue
            # one byte string of the batch's lines, joined without a Python loop; bytes,
            # not text, so that the parser meets invalid UTF-8 as the local reader does
            lines = batch.column(0).cast(pa.binary())
            joined = pc.binary_join(pa.ListArray.from_arrays([0, len(lines)], lines), b"\n")
            records, corrupt = parse_capture_file(joined[0].as_py())
            window = window_of(records, corrupt, 0, self.start, self.end)
            self.records += window.records
            self.corrupt_lines += window.corrupt_lines
            self.mismatched_records += window.mismatched_records
            table = self.select(window.table) if self.select else window.table
            yield from table.to_batches()

    def absorb(self, other: CaptureLines) -> None:
        self.records += other.records
        self.corrupt_lines += other.corrupt_lines
        self.mismatched_records += other.mismatched_records


def profile_capture_files(
    session: SparkSession,
    files: list[str],
    start: datetime,
    end: datetime,
    select: Callable[[pa.Table], pa.Table] | None = None,
    observers: Sequence[Any] = (),
    text_columns: dict[str, bool] | None = None,
) -> tuple[DatasetProfile, CaptureLines]:
    """The profile of the records of ``files`` with start <= time < end, and the counts;
    ``observers`` see the records' rows and ``text_columns`` are chosen as
    :func:`profile_spark`'s are."""
    counts = CaptureLines(start, end, select)
    profile = profile_spark(
        session.read.text(files), observers=observers, prepare=counts, text_columns=text_columns
    )
    return profile, counts
