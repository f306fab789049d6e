"""CaptureWriter: file layout, rotation, sampling, nothing lost on close, failing storage."""

from __future__ import annotations

import json
import math
import random
import re
import threading
import time

import pytest
from capturing import T0, Clock, capture_files, records_in

from watchkeeper.capture import CaptureWriter
from watchkeeper.errors import UsageError

NAME = re.compile(
    r"^\d\d-\d\d-\d{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.jsonl$"
)


def send(writer: CaptureWriter, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        assert writer.capture(f"{i},{i}", "text/csv", b"0.5", "text/csv", event_id=f"e{i}")


def event_ids(root) -> list[str]:
    return [record["eventMetadata"]["eventId"] for record in records_in(root)]


def test_files_are_laid_out_by_endpoint_variant_and_utc_hour(tmp_path):
    clock = Clock(1713399648.871)  # 2024-04-18T00:20:48.871Z
    with CaptureWriter(tmp_path / "capture", "churn-endpoint", "Variant-1", clock=clock) as w:
        send(w, 3)
    (path,) = capture_files(tmp_path)
    folder = path.parent.relative_to(tmp_path)
    assert folder.as_posix() == "capture/churn-endpoint/Variant-1/2024/04/18/00"
    assert path.name.startswith("20-48-871-") and NAME.match(path.name)
    assert event_ids(tmp_path) == ["e0", "e1", "e2"]


def test_default_variant_is_all_traffic(tmp_path):
    with CaptureWriter(tmp_path, "churn", clock=Clock()) as writer:
        send(writer, 1)
    (path,) = capture_files(tmp_path)
    assert path.relative_to(tmp_path).parts[:2] == ("churn", "AllTraffic")


def test_rotation_by_size(tmp_path):
    clock = Clock()
    with CaptureWriter(tmp_path, "churn", clock=clock) as probe:
        send(probe, 1)
    line = capture_files(tmp_path)[0].stat().st_size
    capture_files(tmp_path)[0].unlink()

    with CaptureWriter(tmp_path, "churn", clock=clock, max_file_bytes=3 * line + 5) as writer:
        send(writer, 10)
    files = capture_files(tmp_path)
    assert all(path.stat().st_size <= 3 * line + 5 for path in files)
    # The files share one millisecond, so their names order them by uuid: read each whole.
    contents = sorted(
        [json.loads(text)["eventMetadata"]["eventId"] for text in path.read_text().splitlines()]
        for path in files
    )
    assert sorted(contents, key=lambda ids: int(ids[0][1:])) == [
        ["e0", "e1", "e2"], ["e3", "e4", "e5"], ["e6", "e7", "e8"], ["e9"],
    ]  # fmt: skip
    assert writer.stats.files == 4


def test_rotation_by_age_follows_the_injected_clock(tmp_path):
    clock = Clock(T0 + 5.25)
    with CaptureWriter(tmp_path, "churn", clock=clock, max_file_seconds=60) as writer:
        send(writer, 3)
        clock.advance(30)
        send(writer, 2, start=3)  # 30 s after the first record: same file
        clock.advance(31)
        send(writer, 2, start=5)  # 61 s: a new file, named for its first record
    first, second = capture_files(tmp_path)
    assert first.name.startswith("00-05-250-") and second.name.startswith("01-06-250-")
    assert first.read_text().count("\n") == 5 and second.read_text().count("\n") == 2


def test_rotation_when_the_hour_changes(tmp_path):
    clock = Clock(T0 + 3599)  # 10:59:59
    with CaptureWriter(tmp_path, "churn", clock=clock) as writer:
        send(writer, 2)
        clock.advance(1)  # 11:00:00
        send(writer, 1, start=2)
    ten, eleven = capture_files(tmp_path)
    assert ten.parent.name == "10" and ten.name.startswith("59-59-000-")
    assert eleven.parent.name == "11" and eleven.name.startswith("00-00-000-")
    assert ten.read_text().count("\n") == 2 and eleven.read_text().count("\n") == 1


def test_sampling_rate_is_within_binomial_bounds(tmp_path):
    n, percent = 20_000, 20.0
    with CaptureWriter(tmp_path, "churn", sampling_percent=percent, rng=7) as writer:
        taken = sum(writer.capture(b"1", "text/csv", b"2", "text/csv") for _ in range(n))
    p = percent / 100
    assert abs(taken - n * p) < 5 * math.sqrt(n * p * (1 - p))
    stats = writer.stats
    assert (stats.captured, stats.sampled_out, stats.written) == (taken, n - taken, taken)
    assert len(records_in(tmp_path)) == taken


def test_sampling_is_repeatable_with_a_seeded_rng(tmp_path):
    def decisions(seed):
        with CaptureWriter(tmp_path / str(seed), "e", sampling_percent=50, rng=seed) as w:
            return [w.capture(b"1", "text/csv", b"2", "text/csv") for _ in range(200)]

    assert decisions(3) == decisions(3) != decisions(4)
    with CaptureWriter(tmp_path / "r", "e", sampling_percent=50, rng=random.Random(3)) as w:
        assert [w.capture(b"1", "text/csv", b"2", "text/csv") for _ in range(200)] == decisions(3)


def test_zero_and_hundred_percent(tmp_path):
    with CaptureWriter(tmp_path / "none", "e", sampling_percent=0) as none:
        assert not any(none.capture(b"1", "text/csv", b"2", "text/csv") for _ in range(100))
    with CaptureWriter(tmp_path / "all", "e", sampling_percent=100) as every:
        assert all(every.capture(b"1", "text/csv", b"2", "text/csv") for _ in range(100))
    assert none.stats.sampled_out == 100 and every.stats.written == 100


def test_nothing_is_lost_on_close(tmp_path):
    writer = CaptureWriter(tmp_path, "churn", flush_seconds=3600, queue_size=100_000)
    send(writer, 20_000)
    writer.close()
    assert event_ids(tmp_path) == [f"e{i}" for i in range(20_000)]
    stats = writer.stats
    assert (stats.captured, stats.written, stats.lost, stats.dropped) == (20_000, 20_000, 0, 0)
    writer.close()  # again: nothing happens
    assert not writer.capture(b"1", "text/csv", b"2", "text/csv")  # closed: refused, counted
    assert writer.stats.dropped == 1


def test_flush_writes_what_was_captured(tmp_path):
    with CaptureWriter(tmp_path, "churn", flush_seconds=3600) as writer:
        send(writer, 5)
        assert writer.flush(timeout=10)
        assert event_ids(tmp_path) == [f"e{i}" for i in range(5)]
        send(writer, 2, start=5)
        assert writer.flush(timeout=10)
        assert len(capture_files(tmp_path)) == 1  # a local file is appended to, not rotated
    assert len(event_ids(tmp_path)) == 7


def test_records_reach_disk_within_the_flush_interval(tmp_path):
    with CaptureWriter(tmp_path, "churn", flush_seconds=0.05) as writer:
        send(writer, 3)
        deadline = time.monotonic() + 5
        while len(records_in(tmp_path)) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(records_in(tmp_path)) == 3  # without flush() or close()


class StallingClock(Clock):
    """Holds the writer thread when it asks the time, until released."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> float:
        if threading.current_thread().name.startswith("capture-"):
            self.stalled.set()
            self.release.wait()
        return super().__call__()


def test_a_full_queue_drops_and_counts_without_blocking(tmp_path):
    clock = StallingClock()
    writer = CaptureWriter(tmp_path, "churn", clock=clock, flush_seconds=0.01, queue_size=5)
    assert clock.stalled.wait(5)
    started = time.monotonic()
    results = [writer.capture(b"1", "text/csv", b"2", "text/csv") for _ in range(12)]
    assert time.monotonic() - started < 1
    assert results == [True] * 5 + [False] * 7
    clock.release.set()
    writer.close()
    assert (writer.stats.captured, writer.stats.dropped, writer.stats.written) == (5, 7, 5)
    assert len(records_in(tmp_path)) == 5


def test_a_long_queue_is_drained_in_batches_without_losing_one(tmp_path):
    clock = StallingClock()
    writer = CaptureWriter(tmp_path, "churn", clock=clock, flush_seconds=0.01, queue_size=50_000)
    assert clock.stalled.wait(5)
    send(writer, 25_000)  # queued while the thread is busy: more than one batch
    clock.release.set()
    writer.close()
    assert event_ids(tmp_path) == [f"e{i}" for i in range(25_000)]


def test_unwritable_destination_never_reaches_the_caller(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    writer = CaptureWriter(
        tmp_path / "a-file" / "capture", "churn", flush_seconds=0.02, close_timeout=0.1
    )
    slowest = 0.0
    for i in range(300):
        started = time.perf_counter()
        assert writer.capture(f"{i}", "text/csv", b"1", "text/csv")
        slowest = max(slowest, time.perf_counter() - started)
        time.sleep(0.001)
    assert slowest < 0.05
    deadline = time.monotonic() + 5
    while writer.stats.write_errors < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.stats.write_errors >= 2  # tried, failed, tried again
    assert not writer.flush(timeout=5)
    started = time.monotonic()
    writer.close()
    assert time.monotonic() - started < 3
    stats = writer.stats
    assert (stats.captured, stats.written, stats.lost) == (300, 0, 300)


def test_records_wait_for_the_destination_to_come_back(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with CaptureWriter(blocker / "capture", "churn", flush_seconds=0.02) as writer:
        send(writer, 50)
        deadline = time.monotonic() + 5
        while not writer.stats.write_errors and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer.stats.write_errors
        blocker.unlink()
        assert writer.flush(timeout=10)
        send(writer, 5, start=50)
    assert event_ids(blocker) == [f"e{i}" for i in range(55)]
    assert writer.stats.lost == 0


def test_buffer_bound_while_storage_is_down(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    writer = CaptureWriter(
        tmp_path / "a-file" / "capture", "churn", flush_seconds=0.02,
        max_file_bytes=2_000, max_buffer_bytes=2_000, close_timeout=0,
    )  # fmt: skip
    send(writer, 100)  # about 280 bytes each: the buffer holds a handful
    writer.close()
    stats = writer.stats
    assert stats.captured == 100 and stats.lost == 100 and stats.written == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sampling_percent": 120}, "sampling_percent must be between 0 and 100"),
        ({"max_file_bytes": 0}, "max_file_bytes must be greater than 0"),
        ({"flush_seconds": -1}, "flush_seconds must be greater than 0"),
        ({"max_buffer_bytes": 10, "max_file_bytes": 100}, "max_buffer_bytes (10) must be"),
    ],
)
def test_settings_are_checked_up_front(tmp_path, options, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        CaptureWriter(tmp_path, "churn", **options)


@pytest.mark.parametrize("endpoint", ["", "a/b", "../up", "with space"])
def test_endpoint_must_be_a_folder_name(tmp_path, endpoint):
    with pytest.raises(UsageError, match="cannot name a capture folder"):
        CaptureWriter(tmp_path, endpoint)
