"""Logging to a folder: files per window and segment, their numbers, threads, retries.

The clock is injected, so windows change when a test says so; the background thread
still runs for real and is waited for where a test relies on it.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from watchkeeper.datasets.segments import (
    META_DATASET,
    META_PROFILE_ID,
    META_SEGMENT,
    META_TIMESTAMP,
    segment_key,
)
from watchkeeper.errors import UsageError
from watchkeeper.logger import Logger
from watchkeeper.profile import DatasetProfile, profile_from_bytes
from watchkeeper.profile.binary import MAGIC

UTC = dt.UTC
FILE_NAME = re.compile(r"^(\d{8}T\d{9}Z)-([0-9a-f]{32})\.wkp$")


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2024, 5, 1, hour, minute, second, tzinfo=UTC)


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the logger's thread did not get there in time")
        time.sleep(0.01)


def written(folder: Path) -> dict[str, DatasetProfile]:
    """Every profile file under ``folder``, by path relative to it (each in the binary
    form)."""
    files = sorted(folder.rglob("*.wkp"))
    assert all(path.read_bytes().startswith(MAGIC) for path in files)
    return {
        path.relative_to(folder).as_posix(): profile_from_bytes(path.read_bytes())
        for path in files
    }


def frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(10.0, 3.0, rows)
    score[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "score": score,
            "age": rng.integers(18, 90, rows),
            "country": rng.choice(["DE", "FR", "US"], rows),
            "model_version": rng.integers(1, 3, rows),
        }
    )


def assert_profile_matches(profile: DatasetProfile, rows: pd.DataFrame) -> None:
    """Rows, and per column the count, nulls, mean, min and max, as NumPy computes them."""
    assert profile.rows == len(rows)
    for name in ("score", "age"):
        column, values = profile.columns[name], rows[name].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        assert column.count == len(rows)
        assert column.null_count == len(values) - len(present)
        assert column.mean == pytest.approx(present.mean(), rel=1e-12)
        assert column.min == present.min()
        assert column.max == present.max()


def test_windows_become_files_at_their_start_times(tmp_path):
    clock = Clock(at(10, 56))
    first, second, third = frame(400, 1), frame(250, 2), frame(300, 3)
    with Logger("model-1", to=tmp_path, rotation="5m", clock=clock) as logger:
        logger.log(first)
        clock.set(at(10, 59, 59))
        logger.log(pa.Table.from_pandas(second, preserve_index=False))
        assert written(tmp_path) == {}  # the 10:55 window is still open
        clock.set(at(11, 1))
        logger.log({name: third[name].tolist() for name in third.columns})
        # the call in the new window finished 10:55; the thread ships it without a flush
        wait_for(lambda: logger.shipped == 1)
        assert [path.split("/")[:5] for path in written(tmp_path)] == [
            ["model-1", "2024", "05", "01", "10"]
        ]
    files = written(tmp_path)
    assert len(files) == 2 and logger.shipped == 2 and logger.pending == 0
    by_start = {}
    for path, profile in files.items():
        parts = path.split("/")
        name = FILE_NAME.match(parts[-1])
        assert name is not None, path
        # the file is named by the profile's id, so a second write of it replaces it
        assert profile.metadata.pop(META_PROFILE_ID) == name[2], path
        by_start[name[1]] = (parts[:5], profile)
    assert sorted(by_start) == ["20240501T105500000Z", "20240501T110000000Z"]
    folder, early = by_start["20240501T105500000Z"]
    assert folder == ["model-1", "2024", "05", "01", "10"]
    assert early.metadata == {
        META_DATASET: "model-1",
        META_TIMESTAMP: "2024-05-01T10:55:00.000Z",
        META_SEGMENT: "",
    }
    assert_profile_matches(early, pd.concat([first, second]))
    folder, late = by_start["20240501T110000000Z"]
    assert folder == ["model-1", "2024", "05", "01", "11"]
    assert late.metadata[META_TIMESTAMP] == "2024-05-01T11:00:00.000Z"
    assert_profile_matches(late, third)


def test_each_segment_has_its_own_profile_without_the_segment_columns(tmp_path):
    rows = frame(3000, 4)
    countries = rows["country"].astype(object)
    countries[np.random.default_rng(5).random(len(rows)) < 0.05] = None
    rows["country"] = countries
    clock = Clock(at(8, 0))
    with Logger(
        "churn", to=tmp_path, rotation="1h", clock=clock,
        segment_columns=["country", "model_version"],
    ) as logger:  # fmt: skip
        for start in range(0, len(rows), 700):
            logger.log(rows.iloc[start : start + 700])
    profiles = {profile.metadata[META_SEGMENT]: profile for profile in written(tmp_path).values()}
    groups = rows.groupby(["country", "model_version"], dropna=False)
    expected = {
        segment_key(
            {"country": None if pd.isna(country) else country, "model_version": version},
            ["country", "model_version"],
        ): group
        for (country, version), group in groups
    }
    assert len(expected) == 8  # three countries and the missing one, two versions
    assert "country=&model_version=1" in expected
    assert sorted(profiles) == sorted(expected)
    for key, group in expected.items():
        profile = profiles[key]
        assert list(profile.columns) == ["score", "age"]
        assert profile.metadata[META_TIMESTAMP] == "2024-05-01T08:00:00.000Z"
        assert_profile_matches(profile, group)
    assert sum(profile.rows for profile in profiles.values()) == len(rows)


def test_rows_with_an_older_timestamp_go_into_their_own_window(tmp_path):
    clock = Clock(at(12, 7))
    late, current = frame(120, 6), frame(80, 7)
    with Logger("model-1", to=tmp_path, rotation="5m", clock=clock) as logger:
        logger.log(current)
        logger.log(late, timestamp=dt.datetime(2024, 5, 1, 11, 58, 30))  # naive: UTC
        # the 11:55 window ended long ago: its profile ships at the thread's next tick
        wait_for(lambda: logger.shipped == 1)
        [(path, shipped)] = written(tmp_path).items()
        assert path.startswith("model-1/2024/05/01/11/20240501T115500000Z-")
        assert shipped.metadata[META_TIMESTAMP] == "2024-05-01T11:55:00.000Z"
        assert_profile_matches(shipped, late)
    starts = {p.metadata[META_TIMESTAMP]: p for p in written(tmp_path).values()}
    assert sorted(starts) == ["2024-05-01T11:55:00.000Z", "2024-05-01T12:05:00.000Z"]
    assert_profile_matches(starts["2024-05-01T12:05:00.000Z"], current)


def test_threads_logging_at_once_lose_no_row(tmp_path):
    clock = Clock(at(9, 0))
    threads, calls, rows_per_call = 8, 40, 25
    start = threading.Barrier(threads)
    logger = Logger("busy", to=tmp_path, rotation="1m", clock=clock, segment_columns="group")

    def work(seed: int) -> None:
        start.wait()
        for call in range(calls):
            logger.log(
                {
                    "group": ["even" if seed % 2 == 0 else "odd"] * rows_per_call,
                    "value": [float(seed * 1000 + call)] * rows_per_call,
                }
            )

    workers = [threading.Thread(target=work, args=(seed,)) for seed in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    logger.close()
    profiles = {p.metadata[META_SEGMENT]: p for p in written(tmp_path).values()}
    assert sorted(profiles) == ["group=even", "group=odd"]
    total = threads * calls * rows_per_call
    assert sum(p.rows for p in profiles.values()) == total
    even = [seed * 1000 + call for seed in range(0, threads, 2) for call in range(calls)]
    assert profiles["group=even"].rows == total // 2
    assert profiles["group=even"].columns["value"].mean == pytest.approx(np.mean(even))


def test_max_rows_ships_a_segment_early(tmp_path):
    clock = Clock(at(9, 0))
    logger = Logger("model-1", to=tmp_path, rotation="1h", max_rows=100, clock=clock)
    for call in range(10):
        logger.log(pa.table({"x": np.arange(30, dtype=float) + 30 * call}))
        if call == 3:  # 120 rows: the profile was finished and handed to the thread
            wait_for(lambda: logger.shipped == 1)
    logger.close()
    sizes = sorted(p.rows for p in written(tmp_path).values())
    assert sizes == [60, 120, 120]
    merged = DatasetProfile()
    for profile in written(tmp_path).values():
        merged = merged.merge(profile)
    assert merged.columns["x"].mean == pytest.approx(np.arange(300).mean())
    assert merged.columns["x"].max == 299.0


def test_the_thread_ships_ended_windows_without_being_called(tmp_path):
    clock = Clock(at(9, 0, 10))
    with Logger("model-1", to=tmp_path, rotation="30s", clock=clock) as logger:
        logger.log({"x": [1.0, 2.0]})
        time.sleep(0.05)
        assert logger.shipped == 0
        clock.set(at(9, 0, 30))
        wait_for(lambda: logger.shipped == 1)
        [profile] = written(tmp_path).values()
        assert profile.metadata[META_TIMESTAMP] == "2024-05-01T09:00:00.000Z"
        assert profile.columns["x"].mean == 1.5


def test_every_kind_of_input_is_logged(tmp_path):
    clock = Clock(at(9, 0))
    with Logger("model-1", to=tmp_path, clock=clock) as logger:
        logger.log(pd.DataFrame({"x": [1.0, 2.0]}))
        logger.log(pl.DataFrame({"x": [3.0]}))
        logger.log(pa.record_batch({"x": [4.0]}))
        logger.log(pa.table({"x": [5.0]}))
        logger.log([{"x": 6.0}, {"x": 7.0}])
        logger.log({"x": 8.0})
        logger.log({"x": np.array([9.0, 10.0])})
        logger.log({"x": [11.0, "text"]})  # a column mixing types is still logged
    [profile] = written(tmp_path).values()
    assert profile.rows == 12
    assert profile.columns["x"].count == 12


def test_a_failing_folder_keeps_the_profile_until_it_can_be_written(tmp_path, caplog):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the logger wants a folder")
    clock = Clock(at(9, 0))
    logger = Logger("model-1", to=blocker / "profiles", rotation="1m", clock=clock)
    logger.log({"x": [1.0, 2.0, 3.0]})
    assert logger.flush() is False
    assert (logger.pending, logger.failed_attempts, logger.shipped) == (1, 1, 0)
    assert "keeping 1 profile(s)" in caplog.text
    logger.log({"x": [4.0]})  # same window: joins the profile that failed
    assert logger.pending == 1
    blocker.unlink()
    assert logger.flush() is True
    logger.close()
    [profile] = written(blocker / "profiles").values()
    assert profile.rows == 4
    assert profile.columns["x"].mean == 2.5
    assert (logger.shipped, logger.dropped, logger.failed_attempts) == (1, 0, 1)


def test_close_is_final(tmp_path):
    logger = Logger("model-1", to=tmp_path)
    logger.close()
    logger.close()
    assert logger.flush() is True
    assert "closed" in repr(logger)
    with pytest.raises(UsageError, match="is closed: create a new Logger"):
        logger.log({"x": [1]})


@pytest.mark.parametrize("text_first", [True, False])
def test_a_string_column_is_read_the_same_way_in_every_window(tmp_path, text_first):
    """The first rows decide whether a column is free text; later windows follow, so
    every profile of the dataset describes the column alike."""
    from text_samples import texts

    clock = Clock(at(10, 56))
    reviews, labels = texts(300, seed=1), ["ok", "fine", "good"] * 100
    first, then = (reviews, labels) if text_first else (labels, reviews)
    with Logger("reviews", to=tmp_path, rotation="5m", clock=clock) as logger:
        logger.log({"review": first})
        clock.set(at(11, 1))
        logger.log({"review": then})
    profiles = [profile for _, profile in sorted(written(tmp_path).items())]
    assert [profile.rows for profile in profiles] == [300, 300]
    for profile in profiles:
        text = profile.columns["review"].text
        assert (text.count if text is not None else None) == (300 if text_first else None)
