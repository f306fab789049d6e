"""When schedules fire and which window of captured traffic each run covers.

Cron expressions are the standard five fields (``0 * * * *``), croniter's shortcuts
(``@hourly``, ``@daily``), or SageMaker's ``cron(0 * ? * * *)`` form (six fields with a
year, ``?`` for "any"), which is translated to five. Times are UTC.

A run that fires at T covers, by default, the time since the schedule's previous
firing: the previous whole hour for an hourly schedule, the previous day for a daily
one. ``window_start``/``window_end`` offsets (ISO 8601 durations relative to T, such as
SageMaker's ``-PT1H`` and ``-PT0H``, or ``-P8D``) choose another window.

``NOW`` is SageMaker's one-time schedule: it fires once, at its creation, so it runs
when a scheduler next looks and never again (its window, fixed by the creation time
and the offsets, can have one execution only). Its window must be given by both
offsets, as SageMaker requires: ``-PT2H`` to ``-PT0H`` is the two hours before it
was created.
"""

from __future__ import annotations

import datetime as dt
import re

from croniter import CroniterBadDateError, croniter

from watchkeeper.catalog import Schedule
from watchkeeper.errors import UsageError
from watchkeeper.io.messages import first_line

_AWS_CRON = re.compile(r"cron\((.*)\)", re.IGNORECASE | re.DOTALL)
_DURATION = re.compile(
    r"(?P<sign>[-+])?P(?:(?P<days>[0-9]+)D)?(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?"
    r"(?:(?P<seconds>[0-9]+)S)?)?"
)
# The catalog keeps a schedule's cron and window offsets in columns of these sizes.
MAX_CRON_LENGTH = 256
MAX_OFFSET_LENGTH = 64
# croniter's R (a random value, drawn anew each time the expression is read) would make
# every process fire at its own minute; H needs an id to hash. Neither is standard cron.
_RANDOM_OR_HASHED = re.compile(r"(?<![a-z])[rh](?![a-z])", re.IGNORECASE)
ONE_OFF = "NOW"


def is_one_off(cron: str) -> bool:
    """Whether ``cron`` is a one-time schedule's (``NOW``).

    >>> is_one_off("NOW"), is_one_off("0 * * * *")
    (True, False)
    """
    return cron == ONE_OFF


def normalise_cron(text: str) -> str:
    """The five-field form of a cron expression; UsageError naming what is wrong."""
    if not isinstance(text, str):
        raise UsageError(f"cron {text!r}: expected text such as '0 * * * *'")
    if len(text) > MAX_CRON_LENGTH:
        raise UsageError(
            f"cron {text[:40]!r}…: longer than {MAX_CRON_LENGTH} characters; "
            "a cron expression is five short fields"
        )
    expression = text.strip()
    if expression.upper() == ONE_OFF:
        return ONE_OFF
    aws = _AWS_CRON.fullmatch(expression)
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
    if _RANDOM_OR_HASHED.search(expression):
        raise UsageError(f"cron {text!r}: R (random) and H (hashed) values are not supported")
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    try:
        croniter(expression, start).get_next(dt.datetime)
        croniter(expression, start).get_prev(dt.datetime)
    except CroniterBadDateError:
        raise UsageError(f"cron {text!r} names a date that never comes") from None
    except (ValueError, KeyError, TypeError, IndexError, OverflowError) as exc:
        # croniter's own errors are ValueErrors; the others come from fields it
        # accepts but cannot turn into dates
        reason = first_line(exc)
        raise UsageError(f"cron {text!r} is not a valid cron expression ({reason})") from None
    return expression


def parse_duration(text: str) -> dt.timedelta:
    """An ISO 8601 duration of days, hours, minutes and seconds (``-PT1H``, ``-P1D``)."""
    if len(text) > MAX_OFFSET_LENGTH:
        raise UsageError(
            f"window offset {text[:40]!r}…: longer than {MAX_OFFSET_LENGTH} characters"
        )
    match = _DURATION.fullmatch(text.strip())
    if not match or text.strip() in ("P", "-P", "+P", "PT", "-PT", "+PT"):
        raise UsageError(
            f"window offset {text!r} is not an ISO 8601 duration like -PT1H, -PT0H or -P1D"
        )
    parts = {key: int(match.group(key) or 0) for key in ("days", "hours", "minutes", "seconds")}
    try:
        span = dt.timedelta(**parts)
    except OverflowError:
        raise UsageError(f"window offset {text!r} is longer than any window can be") from None
    return -span if match.group("sign") == "-" else span


def check_window_offsets(cron: str, start_offset: str | None, end_offset: str | None) -> None:
    """UsageError unless the offsets are durations and a one-time schedule has both."""
    for offset in (start_offset, end_offset):
        if offset:
            parse_duration(offset)
    if is_one_off(cron) and not (start_offset and end_offset):
        raise UsageError(
            "cron NOW (run once) needs the window as offsets from now: give both the "
            "window start and end, e.g. -PT1H and -PT0H for the last hour"
        )
    if is_one_off(cron) and parse_duration(start_offset) >= parse_duration(end_offset):
        raise UsageError(
            f"window offsets {start_offset} to {end_offset} give an empty window: "
            "the start must come before the end"
        )


def due_firing(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    """The latest firing of ``schedule`` at or before ``now``; None when it has not
    fired since it was created (a one-time schedule fires at its creation)."""
    if is_one_off(schedule.cron):
        created = schedule.created_at
        return created if created is not None and created <= _utc(now) else None
    fired = last_firing(schedule.cron, now)
    if schedule.created_at is not None and fired < schedule.created_at:
        return None
    return fired


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
    try:
        end = fired + parse_duration(end_offset) if end_offset else fired
        if start_offset:
            start = fired + parse_duration(start_offset)
        else:
            start = croniter(cron, fired).get_prev(dt.datetime).astimezone(dt.UTC)
    except OverflowError:
        raise UsageError(
            f"window offsets {start_offset!r} and {end_offset!r} from {fired.isoformat()} "
            "reach beyond the calendar"
        ) from None
    if start >= end:
        raise UsageError(f"window {start.isoformat()} to {end.isoformat()} is empty")
    return start, end


def window_to_run(
    schedule: Schedule, window: str | None = None
) -> tuple[tuple[dt.datetime, dt.datetime], dt.datetime]:
    """(window, firing time) of a run asked for now: ``window`` (``START/END``) when
    given, else the window of the schedule's latest firing."""
    if window:
        span = parse_window(window)
        return span, span[1]
    now = dt.datetime.now(dt.UTC)
    fired = schedule.created_at if is_one_off(schedule.cron) else None
    fired = fired or last_firing(schedule.cron, now)
    return window_for(schedule.cron, fired, schedule.window_start, schedule.window_end), fired


def parse_window(text: str) -> tuple[dt.datetime, dt.datetime]:
    """``START/END`` (ISO 8601 times, UTC unless they say otherwise)."""
    try:
        start_text, end_text = text.split("/")
        start, end = (
            _utc(dt.datetime.fromisoformat(part.strip())) for part in (start_text, end_text)
        )
    except (ValueError, OverflowError):
        raise UsageError(
            f"window {text!r}: expected START/END in ISO 8601,"
            " e.g. 2026-11-20T00:00/2026-11-21T00:00"
        ) from None
    if start >= end:
        raise UsageError(f"window {text!r}: START must be before END")
    return start, end


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
