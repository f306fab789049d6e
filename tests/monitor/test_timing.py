"""Cron forms, window offsets and windows."""

from __future__ import annotations

import datetime as dt

import pytest

from watchkeeper.errors import UsageError
from watchkeeper.monitor import (
    last_firing,
    next_firing,
    normalise_cron,
    parse_duration,
    parse_window,
    window_for,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0 * * * *", "0 * * * *"),
        ("cron(0 * ? * * *)", "0 * * * *"),
        ("cron(0 5 ? * * *)", "0 5 * * *"),
        ("cron(0 0/4 ? * * *)", "0 0/4 * * *"),
        ("@daily", "@daily"),
    ],
)
def test_cron_forms(text, expected):
    assert normalise_cron(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("every hour", "expected five fields"),
        ("61 * * * *", "not a valid cron expression"),
        ("cron(0 * ? * *)", "six fields"),
        ("cron(0 * ? * * 2030)", "year"),
    ],
)
def test_bad_cron_is_refused_with_a_reason(text, message):
    with pytest.raises(UsageError, match=message):
        normalise_cron(text)


def test_durations():
    assert parse_duration("-PT1H") == -dt.timedelta(hours=1)
    assert parse_duration("-PT0H") == dt.timedelta(0)
    assert parse_duration("-P8D") == -dt.timedelta(days=8)
    assert parse_duration("P1DT2H30M") == dt.timedelta(days=1, hours=2, minutes=30)
    with pytest.raises(UsageError, match="ISO 8601"):
        parse_duration("1 hour")


def test_firings_and_default_windows():
    now = dt.datetime(2026, 11, 20, 13, 17, tzinfo=UTC)
    fired = last_firing("0 * * * *", now)
    assert fired == dt.datetime(2026, 11, 20, 13, tzinfo=UTC)
    assert last_firing("0 * * * *", fired) == fired  # a firing at exactly now counts
    assert next_firing("0 * * * *", now) == dt.datetime(2026, 11, 20, 14, tzinfo=UTC)
    # hourly: the previous whole hour
    assert window_for("0 * * * *", fired) == (fired - dt.timedelta(hours=1), fired)
    # daily at 05:00: the day before
    daily = dt.datetime(2020, 2, 20, 5, tzinfo=UTC)
    assert window_for("0 5 * * *", daily) == (daily - dt.timedelta(days=1), daily)


def test_offset_windows_as_sagemaker_documents_them():
    fired = dt.datetime(2020, 1, 9, 13, tzinfo=UTC)
    start, end = window_for("0 13 * * *", fired, "-P8D", "-P1D")
    assert (start, end) == (
        dt.datetime(2020, 1, 1, 13, tzinfo=UTC),
        dt.datetime(2020, 1, 8, 13, tzinfo=UTC),
    )


def test_explicit_windows():
    start, end = parse_window("2026-11-20T00:00/2026-11-21T00:00")
    assert (start.tzinfo, end - start) == (UTC, dt.timedelta(days=1))
    with pytest.raises(UsageError, match="START must be before END"):
        parse_window("2026-11-21T00:00/2026-11-20T00:00")
