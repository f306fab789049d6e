"""DurableCapture: records stored when flush returns, locally (appended and synced) and on
S3 (the object rewritten whole), files ending at the hour and the size bound, failures
kept for the next flush, and nothing written twice."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from watchkeeper.capture import DurableCapture, capture_record, read_capture, record_line

UTC = dt.UTC
START = dt.datetime(2026, 3, 9, 10, 59, 50, tzinfo=UTC)


class Clock:
    def __init__(self, at: dt.datetime = START) -> None:
        self.now = at

    def __call__(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class Place:
    """A capture destination (a folder, or a prefix of a moto bucket) and what it holds."""

    def __init__(self, destination: str, bucket=None) -> None:
        self.destination, self.bucket = destination, bucket
        self.options = None if bucket is None else bucket.storage_options

    def files(self) -> dict[str, bytes]:
        """Path relative to the destination → content, of every capture file."""
        if self.bucket is None:
            root = Path(self.destination)
            return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.jsonl")}
        self.bucket.fs.invalidate_cache()
        prefix = self.destination.removeprefix("s3://")
        found = self.bucket.fs.find(prefix) if self.bucket.fs.exists(prefix) else []
        return {
            key.removeprefix(prefix + "/"): self.bucket.fs.cat_file(key)
            for key in found
            if key.endswith(".jsonl")
        }

    def inputs(self) -> list[str]:
        """The captured request bodies, file by file, line by line."""
        return [
            json.loads(line)["captureData"]["endpointInput"]["data"]
            for _, data in sorted(self.files().items())
            for line in data.splitlines()
        ]


@pytest.fixture(params=["folder", "s3"])
def place(request, tmp_path):
    if request.param == "folder":
        return Place(str(tmp_path / "capture"))
    bucket = request.getfixturevalue("s3_bucket")
    return Place(bucket.url("capture"), bucket)


def durable(place: Place, clock: Clock, **settings) -> DurableCapture:
    return DurableCapture(
        place.destination, "churn", clock=clock, storage_options=place.options, **settings
    )


def offer(capture: DurableCapture, *rows: str) -> None:
    for row in rows:
        assert capture.capture(row.encode(), "text/csv", b"0.5", "text/csv") is True


def test_a_flush_stores_every_record_kept_so_far_and_nothing_twice(place):
    clock = Clock(START - dt.timedelta(minutes=30))
    capture = durable(place, clock)
    offer(capture, "1,a", "2,b")
    assert place.inputs() == [] and capture.pending == 2  # kept, not yet stored
    assert capture.flush() is True
    assert place.inputs() == ["1,a", "2,b"] and capture.pending == 0
    [first] = place.files()
    offer(capture, "3,c")
    clock.advance(5)
    assert capture.flush() is True
    # the same file, with the new record once after the others
    assert list(place.files()) == [first]
    assert place.inputs() == ["1,a", "2,b", "3,c"]
    assert capture.flush() is True  # nothing new: nothing changes
    assert place.inputs() == ["1,a", "2,b", "3,c"]
    stats = capture.stats
    assert (stats.captured, stats.written, stats.files, stats.lost) == (3, 3, 1, 0)
    assert first.startswith("churn/AllTraffic/2026/03/09/10/29-50-000-")


def test_a_new_process_writes_a_file_of_its_own_and_a_reader_sees_every_record(place):
    clock = Clock()
    first = durable(place, clock)
    offer(first, "1,a", "2,b")
    first.flush()
    # the process is thrown away without closing: the next one starts afresh
    second = durable(place, clock)
    offer(second, "3,c")
    second.flush()
    assert len(place.files()) == 2
    assert sorted(place.inputs()) == ["1,a", "2,b", "3,c"]
    window = read_capture(
        place.destination, "churn", start=START - dt.timedelta(hours=1),
        end=START + dt.timedelta(hours=1), storage_options=place.options,
    )  # fmt: skip
    assert (window.records, window.table.num_rows, window.corrupt_lines) == (3, 3, 0)


def test_files_end_at_the_hour_and_at_the_size_bound(place):
    clock = Clock()  # 10:59:50
    # every row below makes a line of this length (event ids are all as long)
    line_bytes = len(record_line(capture_record(b"1,a", "text/csv", b"0.5", "text/csv")))
    capture = durable(place, clock, max_file_bytes=3 * line_bytes + 10)
    rows = [f"{i},x" for i in range(10)]
    for row in rows[:4]:  # three fit in a file; the fourth starts the next (3 + 1)
        offer(capture, row)
        capture.flush()
    clock.advance(15)  # 11:00:05: a new hour, a new folder (3 + 3)
    for row in rows[4:]:
        offer(capture, row)
        capture.flush()
    files = place.files()
    folders = sorted({name.rsplit("/", 1)[0] for name in files})
    assert folders == ["churn/AllTraffic/2026/03/09/10", "churn/AllTraffic/2026/03/09/11"]
    assert sorted(len(data.splitlines()) for data in files.values()) == [1, 3, 3, 3]
    assert sorted(place.inputs()) == sorted(rows)


def test_a_failed_flush_keeps_the_records_for_the_next(place, tmp_path, caplog):
    clock = Clock()
    if place.bucket is None:
        blocker = Path(place.destination)
        blocker.write_text("a file where the capture folder should be")
        mend = blocker.unlink
    else:
        missing = f"wk-later-{os.urandom(4).hex()}"
        place = Place(f"s3://{missing}/capture", place.bucket)
        place.options = place.bucket.storage_options

        def mend() -> None:
            place.bucket.fs.mkdir(missing)

    capture = durable(place, clock)
    offer(capture, "1,a", "2,b")
    assert capture.flush() is False
    assert capture.stats.write_errors == 1 and capture.stats.written == 0
    assert "cannot be written (2 records kept for the next try)" in caplog.text
    mend()
    offer(capture, "3,c")
    assert capture.flush() is True
    assert place.inputs() == ["1,a", "2,b", "3,c"]
    assert capture.stats.written == 3


def test_records_beyond_the_buffer_bound_are_counted_lost(tmp_path):
    blocker = tmp_path / "capture"
    blocker.write_text("not a folder")
    capture = DurableCapture(blocker, "churn", max_file_bytes=400, max_buffer_bytes=400)
    for i in range(6):
        capture.capture(f"{i},a".encode(), "text/csv", b"0.5", "text/csv")
        capture.flush()
    stats = capture.stats
    assert stats.captured == 6 and stats.lost > 0
    assert capture.pending + stats.lost == 6
    assert stats.write_errors == 6


def test_close_stores_what_is_kept_and_refuses_more(place):
    capture = durable(place, Clock())
    offer(capture, "1,a")
    capture.close()
    assert place.inputs() == ["1,a"]
    assert capture.capture(b"2,b", "text/csv", b"0.5", "text/csv") is False
    assert capture.stats.dropped == 1
    capture.close()  # again: nothing happens


def test_local_records_are_synced_to_disk_before_flush_returns(tmp_path, monkeypatch):
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(handle: int) -> None:
        synced.append(handle)
        real_fsync(handle)

    monkeypatch.setattr(os, "fsync", fsync)
    capture = DurableCapture(tmp_path / "capture", "churn", clock=Clock())
    offer(capture, "1,a")
    capture.flush()
    # the file, the hour folder holding its name, and the parent of each of the seven
    # folders made (capture/churn/AllTraffic/2026/03/09/10)
    assert len(synced) == 1 + 1 + 7
    offer(capture, "2,b")
    capture.flush()
    assert len(synced) == 10  # the file again; no new folder


def test_sampling_and_settings_as_the_server_writer(place):
    capture = durable(place, Clock(), sampling_percent=50, rng=4)
    for i in range(40):
        capture.capture(f"{i},a".encode(), "text/csv", b"0.5", "text/csv")
    capture.flush()
    stats = capture.stats
    assert stats.captured + stats.sampled_out == 40 and 5 < stats.captured < 35
    assert len(place.inputs()) == stats.captured
    capture.configure(enabled=False)
    assert capture.capture(b"x", "text/csv", b"0.5", "text/csv") is False
    with pytest.raises(Exception, match="sampling_percent must be between 0 and 100"):
        DurableCapture(place.destination, "churn", sampling_percent=120)
