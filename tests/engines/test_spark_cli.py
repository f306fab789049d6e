"""``--engine spark`` on the command line: the local engine's files and verdicts."""

from __future__ import annotations

import json
import os
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
    mixed_table,
    needs_java,
    rank_error_of,
    write_csv,
    write_parquet_folder,
)

pytestmark = needs_java


def run_cli(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "watchkeeper"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, check=False, timeout=600
    )


def statistics(folder: Path) -> dict:
    return json.loads((folder / "statistics.json").read_text())


def violations(result: subprocess.CompletedProcess) -> list[dict]:
    return json.loads(result.stdout)["violations"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    write_parquet_folder(root / "train", files=3, rows=4_000)
    (root / "today").mkdir()
    pq.write_table(drifted_table(3_000, seed=11), root / "today" / "day.parquet")
    (root / "rules.yaml").write_text(RULES)
    result = run_cli("baseline", str(root / "train"), "-o", str(root / "local"), "--json")
    assert result.returncode == 0, result.stderr
    return root


def test_baseline_and_check_on_spark_match_the_local_engine(data, tmp_path):
    spark = tmp_path / "spark"
    result = run_cli(
        "baseline", str(data / "train"), "-o", str(spark), "--json",
        "--engine", "spark", "--spark-master", "local[2]",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected, actual = statistics(data / "local"), statistics(spark)
    assert_same_statistics(expected, actual, rank_error_of(expected, actual))
    assert (spark / "watchkeeper-sample.parquet").exists()

    check = ["check", str(data / "today"), "--baseline", str(data / "local"), "--json"]
    check += ["--rules", str(data / "rules.yaml")]
    local = run_cli(*check, "-o", str(tmp_path / "local-check"))
    remote = run_cli(
        *check, "-o", str(tmp_path / "spark-check"), "--engine", "spark",
        "--spark-master", "local[2]",
    )  # fmt: skip
    assert (local.returncode, remote.returncode) == (1, 1), remote.stderr
    assert len(violations(local)) >= 3
    assert_same_verdicts(violations(local), violations(remote))
    assert json.loads(remote.stdout)["source"] == str(data / "today")


def test_text_choices_on_the_command_line_hold_on_spark(data, tmp_path):
    """`--text` makes a column of identifiers free text on Spark as it does locally."""
    common = [str(data / "train"), "--json", "--text", "ident"]
    local = run_cli("baseline", *common, "-o", str(tmp_path / "local"))
    remote = run_cli(
        "baseline", *common, "-o", str(tmp_path / "spark"), "--engine", "spark",
        "--spark-master", "local[2]",
    )  # fmt: skip
    assert (local.returncode, remote.returncode) == (0, 0), remote.stderr
    texts = [statistics(tmp_path / side)["watchkeeper"]["features"]["ident"].get("text")
             for side in ("local", "spark")]  # fmt: skip
    assert all(text is not None for text in texts)
    counts = [text["descriptors"]["text_length"]["moments"]["n"] for text in texts]
    assert counts == [12_000, 12_000]
    assert statistics(data / "local")["watchkeeper"]["features"]["ident"].get("text") is None


def test_csv_with_a_header_delimiter_and_missing_values(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    for index in range(2):
        write_csv(folder / f"part-{index}.csv", mixed_table(1_500, index), ";")
    common = [str(folder), "--delimiter", ";", "--header", "--json"]
    local = run_cli("baseline", *common, "-o", str(tmp_path / "local"))
    remote = run_cli(
        "baseline", *common, "-o", str(tmp_path / "spark"), "--engine", "spark",
        "--spark-master", "local[2]", "--spark-conf", "spark.sql.shuffle.partitions=4",
    )  # fmt: skip
    assert (local.returncode, remote.returncode) == (0, 0), remote.stderr
    expected, actual = statistics(tmp_path / "local"), statistics(tmp_path / "spark")
    # Spark reads CSV fields as text, as SageMaker does: "12.00" is Fractional, with no
    # hint that the number is whole
    assert_same_statistics(expected, actual, rank_error_of(expected, actual), typed_text=False)
    price = next(f for f in actual["features"] if f["name"] == "price")
    assert price["numerical_statistics"]["common"]["num_missing"] > 0  # "NA" is missing


def test_a_spark_conf_without_equals_is_refused_in_one_line(tmp_path):
    result = run_cli("profile", str(tmp_path), "-o", str(tmp_path / "p"), "--engine", "spark",
                     "--spark-conf", "spark.executor.memory")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --spark-conf 'spark.executor.memory' is not KEY=VALUE "
        "(e.g. spark.executor.memory=4g)"
    ]


def test_without_pyspark_the_engine_says_what_to_install(tmp_path):
    hide = (
        "import sys; sys.modules['pyspark'] = None; sys.argv[0] = 'watchkeeper';"
        "from watchkeeper.cli import main; main()"
    )
    result = run_cli("profile", str(tmp_path), "-o", str(tmp_path / "p"), "--engine", "spark",
                     code=hide)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: pyspark is not installed; install watchkeeper[spark] to use the Spark engine"
    ]


def test_a_file_spark_cannot_read_is_one_line(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "broken.parquet").write_bytes(b"PAR1 this is not a parquet file")
    result = run_cli("profile", str(folder), "-o", str(tmp_path / "p"), "--engine", "spark",
                     "--spark-master", "local[1]")  # fmt: skip
    assert result.returncode == 2
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {folder}: Spark cannot read it: ") or line.startswith(
        "error: profiling on Spark failed: "
    ), result.stderr
    assert "Traceback" not in result.stderr and "at org.apache" not in result.stderr
