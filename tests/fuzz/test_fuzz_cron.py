"""Schedules: a cron expression, a window offset or a window is accepted and then fires
and gives a window, or it is refused with one clear line."""

from __future__ import annotations

import datetime as dt

from hypothesis import example, given
from hypothesis import strategies as st
from parser_fuzzing import FUZZ, holds

from watchkeeper.monitor.timing import (
    last_firing,
    next_firing,
    normalise_cron,
    parse_duration,
    parse_window,
    window_for,
)

_TOKENS = ["*", "?", "0", "1", "5", "7", "12", "23", "29", "30", "31", "59", "60", "99999999999",
           "*/15", "*/0", "1-5", "5-1", "0-59/1000", "1,15", "L", "1W", "LW", "5L", "MON", "jan",
           "sun-sat", "1#5", "0#6", "R", "H", "-1", "", "\x00", "é"]  # fmt: skip
field = st.one_of(
    st.sampled_from(_TOKENS),
    st.text(alphabet="0123456789*/,-?LW#", min_size=1, max_size=6),
)
# Values each of the five fields may well hold, in order.
_PLAUSIBLE = [
    ["*", "0", "*/15", "0-30", "5,35", "59"],
    ["*", "0", "*/6", "9-17", "23"],
    ["*", "?", "1", "15", "L", "29", "30", "31", "1W"],
    ["*", "1", "jan", "2", "*/3", "4,6", "dec"],
    ["*", "?", "MON", "1-5", "5#2", "sun-sat", "0", "7"],
]
cron_text = st.one_of(
    st.tuples(*map(st.sampled_from, _PLAUSIBLE)).map(" ".join),
    st.lists(field, min_size=1, max_size=7).map(" ".join),
    st.lists(field, min_size=1, max_size=7).map(lambda fields: f"cron({' '.join(fields)})"),
    st.sampled_from(["@hourly", "@daily", "@midnight", "@reboot", "@", "@yearly"]),
    st.text(max_size=30),
)
# Schedules fire at the clock's time; offsets reach from there to anywhere.
clock = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=st.just(dt.UTC)
)
moment = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
)
duration = st.one_of(
    st.from_regex(r"[-+]?P([0-9]{1,20}D)?(T([0-9]{1,20}H)?([0-9]{1,20}M)?([0-9]{1,20}S)?)?",
                  fullmatch=True),
    st.text(alphabet="-+PTDHMS0123456789٣ \n", max_size=25),
)  # fmt: skip


def _fire(expression: str, now: dt.datetime) -> None:
    """What the scheduler does with a schedule: its firings, and the window of one."""
    fired = last_firing(expression, now)
    assert fired <= now < next_firing(expression, now)
    window_for(expression, fired)


@FUZZ
@given(text=cron_text, now=clock)
@example(text="0 0 31 2 *", now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
@example(text="R * * * *", now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
@example(text="1" + ",1" * 200 + " * * * *", now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
def test_cron_expressions_fire_or_are_refused(text, now):
    expression = holds(normalise_cron, text, names=["cron"])
    if isinstance(expression, str):
        holds(_fire, expression, now)


@FUZZ
@given(start=duration, end=st.none() | duration, fired=clock)
@example(start="-P99999999999999999D", end=None, fired=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
@example(start="-P3649000D", end=None, fired=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
def test_window_offsets_give_a_window_or_are_refused(start, end, fired):
    offsets = [text for text in (start, end) if text is not None]
    if all(isinstance(holds(parse_duration, text, names=["offset"]), dt.timedelta)
           for text in offsets):  # fmt: skip
        window = holds(window_for, "0 * * * *", fired, start, end)
        assert isinstance(window, Exception) or window[0] < window[1]


@FUZZ
@given(
    text=st.one_of(
        st.tuples(moment, moment).map(lambda pair: f"{pair[0].isoformat()}/{pair[1].isoformat()}"),
        st.text(alphabet="0123456789-:T/+Z. ", max_size=45),
    )
)
@example(text="0001-01-01T00:00+01:00/2020-01-01")
def test_explicit_windows_are_windows_or_refused(text):
    window = holds(parse_window, text, names=["window"])
    assert isinstance(window, Exception) or window[0] < window[1]
