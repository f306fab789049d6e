"""The Spark engine: profiles per partition with ``mapInArrow``, merged in partition order
(by the driver, or for wide tables by the executors a group of columns at a time).

>>> from watchkeeper.engines.spark import profile_spark, spark_session  # doctest: +SKIP
>>> profile = profile_spark(spark_session("local[2]").read.parquet("data/"))  # doctest: +SKIP
"""

from __future__ import annotations

from watchkeeper.engines.spark.captures import CaptureLines, profile_capture_files
from watchkeeper.engines.spark.profiling import merge_in_order, profile_spark
from watchkeeper.engines.spark.reading import read_spark
from watchkeeper.engines.spark.sampling import PartitionSample
from watchkeeper.engines.spark.session import DEFAULT_MASTER, spark_session

__all__ = [
    "DEFAULT_MASTER",
    "CaptureLines",
    "PartitionSample",
    "merge_in_order",
    "profile_capture_files",
    "profile_spark",
    "read_spark",
    "spark_session",
]
