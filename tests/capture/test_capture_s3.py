"""Capture on an object store: whole, immutable objects, read back by window."""

from __future__ import annotations

import time

from capturing import T0, Clock, utc

from watchkeeper.capture import CaptureWriter, read_capture


def objects(bucket) -> dict[str, bytes]:
    bucket.fs.invalidate_cache()
    keys = bucket.fs.find(f"{bucket.name}/capture")
    return {key: bucket.fs.cat_file(key) for key in keys}


def send(writer: CaptureWriter, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        assert writer.capture(f"{i},1", "text/csv", b"0.5", "text/csv", event_id=f"e{i}")


def test_each_flush_uploads_one_complete_object(s3_bucket):
    clock = Clock(T0 + 7.5)
    destination = s3_bucket.url("capture")
    writer = CaptureWriter(
        destination, "churn", clock=clock, storage_options=s3_bucket.storage_options
    )
    send(writer, 3)
    assert writer.flush(timeout=30)
    first = objects(s3_bucket)
    (key,) = first
    assert key.startswith(f"{s3_bucket.name}/capture/churn/AllTraffic/2024/05/01/10/00-07-500-")
    assert first[key].count(b"\n") == 3
    send(writer, 2, start=3)
    writer.close()
    after = objects(s3_bucket)
    assert len(after) == 2 and after[key] == first[key]  # the first object never changed
    assert writer.stats.files == 2 and writer.stats.written == 5

    result = read_capture(destination, "churn", start=utc("2024-05-01T10:00:00"),
                          end=utc("2024-05-01T11:00:00"),
                          storage_options=s3_bucket.storage_options)  # fmt: skip
    assert sorted(result.table["__event_id"].to_pylist()) == [f"e{i}" for i in range(5)]
    assert result.files == 2
    assert sorted(result.table["_c1"].to_pylist()) == [0, 1, 2, 3, 4]


def test_objects_rotate_by_age_and_hour(s3_bucket):
    clock = Clock(T0 + 3500)
    with CaptureWriter(
        s3_bucket.url("capture"), "churn", clock=clock, max_file_seconds=60,
        storage_options=s3_bucket.storage_options,
    ) as writer:  # fmt: skip
        send(writer, 2)
        clock.advance(61)  # 10:59:21: a minute later
        send(writer, 2, start=2)
        clock.advance(60)  # 11:00:21: the next hour
        send(writer, 1, start=4)
    hours = sorted(key.split("/")[-2] for key in objects(s3_bucket))
    assert hours == ["10", "10", "11"]


def test_a_missing_bucket_is_counted_never_raised(s3_bucket):
    writer = CaptureWriter(
        f"s3://no-such-bucket-{s3_bucket.name}/capture", "churn", flush_seconds=0.05,
        max_file_seconds=0.05, close_timeout=0.5, storage_options=s3_bucket.storage_options,
    )  # fmt: skip
    started = time.perf_counter()
    for i in range(100):
        assert writer.capture(f"{i}", "text/csv", b"1", "text/csv")
    assert time.perf_counter() - started < 1
    deadline = time.monotonic() + 10
    while not writer.stats.write_errors and time.monotonic() < deadline:
        time.sleep(0.02)
    writer.close()
    stats = writer.stats
    assert stats.write_errors >= 1 and stats.written == 0 and stats.lost == 100
