"""``watchkeeper.log``: one logger per dataset and destination, its defaults, and the
messages that bad options and data get."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import watchkeeper
from watchkeeper.datasets.segments import META_TIMESTAMP
from watchkeeper.errors import UsageError
from watchkeeper.logger import Logger, close_all, logger_for
from watchkeeper.profile import profile_from_bytes


@pytest.fixture(autouse=True)
def no_leftover_loggers(monkeypatch) -> Iterator[None]:
    monkeypatch.delenv("WATCHKEEPER_URL", raising=False)
    monkeypatch.delenv("WATCHKEEPER_TOKEN", raising=False)
    yield
    close_all()


def profiles(folder: Path) -> list:
    return [profile_from_bytes(path.read_bytes()) for path in sorted(folder.rglob("*.wkp"))]


def fixed(seconds: float = 1714557600.0):
    return lambda: seconds


def test_calls_for_a_dataset_share_one_logger(tmp_path):
    clock = fixed()
    first = watchkeeper.log({"x": [1.0, 2.0]}, "model-1", to=tmp_path, clock=clock)
    again = watchkeeper.log({"x": 3.0}, "model-1", to=str(tmp_path), clock=clock)
    other = watchkeeper.log({"x": [9.0]}, "model-2", to=tmp_path, clock=clock)
    assert isinstance(first, Logger) and again is first and other is not first
    assert logger_for("model-1", to=tmp_path) is first
    close_all()
    assert first.closed and other.closed
    [one] = profiles(tmp_path / "model-1")
    assert one.rows == 3 and one.columns["x"].mean == 2.0
    assert one.metadata[META_TIMESTAMP] == "2024-05-01T10:00:00.000Z"
    [two] = profiles(tmp_path / "model-2")
    assert two.rows == 1
    fresh = watchkeeper.log({"x": [4.0]}, "model-1", to=tmp_path, clock=clock)
    assert fresh is not first and not fresh.closed


def test_options_may_be_repeated_but_not_changed(tmp_path):
    logger = watchkeeper.log({"x": [1]}, "model-1", to=tmp_path, rotation="1m", max_rows=500)
    same = watchkeeper.log({"x": [2]}, "model-1", to=tmp_path, rotation=60, max_rows=500)
    assert same is logger
    assert watchkeeper.log({"x": [3]}, "model-1", to=tmp_path) is logger  # none given
    with pytest.raises(UsageError, match=r"with rotation='1m'; this call asks for rotation='1h'"):
        watchkeeper.log({"x": [4]}, "model-1", to=tmp_path, rotation="1h")
    with pytest.raises(UsageError, match=r"max_rows=500; this call asks for max_rows=9"):
        watchkeeper.log({"x": [4]}, "model-1", to=tmp_path, max_rows=9)
    with pytest.raises(UsageError, match=r"segment_columns=\(\); this call asks for "):
        watchkeeper.log({"x": [4], "c": ["a"]}, "model-1", to=tmp_path, segment_columns=["c"])


def test_differing_credentials_are_not_shown(monkeypatch):
    url = "http://127.0.0.1:9"
    watchkeeper.logger.logger_for("model-1", to=url, token="first-secret")
    with pytest.raises(UsageError) as raised:
        watchkeeper.logger.logger_for("model-1", to=url, token="second-secret")
    assert "different token" in str(raised.value)
    assert "secret" not in str(raised.value)


def test_the_destination_defaults_to_the_environment_then_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "home"))
    logger = watchkeeper.log({"x": [1.0]}, "model-1", clock=fixed())
    assert logger.to == str((tmp_path / "home" / "profiles").absolute())
    monkeypatch.setenv("WATCHKEEPER_URL", "http://127.0.0.1:9")
    served = watchkeeper.log({"x": [1.0]}, "model-1", timeout=0.5)
    assert served is not logger and served.to == "http://127.0.0.1:9"
    close_all()
    [profile] = profiles(tmp_path / "home" / "profiles" / "model-1")
    assert profile.rows == 1
    assert served.dropped == 1  # nothing listens there: lost at close, and counted


def test_a_clock_may_give_datetimes(tmp_path):
    moment = dt.datetime(2024, 5, 1, 23, 59, 59, 999000, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    with Logger("model-1", to=tmp_path, rotation="1h", clock=lambda: moment) as logger:
        logger.log({"x": [1.0]})
    [profile] = profiles(tmp_path)
    assert profile.metadata[META_TIMESTAMP] == "2024-05-01T21:00:00.000Z"
    [path] = tmp_path.rglob("*.wkp")
    assert path.parent == tmp_path / "model-1" / "2024" / "05" / "01" / "21"


def test_a_relative_folder_is_fixed_when_the_logger_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logger = watchkeeper.log({"x": [1.0]}, "model-1", to="out", clock=fixed())
    monkeypatch.chdir(tmp_path.parent)
    close_all()
    assert logger.to == str(tmp_path / "out")
    assert len(profiles(tmp_path / "out" / "model-1")) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"dataset": "model 1"}, r"dataset id 'model 1' is not valid"),
        ({"dataset": ""}, r"dataset id '' is not valid"),
        ({"rotation": "5x"}, r"rotation '5x' is not valid: use text such as '30s', '5m'"),
        ({"rotation": 0.5}, r"rotation 0.5 is too short: it must be at least 1 second"),
        ({"rotation": dt.timedelta(hours=-1)}, r"too short"),
        ({"max_rows": -5}, r"max_rows must be a positive whole number or None, not -5"),
        ({"max_rows": 0}, r"max_rows must be a positive whole number or None, not 0"),
        ({"max_pending": 0}, r"max_pending must be a positive whole number, not 0"),
        ({"timeout": 0}, r"timeout must be a positive number of seconds, not 0"),
        ({"segment_columns": [1]}, r"segment_columns must be a list of column names"),
        ({"segment_columns": ["a", "a"]}, r"segment_columns names 'a' more than once"),
        ({"token": "abc"}, r"token is only sent to a watchkeeper server"),
        ({"clock": 5}, r"clock must be a function returning the time"),
        ({"to": ""}, r"to='' is not a destination"),
        ({"to": "http://"}, r"to='http://' is not a valid server URL"),
        ({"to": "http://h:1", "storage_options": {"anon": True}}, r"storage_options apply to"),
    ],
)
def test_bad_options_say_what_is_wrong(tmp_path, options, message):
    arguments = {"dataset": "model-1", "to": tmp_path, **options}
    with pytest.raises(UsageError, match=message):
        Logger(arguments.pop("dataset"), **arguments)


def test_unknown_options_are_named():
    with pytest.raises(UsageError, match=r"unknown option\(s\) 'rotate': the options are token"):
        watchkeeper.log({"x": [1]}, "model-1", to="/tmp/unused", rotate="5m")


def test_rotation_spellings(tmp_path):
    def rotation(value: object) -> dt.timedelta:
        with Logger("model-1", to=tmp_path, rotation=value) as logger:
            return logger.rotation

    assert rotation("30s") == dt.timedelta(seconds=30)
    assert rotation(" 5M ") == dt.timedelta(minutes=5)
    assert rotation("1h") == dt.timedelta(hours=1)
    assert rotation("1d") == dt.timedelta(days=1)
    assert rotation("1.5h") == dt.timedelta(minutes=90)
    assert rotation(90) == dt.timedelta(seconds=90)
    assert rotation(dt.timedelta(minutes=2)) == dt.timedelta(minutes=2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"country": ["DE"], "x": [1]}, r"segment column\(s\) 'tier' not in the logged data"),
        ("rows.csv", r"cannot log a str: pass a pandas or polars DataFrame"),
        ({}, r"nothing to log: the dict is empty"),
        ({"tier": ["a", "b"], "x": [1]}, r"equally long: tier has 2, x has 1 values"),
        ({"tier": [[1], [2]], "x": [1, 2]}, r"segment column 'tier' holds list<item: int64>"),
    ],
)
def test_bad_data_says_what_is_wrong(tmp_path, data, message):
    with Logger("model-1", to=tmp_path, segment_columns=["tier"]) as logger:
        with pytest.raises(UsageError, match=message):
            logger.log(data)
        with pytest.raises(UsageError, match="timestamp must be a datetime, not a str"):
            logger.log({"tier": ["a"]}, timestamp="2024-05-01")
    assert logger.shipped == 0 and profiles(tmp_path) == []


def test_an_empty_table_logs_nothing(tmp_path):
    with Logger("model-1", to=tmp_path, segment_columns=["tier"]) as logger:
        logger.log(pa.table({"tier": pa.array([], pa.string()), "x": pa.array([], pa.int64())}))
    assert logger.shipped == 0 and profiles(tmp_path) == []
