"""The Python API: the same verbs as the command line.

>>> import watchkeeper
>>> import pyarrow as pa
>>> profile = watchkeeper.profile(pa.table({"x": [1.0, 2.0, 3.0]}))
>>> profile.columns["x"].mean
2.0
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import CsvOptions
from watchkeeper.io.options import BATCH_ROWS
from watchkeeper.profile import DatasetProfile, build_profile

if TYPE_CHECKING:
    from watchkeeper.baseline import Baseline
    from watchkeeper.checks.comparison import Comparison
    from watchkeeper.checks.pipeline import CheckOutcome
    from watchkeeper.drift import DriftSettings

__all__ = ["check", "compare", "profile", "suggest_baseline"]


def profile(
    data: object,
    *,
    format: str | None = None,
    csv: CsvOptions | None = None,
    batch_rows: int = BATCH_ROWS,
    storage_options: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    text_columns: dict[str, bool] | None = None,
) -> DatasetProfile:
    """Profile a file, folder, glob, URI or in-memory table.

    ``data`` is anything :func:`watchkeeper.io.read_batches` reads, or a pyspark
    DataFrame, which is profiled on its Spark cluster
    (:func:`watchkeeper.engines.spark.profile_spark`). ``text_columns`` forces columns
    to be free text (True) or not (False); the others are decided from their values.
    """
    from watchkeeper.engines import is_spark_frame, spark_engine

    if is_spark_frame(data):
        return spark_engine().profile_spark(data, text_columns=text_columns)
    return build_profile(
        data,
        format=format,
        csv=csv,
        batch_rows=batch_rows,
        storage_options=storage_options,
        progress=progress,
        text_columns=text_columns,
    )


def suggest_baseline(
    data: object,
    output: str | os.PathLike[str] | None = None,
    *,
    format: str | None = None,
    csv: CsvOptions | None = None,
    batch_rows: int = BATCH_ROWS,
    storage_options: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    title: str | None = None,
    source: str | None = None,
    text_columns: dict[str, bool] | None = None,
) -> Baseline:
    """Profile ``data`` and suggest a baseline from it, as SageMaker's baselining job does.

    ``text_columns`` forces columns to be judged as free text (True) or not (False);
    the others are decided from their values (see :mod:`watchkeeper.profile.text`),
    and the baseline's decision holds for every check against it.

    With ``output``, writes ``statistics.json``, ``constraints.json``, ``report.html``
    (plus ``report.csv`` and ``report.json``) and, for data it reads (here or on Spark),
    a uniform sample of up to 10,000 of its rows for multivariate drift
    (``watchkeeper-sample.parquet``) there, as one set: all are rendered before any is
    written, and a failure leaves ``output`` as it was. ``source`` names the data in
    messages and the report (by default its path or kind).
    """
    from watchkeeper.artifacts import CONSTRAINTS, SAMPLE, STATISTICS
    from watchkeeper.baseline import (
        Baseline,
        constraints_json,
        statistics_json,
        suggest_constraints,
    )
    from watchkeeper.checks.pipeline import describe
    from watchkeeper.engines import is_spark_frame, spark_engine
    from watchkeeper.io.storage import write_files
    from watchkeeper.multivariate import RowSample, sample_bytes
    from watchkeeper.report import render_report

    sampler = None
    if text_columns and isinstance(data, DatasetProfile):
        raise UsageError(
            "text columns cannot be chosen for a profile already built: it decided them"
        )
    if is_spark_frame(data):
        sampler = spark_engine().PartitionSample()
        reference = spark_engine().profile_spark(
            data, observers=[sampler], text_columns=text_columns
        )
    elif isinstance(data, DatasetProfile):
        reference = profile(data)
    else:
        sampler = RowSample()
        reference = build_profile(
            data,
            format=format,
            csv=csv,
            batch_rows=batch_rows,
            storage_options=storage_options,
            progress=progress,
            observers=[sampler.observe],
            text_columns=text_columns,
        )
    sample = sampler.table() if sampler is not None else None
    if sample is not None and not sample.num_columns:
        sample = None  # no column a multivariate detector reads: nothing to keep
    source = source or describe(data)
    if reference.rows == 0:
        raise InputError(f"{source}: no data rows to build a baseline from")
    location = None
    if output is not None:
        location = os.fspath(output)
        suggested = suggest_constraints(reference)
        files = {
            STATISTICS: statistics_json(reference),
            CONSTRAINTS: constraints_json(suggested),
            **render_report(
                reference,
                title=title or "watchkeeper baseline",
                subtitle=source,
                suggested=suggested,
            ),
        }
        if sample is not None:
            files[SAMPLE] = sample_bytes(sample)
        write_files(location, files, storage_options)
    return Baseline.from_profile(reference, location, sample)


def check(data: object, baseline=None, **options) -> CheckOutcome:
    """Judge ``data`` against a baseline (folder, URI or :class:`Baseline`) and/or rules.

    Keyword options are those of :func:`watchkeeper.checks.pipeline.run_check`:
    ``rules``, ``output``, ``drift`` ("default" or "sagemaker"), ``drift_settings``,
    ``multivariate`` ("pca", "classifier" or "off"), ``format``, ``csv``, ``batch_rows``,
    ``storage_options``, ``progress``, ``title``, ``source``. A pyspark DataFrame is
    profiled on its Spark cluster and judged here.
    """
    from watchkeeper.checks.pipeline import run_check
    from watchkeeper.engines import is_spark_frame, spark_engine

    if is_spark_frame(data):
        options.setdefault("profiler", spark_engine().profile_spark)

    return run_check(data, baseline=baseline, **options)


def compare(
    reference: object, current: object, settings: DriftSettings | None = None
) -> Comparison:
    """Judge ``current`` against ``reference`` feature by feature with the drift detector
    the checks use; each is a :class:`DatasetProfile` or data :func:`profile` reads.
    Data for ``current`` is read as a check reads data against its baseline: a column
    is free text where the reference's is.

    The result lists the ``drifted`` features and ``verdicts`` per feature; in a
    notebook it shows each verdict beside the two distributions overlaid.

    >>> import pyarrow as pa
    >>> before = pa.table({"x": [float(i % 50) for i in range(2000)]})
    >>> after = pa.table({"x": [float(i % 50) + 30 for i in range(2000)]})
    >>> compare(before, after).drifted
    ['x']
    """
    from watchkeeper.checks.comparison import compare_profiles

    if not isinstance(reference, DatasetProfile):
        reference = profile(reference)
    if not isinstance(current, DatasetProfile):
        current = profile(current, text_columns=reference.text_choices())
    return compare_profiles(reference, current, settings)
