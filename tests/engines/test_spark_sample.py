"""A baseline built on Spark keeps the local engine's row sample, so multivariate drift
is judged against it wherever the check runs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from spark_tables import needs_java

import watchkeeper
from watchkeeper.checks.violations import MULTIVARIATE_DRIFT
from watchkeeper.engines.spark import PartitionSample, profile_spark

pytestmark = needs_java
SAMPLE = "watchkeeper-sample.parquet"


def correlated(rows: int, rho: float, seed: int) -> pa.Table:
    """``x`` and ``y`` standard normal with correlation ``rho``, ``z`` noise, ``plan`` a
    category of three, ``id`` a value per row: no column's own distribution hangs on ``rho``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=rows)
    plan = rng.choice(["basic", "plus", "premium"], size=rows, p=[0.5, 0.3, 0.2])
    ids = [f"r{seed}-{i}" for i in range(rows)]
    return pa.table({"x": x, "y": y, "z": rng.normal(size=rows), "plan": plan, "id": ids})


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Four Parquet files of 4,000 correlated rows each, a file of the same relation and
    one whose correlation is flipped."""
    root = tmp_path_factory.mktemp("spark-sample")
    (root / "train").mkdir()
    for index in range(4):
        pq.write_table(correlated(4_000, 0.8, 10 + index), root / "train" / f"part-{index}.parquet")
    pq.write_table(correlated(5_000, -0.8, 3), root / "flipped.parquet")
    pq.write_table(correlated(5_000, 0.8, 2), root / "same.parquet")
    return root


def test_a_spark_baseline_keeps_a_bounded_sample_that_catches_a_flipped_correlation(
    spark, data, tmp_path
):
    frame = spark.read.parquet(str(data / "train")).repartition(3)
    baseline = watchkeeper.suggest_baseline(frame, tmp_path / "baseline")
    sample = pq.read_table(tmp_path / "baseline" / SAMPLE)
    # the local engine's size and columns: the identifier column is not a category
    assert sample.num_rows == 10_000
    assert sample.column_names == ["x", "y", "z", "plan"]
    assert baseline.sample.equals(sample)
    assert np.corrcoef(sample["x"].to_numpy(), sample["y"].to_numpy())[0, 1] > 0.75

    local = watchkeeper.check(data / "flipped.parquet", tmp_path / "baseline")
    remote = watchkeeper.check(spark.read.parquet(str(data / "flipped.parquet")),
                               tmp_path / "baseline")  # fmt: skip
    quiet = watchkeeper.check(data / "same.parquet", tmp_path / "baseline")
    for outcome in (local, remote):
        (found,) = [v for v in outcome.violations if v.constraint_check_type == MULTIVARIATE_DRIFT]
        assert found.feature_name == "x, y, z, plan"
    assert remote.multivariate.figure == pytest.approx(local.multivariate.figure, rel=1e-9)
    assert MULTIVARIATE_DRIFT not in {v.constraint_check_type for v in quiet.violations}


def test_the_sample_is_uniform_over_partitions_and_the_same_on_every_run(spark):
    # 12,000 rows in 4 partitions of very different sizes: a uniform sample of 3,000
    # keeps each partition's rows in proportion to its size
    sizes = [600, 1_400, 4_000, 6_000]
    starts = np.cumsum([0, *sizes]).tolist()
    rows = spark.sparkContext.parallelize(range(4), 4).flatMap(
        lambda part: ((float(x), part) for x in range(starts[part], starts[part + 1]))
    )
    frame = spark.createDataFrame(rows, "x DOUBLE, part INT")
    assert frame.rdd.getNumPartitions() == 4
    samples = []
    for _ in range(2):
        sampler = PartitionSample(size=3_000)
        profile_spark(frame, observers=[sampler])
        samples.append(sampler.table())
    first, again = samples
    assert first.num_rows == 3_000 and first.equals(again)
    assert sampler.sample.rows_seen == 12_000
    parts = np.bincount(first["part"].to_numpy().astype(int), minlength=4)
    expected = np.array(sizes) * 3_000 / 12_000
    # a hypergeometric draw: within 5 sd of its mean in each partition
    spread = np.sqrt(expected * (1 - np.array(sizes) / 12_000) * (9_000 / 11_999))
    assert np.all(np.abs(parts - expected) < 5 * spread), parts
    assert len(np.unique(first["x"].to_numpy())) == 3_000
