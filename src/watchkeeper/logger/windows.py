"""Rotation windows: the spans of time a logged profile covers.

Time is cut into windows of one rotation each, counted from the Unix epoch in whole
milliseconds, so that every process logging a dataset with the same rotation puts its
rows in the same windows and the server can merge them (a one-day rotation starts at
midnight UTC). A window is named by its start.

>>> rotation_ms("5m")
300000
>>> window_start(epoch_ms(dt.datetime(2024, 5, 1, 10, 7, 31, tzinfo=dt.UTC)), 300_000)
1714557900000
>>> timestamp_text(1714557900000)
'2024-05-01T10:05:00.000Z'
"""

from __future__ import annotations

import datetime as dt
import math
import re

from watchkeeper.errors import UsageError

_UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_ROTATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$", re.IGNORECASE)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)
MIN_ROTATION_MS = 1_000


def rotation_ms(rotation: object) -> int:
    """The rotation in whole milliseconds: text such as ``"30s"``, ``"5m"``, ``"1h"``,
    ``"1d"``, a number of seconds or a :class:`datetime.timedelta`."""
    if isinstance(rotation, dt.timedelta):
        milliseconds = rotation / _MILLISECOND
    elif isinstance(rotation, int | float) and not isinstance(rotation, bool):
        milliseconds = float(rotation) * 1_000
    elif isinstance(rotation, str) and (match := _ROTATION.match(rotation)):
        milliseconds = float(match[1]) * _UNITS_MS[match[2].lower()]
    else:
        raise UsageError(
            f"rotation {rotation!r} is not valid: use text such as '30s', '5m', '1h' or '1d', "
            "a number of seconds, or a datetime.timedelta"
        )
    if not math.isfinite(milliseconds) or round(milliseconds) < MIN_ROTATION_MS:
        raise UsageError(f"rotation {rotation!r} is too short: it must be at least 1 second")
    return round(milliseconds)


def describe_rotation(milliseconds: int) -> str:
    """``"5m"`` for 300000: the shortest text :func:`rotation_ms` reads back the same."""
    for unit in ("d", "h", "m", "s"):
        if milliseconds % _UNITS_MS[unit] == 0:
            return f"{milliseconds // _UNITS_MS[unit]}{unit}"
    return f"{milliseconds}ms"


def epoch_ms(moment: dt.datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _MILLISECOND


def seconds_to_ms(seconds: float) -> int:
    """A clock reading (seconds since the epoch) in whole milliseconds, rounded down."""
    return math.floor(seconds * 1_000)


def window_start(milliseconds: int, rotation: int) -> int:
    """The start of the window of ``rotation`` ms that holds the moment ``milliseconds``."""
    return milliseconds - milliseconds % rotation


def as_datetime(milliseconds: int) -> dt.datetime:
    return _EPOCH + milliseconds * _MILLISECOND


def timestamp_text(milliseconds: int) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as profile metadata carries it."""
    return as_datetime(milliseconds).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def compact_timestamp(milliseconds: int) -> str:
    """``yyyymmddTHHMMSSfffZ``: the same moment, for file names."""
    return as_datetime(milliseconds).strftime("%Y%m%dT%H%M%S%f")[:-3] + "Z"
