"""Cron forms, window offsets and windows."""

from __future__ import annotations

import datetime as dt
import re

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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 0 31 2 *", "names a date that never comes"),
        ("0 0 30 2 *", "names a date that never comes"),
        ("cron(0 0 31 4 ? *)", "names a date that never comes"),
        ("R * * * *", "R (random) and H (hashed) values are not supported"),
        ("0 h * * *", "R (random) and H (hashed) values are not supported"),
        ("1" + ",1" * 200 + " * * * *", "longer than 256 characters"),
    ],
)
def test_cron_that_cannot_be_scheduled_is_refused(text, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        normalise_cron(text)


def test_month_and_day_names_are_not_random_values():
    assert normalise_cron("0 0 * mar fri") == "0 0 * mar fri"
    assert next_firing("0 0 * mar fri", dt.datetime(2024, 1, 1, tzinfo=UTC)).month == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-P99999999999999999D", "longer than any window can be"),
        ("-PT99999999999999999999H", "longer than any window can be"),
        ("-P٣D", "is not an ISO 8601 duration"),  # a digit, but not one ISO 8601 writes
        ("-PT1H" + " " * 64, "longer than 64 characters"),
    ],
)
def test_offsets_that_are_not_durations_are_refused(text, message):
    with pytest.raises(UsageError, match=message):
        parse_duration(text)


def test_offsets_beyond_the_calendar_are_refused():
    fired = dt.datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(UsageError, match="reach beyond the calendar"):
        window_for("0 * * * *", fired, "-P3650000D")


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00+01:00/2020-01-01", "2020-01-01/9999-12-31T23:59-05:00"]
)
def test_windows_beyond_the_calendar_are_refused(text):
    with pytest.raises(UsageError, match="expected START/END in ISO 8601"):
        parse_window(text)
