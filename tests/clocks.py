"""A clock the tests set by hand, and the day their schedules run on."""

from __future__ import annotations

import datetime as dt


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    """That time of 2026-11-20, in UTC."""
    return dt.datetime(2026, 11, 20, hour, minute, second, tzinfo=dt.UTC)


class Clock:
    """Says ``now`` (as a datetime when called, as epoch seconds by ``timestamp``)
    until a test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()
