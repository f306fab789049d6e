"""A real standalone cluster (master + worker on 127.0.0.1) driven by the command line:
the local engine's statistics with 1 and 8 partitions, and the same violations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from spark_tables import (
    RULES,
    assert_same_statistics,
    assert_same_verdicts,
    drifted_table,
    needs_java,
    rank_error_of,
    write_parquet_folder,
)

pytestmark = needs_java


def run(cluster, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        env={**cluster.env, "COLUMNS": "200", "NO_COLOR": "1"},
        check=False,
        timeout=600,
    )


def on(cluster, *confs: str) -> list[str]:
    options = ["--engine", "spark", "--spark-master", cluster.master_url]
    for conf in confs:
        options += ["--spark-conf", conf]
    return options


@pytest.fixture(scope="module")
def data(tmp_path_factory, spark_cluster) -> Path:
    root = tmp_path_factory.mktemp("cluster")
    # four files of two row groups each: Spark can cut them into exactly 8 partitions
    train = write_parquet_folder(root / "train", files=4, rows=3_000)
    (root / "today").mkdir()
    pq.write_table(drifted_table(3_000, seed=5), root / "today" / "day.parquet")
    (root / "rules.yaml").write_text(RULES)
    result = run(spark_cluster, "baseline", str(train), "-o", str(root / "local"), "--json")
    assert result.returncode == 0, result.stderr
    return root


def partitions(data: Path, count: int) -> list[str]:
    if count == 1:
        return ["spark.sql.files.maxPartitionNum=1"]
    largest = max(path.stat().st_size for path in (data / "train").iterdir())
    return [
        f"spark.sql.files.maxPartitionBytes={largest // 2 + 1}",
        "spark.sql.files.openCostInBytes=0",
    ]


@pytest.mark.parametrize("count", [1, 8])
def test_baseline_on_the_cluster_is_the_local_baseline(spark_cluster, data, tmp_path, count):
    out = tmp_path / "spark"
    result = run(
        spark_cluster, "baseline", str(data / "train"), "-o", str(out), "--json",
        *on(spark_cluster, *partitions(data, count)),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = json.loads((data / "local" / "statistics.json").read_text())
    actual = json.loads((out / "statistics.json").read_text())
    assert_same_statistics(expected, actual, rank_error_of(expected, actual))
    assert json.loads((out / "constraints.json").read_text()) == json.loads(
        (data / "local" / "constraints.json").read_text()
    )


def test_check_on_the_cluster_gives_the_local_violations(spark_cluster, data, tmp_path):
    check = ["check", str(data / "today"), "--baseline", str(data / "local")]
    check += ["--rules", str(data / "rules.yaml"), "--json"]
    local = run(spark_cluster, *check, "-o", str(tmp_path / "local"))
    remote = run(
        spark_cluster, *check, "-o", str(tmp_path / "spark"),
        *on(spark_cluster, *partitions(data, 8)),
    )  # fmt: skip
    assert (local.returncode, remote.returncode) == (1, 1), remote.stderr
    mine, theirs = json.loads(local.stdout)["violations"], json.loads(remote.stdout)["violations"]
    assert len(mine) >= 3
    assert_same_verdicts(mine, theirs)
