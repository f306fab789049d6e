"""The Python API on a Spark DataFrame: the same verbs, the same files, the same judge."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from spark_tables import (
    RULES,
    assert_same_statistics,
    assert_same_violations,
    drifted_table,
    needs_java,
    write_parquet_folder,
)

import watchkeeper
from watchkeeper.checks.violations import BASELINE_DRIFT, REGEX

pytestmark = needs_java


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    train = write_parquet_folder(root / "train", files=2, rows=5_000)
    today = root / "today"
    today.mkdir()
    pq.write_table(drifted_table(4_000, seed=7), today / "day.parquet", row_group_size=1_000)
    (root / "rules.yaml").write_text(RULES)
    baseline = root / "baseline"
    watchkeeper.suggest_baseline(train, baseline)
    return root


def test_profile_takes_a_spark_dataframe(spark, data):
    frame = spark.read.parquet(str(data / "train")).repartition(3)
    profile = watchkeeper.profile(frame)
    local = watchkeeper.profile(data / "train")
    assert profile.rows == local.rows == 10_000
    assert profile.columns["count"].min == local.columns["count"].min


def test_suggest_baseline_writes_the_local_engines_files(spark, data, tmp_path):
    frame = spark.read.parquet(str(data / "train")).repartition(4)
    watchkeeper.suggest_baseline(frame, tmp_path / "spark", source="train")
    statistics = json.loads((tmp_path / "spark" / "statistics.json").read_text())
    expected = json.loads((data / "baseline" / "statistics.json").read_text())
    assert_same_statistics(expected, statistics, rank_error=0.02)
    constraints = json.loads((tmp_path / "spark" / "constraints.json").read_text())
    assert constraints == json.loads((data / "baseline" / "constraints.json").read_text())


def test_check_gives_the_local_engines_violations(spark, data, tmp_path):
    options = {"rules": data / "rules.yaml"}
    local = watchkeeper.check(data / "today", data / "baseline", **options)
    frame = spark.read.parquet(str(data / "today")).repartition(5)
    remote = watchkeeper.check(frame, data / "baseline", output=tmp_path / "out", **options)
    kinds = {v.constraint_check_type for v in local.violations}
    assert {BASELINE_DRIFT, REGEX} <= kinds
    # drift distances and range shares are read from quantile sketches
    assert_same_violations(local.violations, remote.violations, tolerance=0.02)
    # every value is scanned on the executors; the shuffle only reorders the examples
    (mine,) = [v for v in local.violations if v.constraint_check_type == REGEX]
    (theirs,) = [v for v in remote.violations if v.constraint_check_type == REGEX]
    assert (theirs.observed, theirs.details["mismatched"]) == (mine.observed, 96)
    assert sorted(theirs.details["examples"]) == sorted(mine.details["examples"])
    assert (tmp_path / "out" / "constraint_violations.json").exists()
