"""Free-text columns on Spark: one choice per column for every partition, the caller's
forced choices, and a check that reads the columns as its baseline decided."""

from __future__ import annotations

import functools

import pyarrow as pa
import pytest
from spark_tables import needs_java

import watchkeeper
from text_samples import texts

pytestmark = needs_java

LABELS = ["red", "green", "blue"] * 1000


def frame_of(spark, chunks: list[pa.Table]):
    """One DataFrame whose partitions hold ``chunks`` in order (each maybe split)."""
    frames = [spark.createDataFrame(chunk) for chunk in chunks]
    return functools.reduce(lambda left, right: left.union(right), frames)


def notes(*parts: list[str]) -> list[pa.Table]:
    return [pa.table({"note": part, "n": list(range(len(part)))}) for part in parts]


def test_text_first_makes_the_column_free_text_in_every_partition(spark):
    from watchkeeper.engines.spark import profile_spark

    chunks = notes(texts(3000, seed=1), LABELS, texts(3000, seed=2), LABELS)
    frame = frame_of(spark, chunks)
    assert frame.rdd.getNumPartitions() >= 4
    remote = profile_spark(frame).columns["note"]
    local = watchkeeper.profile(pa.concat_tables(chunks)).columns["note"]
    # every row's text is in the text profile, as in a local read of the same rows
    assert remote.text is not None and local.text is not None
    assert remote.text.count == local.text.count == 12_000
    assert remote.text.vocabulary.total == local.text.vocabulary.total


def test_labels_first_make_the_column_categories_in_every_partition(spark):
    from watchkeeper.engines.spark import profile_spark

    chunks = notes(LABELS, texts(3000, seed=1), LABELS, texts(3000, seed=2))
    column = profile_spark(frame_of(spark, chunks)).columns["note"]
    # the first partition's rows decide: no partition keeps a text profile of its own
    assert column.text is None
    assert column.count == 12_000


def test_forced_choices_hold_on_spark(spark, tmp_path):
    chunks = notes(texts(3000, seed=1), LABELS)
    frame = frame_of(spark, chunks)
    forced = {"note": False}
    remote = watchkeeper.suggest_baseline(frame, tmp_path / "spark", text_columns=forced)
    local = watchkeeper.suggest_baseline(
        pa.concat_tables(chunks), tmp_path / "local", text_columns=forced
    )
    assert remote.statistics.columns["note"].text is None
    assert local.statistics.columns["note"].text is None
    chosen = watchkeeper.suggest_baseline(
        frame_of(spark, notes(LABELS)), text_columns={"note": True}
    )
    assert chosen.statistics.columns["note"].text.count == 3000


def test_a_check_on_spark_reads_the_columns_as_its_baseline_decided(spark):
    baseline = watchkeeper.suggest_baseline(pa.table({"note": texts(6000, seed=3)}))
    assert baseline.statistics.columns["note"].text is not None
    # alone, the current side's first partition (labels) would decide "not free text"
    chunks = [pa.table({"note": LABELS}), pa.table({"note": texts(3000, seed=4, unseen=0.3)})]
    remote = watchkeeper.check(frame_of(spark, chunks), baseline)
    local = watchkeeper.check(pa.concat_tables(chunks), baseline)
    assert remote.profile.columns["note"].text.count == 6000
    assert local.profile.columns["note"].text.count == 6000
    assert remote.drift["note"].drifted and local.drift["note"].drifted
    assert remote.drift["note"].test == local.drift["note"].test == "text_length:shape"


@pytest.mark.parametrize("rows", [0, 5])
def test_a_column_without_text_in_any_head_is_left_to_the_partitions(spark, rows):
    from watchkeeper.engines.spark import profile_spark

    table = pa.table({"note": pa.array([None] * rows, pa.string()), "n": list(range(rows))})
    column = profile_spark(spark.createDataFrame(table, "note string, n long")).columns["note"]
    assert column.text is None and column.count == rows


def test_captured_records_split_between_partitions_are_settled_whole(spark, tmp_path):
    """Capture files read on Spark (rows made on the executors): some partitions hold
    labels, others text; the column ends up free text in all of them."""
    import datetime as dt
    import json

    from clocks import Clock
    from watchkeeper.capture import CaptureWriter
    from watchkeeper.engines.spark import profile_capture_files

    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    clock = Clock(start)
    parts = [LABELS[:2000], texts(2000, seed=1), LABELS[:2000], texts(2000, seed=2)]
    for index, part in enumerate(parts):
        clock.now = start + dt.timedelta(minutes=index)
        writer = CaptureWriter(str(tmp_path / "capture"), "reviews", clock=clock.timestamp)
        for note in part:
            writer.capture(json.dumps({"note": note}), "application/json", "1", "text/csv")
        writer.close()
    files = sorted(str(path) for path in (tmp_path / "capture").rglob("*.jsonl"))
    assert len(files) == 4
    # one partition per file (each file costs Spark 4 MB to open, more than the limit
    # leaves beside it), the largest files first
    largest = max(path.stat().st_size for path in (tmp_path / "capture").rglob("*.jsonl"))
    conf = spark.conf
    before = conf.get("spark.sql.files.maxPartitionBytes")
    conf.set("spark.sql.files.maxPartitionBytes", str(largest + 1))
    try:
        runs = [
            profile_capture_files(spark, files, start, start + dt.timedelta(hours=1))
            for _ in range(2)
        ]
    finally:
        conf.set("spark.sql.files.maxPartitionBytes", before)
    profile, counts = runs[0]
    assert counts.records == 8000
    column = profile.columns["note"]
    assert column.present == 8000
    # Spark packs the larger files (text) into its first partitions: they decide, and
    # every label is described as text too
    assert column.text is not None and column.text.count == 8000
    assert runs[1][0].columns["note"].text.count == 8000
