"""When schedules fire and which window of captured traffic each run covers.

Cron expressions are the standard five fields (``0 * * * *``), croniter's shortcuts
(``@hourly``, ``@daily``), or SageMaker's ``cron(0 * ? * * *)`` form (six fields with a
year, ``?`` for "any"), which is translated to five. Times are UTC.

A run that fires at T covers, by default, the time since the schedule's previous
firing: the previous whole hour for an hourly schedule, the previous day for a daily
one. ``window_start``/``window_end`` offsets (ISO 8601 durations relative to T, such as
SageMaker's ``-PT1H`` and ``-PT0H``, or ``-P8D``) choose another window.
"""

from __future__ import annotations

import datetime as dt
import re

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from watchkeeper.errors import UsageError

_AWS_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_DURATION = re.compile(
    r"^(?P<sign>[-+])?P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?$"
)


def normalise_cron(text: str) -> str:
    """The five-field form of a cron expression; UsageError naming what is wrong."""
    expression = text.strip()
    aws = _AWS_CRON.match(expression)
    if aws:
        fields = aws.group(1).split()
        if len(fields) != 6:
            raise UsageError(
                f"cron {text!r}: SageMaker's form has six fields (minutes hours day-of-month "
                "month day-of-week year), e.g. cron(0 * ? * * *)"
            )
        if fields[5] not in ("*", "?"):
            raise UsageError(f"cron {text!r}: a year other than * is not supported")
        expression = " ".join(field.replace("?", "*") for field in fields[:5])
    if not expression.startswith("@") and len(expression.split()) != 5:
        raise UsageError(
            f"cron {text!r}: expected five fields (minute hour day-of-month month day-of-week),"
            " e.g. '0 * * * *' for hourly, or SageMaker's cron(0 * ? * * *)"
        )
    try:
        croniter(expression, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as exc:
        raise UsageError(f"cron {text!r} is not a valid cron expression ({exc})") from None
    return expression


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration of days, hours, minutes and seconds (``-PT1H``, ``-P1D``)."""
    match = _DURATION.match(text.strip())
    if not match or text.strip() in ("P", "-P", "+P", "PT", "-PT"):
        raise UsageError(
            f"window offset {text!r} is not an ISO 8601 duration like -PT1H, -PT0H or -P1D"
        )
    parts = {key: int(match.group(key) or 0) for key in ("days", "hours", "minutes", "seconds")}
    span = dt.timedelta(**parts)
    return -span if match.group("sign") == "-" else span


def last_firing(cron: str, now: dt.datetime) -> dt.datetime:
    """The latest time at or before ``now`` the schedule fired."""
    at = _utc(now)
    iterator = croniter(cron, at + dt.timedelta(microseconds=1))
    return iterator.get_prev(dt.datetime).astimezone(dt.UTC)


def next_firing(cron: str, now: dt.datetime) -> dt.datetime:
    return croniter(cron, _utc(now)).get_next(dt.datetime).astimezone(dt.UTC)


def window_for(
    cron: str,
    fired: dt.datetime,
    start_offset: str | None = None,
    end_offset: str | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of captured traffic a run that fired at ``fired`` covers."""
    fired = _utc(fired)
    end = fired + parse_duration(end_offset) if end_offset else fired
    if start_offset:
        start = fired + parse_duration(start_offset)
    else:
        start = croniter(cron, fired).get_prev(dt.datetime).astimezone(dt.UTC)
    if start >= end:
        raise UsageError(f"window {start.isoformat()} to {end.isoformat()} is empty")
    return start, end


def parse_window(text: str) -> tuple[dt.datetime, dt.datetime]:
    """``START/END`` (ISO 8601 times, UTC unless they say otherwise)."""
    try:
        start_text, end_text = text.split("/")
        start, end = (
            _utc(dt.datetime.fromisoformat(part.strip())) for part in (start_text, end_text)
        )
    except ValueError:
        raise UsageError(
            f"window {text!r}: expected START/END in ISO 8601,"
            " e.g. 2026-11-20T00:00/2026-11-21T00:00"
        ) from None
    if start >= end:
        raise UsageError(f"window {text!r}: START must be before END")
    return start, end


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
