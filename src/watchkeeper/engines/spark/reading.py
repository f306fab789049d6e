"""Files read by Spark the way the local readers read them.

The files are the ones the local engine would read (the same listing of folders and
globs, hidden files left out); Spark parses them. CSV is read as text, as the profile
classifies text values itself, with the local reader's null spellings, header rule and
quoting; JSON Lines keep the column order of the first records rather than Spark's
alphabetical one. Locations only Hadoop can list (``s3a://``, ``hdfs://``, ``abfs://``
...) go to Spark as they are, with their format from ``format`` or their extension.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from watchkeeper.engines.spark.failures import spark_failures
from watchkeeper.errors import UsageError
from watchkeeper.io import CsvOptions
from watchkeeper.io.csvfile import first_row_is_numeric
from watchkeeper.io.files import ByteCounter, DataFile, normalise_format, resolve, split_extension
from watchkeeper.io.messages import encoding_hint
from watchkeeper.io.text import read_head

LOCAL_SCHEMES = ("file://",)


def read_spark(
    session: SparkSession,
    source: str,
    *,
    format: str | None = None,
    csv: CsvOptions | None = None,
) -> DataFrame:
    """A DataFrame of the CSV, TSV, Parquet or JSON Lines files ``source`` stands for."""
    with spark_failures(f"{source}: Spark cannot read it"):
        return _frame(session, source, format, csv)


def _frame(
    session: SparkSession, source: str, format: str | None, csv: CsvOptions | None
) -> DataFrame:
    chosen = normalise_format(format)
    options = csv or CsvOptions()
    if "://" in source and not source.startswith(LOCAL_SCHEMES):
        kind = chosen or split_extension(source)[0]
        if kind is None:
            raise UsageError(
                f"{source}: Spark reads this location itself; give its format with "
                "--format (csv, tsv, parquet or jsonl)"
            )
        return _read(session, kind, [source], None, options)
    files = resolve(source, None, chosen)
    frames = []
    for kind in dict.fromkeys(file.format for file in files):
        group = [file for file in files if file.format == kind]
        frames.append(_read(session, kind, [file.fs_path for file in group], group[0], options))
    return reduce(lambda left, right: left.unionByName(right, allowMissingColumns=True), frames)


def _read(
    session: SparkSession,
    kind: str,
    paths: Sequence[str],
    first: DataFile | None,
    options: CsvOptions,
) -> DataFrame:
    if kind == "parquet":
        return session.read.parquet(*paths)
    if kind == "jsonl":
        frame = session.read.json(list(paths))
        return frame.select(*_first_seen(frame.columns, first)) if first else frame
    return _read_csv(session, kind, paths, first, options)


def _read_csv(
    session: SparkSession,
    kind: str,
    paths: Sequence[str],
    first: DataFile | None,
    options: CsvOptions,
) -> DataFrame:
    delimiter = "\t" if kind == "tsv" and options.delimiter == "," else options.delimiter
    header = options.header
    if header is None:
        header = first is None or not first_row_is_numeric(
            _head(first, options.encoding), delimiter, options.quote_char
        )
    frame = (
        session.read.option("header", header)
        .option("sep", delimiter)
        .option("quote", options.quote_char)
        .option("escape", options.quote_char)  # doubled quotes, as RFC 4180 and Arrow
        .option("encoding", options.encoding)
        .option("multiLine", True)  # quoted fields may hold newlines, as locally
        .option("inferSchema", False)
        .csv(list(paths))
    )
    if options.column_names is not None:
        frame = frame.toDF(*options.column_names)
    nulls = list(options.null_values)
    return frame.select(
        *[
            F.when(F.col(quoted(name)).isin(nulls), None).otherwise(F.col(quoted(name))).alias(name)
            for name in frame.columns
        ]
    )


def _head(file: DataFile, encoding: str) -> str:
    counter = ByteCounter(file.size)
    return read_head(file, counter, encoding=encoding, what="CSV", hint=encoding_hint()).text


def _first_seen(columns: list[str], first: DataFile) -> list[str]:
    """``columns`` with the keys of the first file's first records first, in their order."""
    order: dict[str, None] = {}
    for line in _head(first, "utf-8").splitlines()[:-1] or []:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            order.update(dict.fromkeys(record))
    known = [name for name in order if name in columns]
    return [quoted(name) for name in [*known, *(c for c in columns if c not in order)]]


def quoted(name: str) -> str:
    """A column name as Spark SQL reads it literally, dots and backticks included.

    >>> quoted("a.b`c")
    '`a.b``c`'
    """
    return "`" + name.replace("`", "``") + "`"
