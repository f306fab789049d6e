"""Read-ahead keeps order, bounds memory, and hands errors to the consumer."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from watchkeeper.errors import InputError
from watchkeeper.io.batches import prefetched


def numbered(count: int):
    for i in range(count):
        yield pa.record_batch({"i": [i]})


def test_order_and_completeness():
    assert [b["i"][0].as_py() for b in prefetched(numbered(50))] == list(range(50))


def test_reader_stays_at_most_depth_ahead():
    produced = []

    def source():
        for i in range(100):
            produced.append(i)
            yield pa.record_batch({"i": [i]})

    iterator = prefetched(source(), depth=2)
    next(iterator)
    time.sleep(0.2)
    assert len(produced) <= 4  # one consumed, two queued, one waiting to be queued
    iterator.close()


def test_errors_reach_the_consumer_after_the_good_batches():
    def failing():
        yield pa.record_batch({"i": [1]})
        raise InputError("data.csv: row 2 has 3 fields, expected 2")

    iterator = prefetched(failing())
    assert next(iterator)["i"][0].as_py() == 1
    with pytest.raises(InputError, match="row 2"):
        next(iterator)


def test_closing_early_stops_the_reader():
    iterator = prefetched(numbered(10_000), depth=1)
    next(iterator)
    iterator.close()
    time.sleep(0.3)
    assert not any(t.name == "watchkeeper-read" for t in threading.enumerate())
