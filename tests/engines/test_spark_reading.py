"""read_spark: Spark reads the files the local engine reads, into the same profile."""

from __future__ import annotations

import json

import pytest
from spark_tables import assert_same_statistics, mixed_table, needs_java, rank_error_of

import watchkeeper
from watchkeeper.baseline import statistics_json
from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import CsvOptions

pytestmark = needs_java


def both(spark, source, **options) -> tuple[dict, dict]:
    from watchkeeper.engines.spark import profile_spark, read_spark

    csv = options.get("csv")
    local = json.loads(statistics_json(watchkeeper.profile(source, **options)))
    frame = read_spark(spark, str(source), format=options.get("format"), csv=csv)
    remote = json.loads(statistics_json(profile_spark(frame)))
    return local, remote


def test_json_lines_keep_their_column_order(spark, tmp_path):
    folder = tmp_path / "events"
    folder.mkdir()
    for index in range(2):
        rows = mixed_table(1_000, index).select(["price", "count", "colour", "flag"]).to_pylist()
        text = "\n".join(json.dumps({"zeta": i % 7, **row}) for i, row in enumerate(rows))
        (folder / f"part-{index}.jsonl").write_text(text + "\n")
    (folder / "_SUCCESS").write_text("")
    local, remote = both(spark, folder)
    assert [f["name"] for f in remote["features"]] == ["zeta", "price", "count", "colour", "flag"]
    assert_same_statistics(local, remote, rank_error_of(local, remote))


def test_a_headerless_csv_is_detected_and_named_as_sagemaker_names_it(spark, tmp_path):
    path = tmp_path / "numbers.csv"
    path.write_text("".join(f"{i},{i * 0.5},{'NA' if i % 9 == 1 else i % 4}\n" for i in range(500)))
    local, remote = both(spark, path)
    assert [f["name"] for f in remote["features"]] == ["_c0", "_c1", "_c2"]
    assert_same_statistics(local, remote, rank_error_of(local, remote), typed_text=False)


def test_column_names_with_dots_and_backticks(spark, tmp_path):
    path = tmp_path / "named.csv"
    path.write_text("a.b,`q`,0.5\n" + "".join(f"{i},x{i % 3},{i / 4}\n" for i in range(300)))
    local, remote = both(spark, path)
    assert [f["name"] for f in remote["features"]] == ["a.b", "`q`", "0.5"]
    assert_same_statistics(local, remote, rank_error_of(local, remote), typed_text=False)


def test_tab_separated_files_and_a_glob(spark, tmp_path):
    for index in range(3):
        rows = [f"{index}-{i}\t{i * 1.5}" for i in range(200)]
        (tmp_path / f"day-{index}.tsv").write_text("key\tvalue\n" + "\n".join(rows) + "\n")
    (tmp_path / "other.tsv").write_text("key\tvalue\nx\t1\n")
    local, remote = both(spark, tmp_path / "day-*.tsv", csv=CsvOptions(header=True))
    assert remote["dataset"]["item_count"] == 600
    assert_same_statistics(local, remote, rank_error_of(local, remote), typed_text=False)


def test_missing_files_and_unknown_locations_say_so(spark, tmp_path):
    from watchkeeper.engines.spark import read_spark

    with pytest.raises(InputError, match="nope"):
        read_spark(spark, str(tmp_path / "nope"))
    with pytest.raises(UsageError, match="--format"):
        read_spark(spark, "s3a://bucket/prefix/")
