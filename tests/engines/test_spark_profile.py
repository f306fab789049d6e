"""profile_spark: one profile per partition, merged on the driver, as the local engine."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow as pa
import pytest
from spark_tables import assert_same_statistics, needs_java, write_parquet_folder

import watchkeeper
from watchkeeper.baseline import statistics_json
from watchkeeper.profile import DatasetProfile, profile_to_bytes

pytestmark = needs_java


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_parquet_folder(tmp_path_factory.mktemp("parquet") / "train")


@pytest.fixture(scope="module")
def local(folder):
    return watchkeeper.profile(folder)


def rank_error(*profiles: DatasetProfile) -> float:
    return sum(
        max((column.kll.rank_error_bound() for column in p.columns.values()), default=0.0)
        for p in profiles
    )


@pytest.mark.parametrize("partitions", [1, 8])
def test_statistics_match_the_local_engine(spark, folder, local, partitions):
    from watchkeeper.engines.spark import profile_spark

    frame = spark.read.parquet(str(folder))
    frame = frame.coalesce(1) if partitions == 1 else frame.repartition(partitions)
    assert frame.rdd.getNumPartitions() == partitions
    remote = profile_spark(frame)
    assert remote.rows == local.rows == 18_000
    assert_same_statistics(
        json.loads(statistics_json(local)),
        json.loads(statistics_json(remote)),
        rank_error(local, remote),
    )
    # Spark's types reach the profile as the local Parquet reader's
    assert {n: c.arrow_types for n, c in remote.columns.items()} == {
        n: c.arrow_types for n, c in local.columns.items()
    }
    ident_local, ident_remote = local.columns["ident"].distinct, remote.columns["ident"].distinct
    low, high = ident_local.bounds()
    assert not ident_local.is_exact
    assert low <= ident_remote.estimate() <= high


def test_the_same_partitioning_gives_the_same_bytes(spark, folder):
    from watchkeeper.engines.spark import profile_spark

    runs = [profile_spark(spark.read.parquet(str(folder)).repartition(8)) for _ in range(2)]
    assert profile_to_bytes(runs[0]) == profile_to_bytes(runs[1])
    assert statistics_json(runs[0]) == statistics_json(runs[1])


def test_empty_partitions_keep_the_schema(spark):
    from watchkeeper.engines.spark import profile_spark

    few = spark.createDataFrame([(1, "a"), (2, None), (3, "c")], "x long, y string")
    spread = few.repartition(8)
    assert spread.rdd.getNumPartitions() == 8  # five of them hold no rows
    profile = profile_spark(spread)
    assert (profile.rows, list(profile.columns)) == (3, ["x", "y"])
    assert profile.columns["x"].mean == 2.0 and profile.columns["y"].null_count == 1
    empty = profile_spark(spark.createDataFrame([], "x long, y string"))
    assert (empty.rows, list(empty.columns)) == (0, ["x", "y"])


def test_a_wide_table_is_one_spark_job(spark):
    from pyspark.sql import functions as F

    from watchkeeper.engines.spark import profile_spark

    width = 1_500
    wide = spark.range(2_000, numPartitions=2).select(
        *[(F.col("id") * index).alias(f"c{index}") for index in range(width)]
    )
    context = spark.sparkContext
    context.setJobGroup("wide-profile", "profiling a wide table")
    try:
        profile = profile_spark(wide)
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    assert len(profile.columns) == width
    assert profile.columns["c3"].max == 3 * 1_999
    assert len(context.statusTracker().getJobIdsForGroup("wide-profile")) == 1


def test_importing_watchkeeper_does_not_import_pyspark():
    code = (
        "import sys, watchkeeper, watchkeeper.engines, watchkeeper.api;"
        "print('pyspark' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_merge_in_order_is_a_balanced_tree_in_order():
    from watchkeeper.engines.spark import merge_in_order

    def single(value: str) -> DatasetProfile:
        profile = DatasetProfile()
        profile.track(pa.table({value: [1.0]}))
        return profile

    merged = merge_in_order(list("abcde"), single)
    assert list(merged.columns) == list("abcde") and merged.rows == 5


@pytest.mark.parametrize("partitions", [1, 8])
def test_column_groups_merged_on_the_executors_give_the_same_bytes(
    spark, folder, local, partitions
):
    from watchkeeper.checks.rules import parse_rules
    from watchkeeper.engines.spark import PartitionSample, profile_spark
    from watchkeeper.multivariate import sample_bytes

    frame = spark.read.parquet(str(folder))
    frame = frame.coalesce(1) if partitions == 1 else frame.repartition(partitions)
    rules = parse_rules({"columns": {"ident": {"regex": "^id-[0-9]$"}}})
    whole_scanner, grouped_scanner = rules.scanner(), rules.scanner()
    whole_sample, grouped_sample = PartitionSample(size=500), PartitionSample(size=500)
    whole = profile_spark(frame, observers=[whole_scanner, whole_sample])
    # ten columns in groups of three: four groups, the last one short
    grouped = profile_spark(
        frame, observers=[grouped_scanner, grouped_sample], group_columns=3
    )
    assert list(grouped.columns) == list(local.columns)
    assert profile_to_bytes(grouped) == profile_to_bytes(whole)
    assert grouped.rows == local.rows == 18_000
    assert_same_statistics(
        json.loads(statistics_json(local)),
        json.loads(statistics_json(grouped)),
        rank_error(local, grouped),
    )
    # the rule's counts travel beside the groups, absorbed in partition order
    # the same rows of the ten columns' sample (NaN prices compare unequal in Arrow)
    assert sample_bytes(grouped_sample.table()) == sample_bytes(whole_sample.table())
    assert grouped_sample.table().num_rows == 500
    tally, expected = grouped_scanner.tallies["ident"], whole_scanner.tallies["ident"]
    assert (tally.present, tally.mismatched, tally.examples) == (
        expected.present,
        expected.mismatched,
        expected.examples,
    )
    assert tally.present == local.columns["ident"].present
    assert 0 < tally.mismatched < tally.present


def test_column_groups_keep_the_columns_of_empty_partitions(spark):
    from watchkeeper.engines.spark import profile_spark

    few = spark.createDataFrame(
        [(1, "a", 2.5), (2, None, None), (3, "c", 0.5)], "x long, y string, z double"
    )
    spread = few.repartition(8)
    profile = profile_spark(spread, group_columns=1)
    assert (profile.rows, list(profile.columns)) == (3, ["x", "y", "z"])
    assert profile_to_bytes(profile) == profile_to_bytes(profile_spark(spread))
    assert profile.columns["z"].mean == 1.5 and profile.columns["y"].null_count == 1
    empty = profile_spark(spark.createDataFrame([], "x long, y string"), group_columns=1)
    assert (empty.rows, list(empty.columns)) == (0, ["x", "y"])
