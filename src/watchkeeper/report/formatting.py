"""How numbers look on the page: about four significant digits, thousands separated."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

MISSING = "—"


def number(value: Any) -> str:
    """A count or measurement for people: ``1,234``, ``0.01235``, ``12,346``, ``1.5e-07``."""
    if value is None or isinstance(value, bool):
        return MISSING if value is None else str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return MISSING
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 15 or magnitude < -4:
        return f"{value:.3e}"
    if value.is_integer():
        return f"{value:,.0f}"
    decimals = max(0, 3 - magnitude)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: Any) -> str:
    """A percentage given in 0–100: ``12.5%``, ``0.01%``, ``100%``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if 0 < value < 0.01:
        return "<0.01%"
    if 99.99 < value < 100:
        return ">99.99%"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def share(value: Any) -> str:
    """A share given in 0–1, as a percentage."""
    if value is None:
        return MISSING
    return percent(100.0 * value)


def shorten(text: str, length: int = 80) -> str:
    """``text`` cut to ``length`` characters, with an ellipsis when cut."""
    return text if len(text) <= length else text[: length - 1] + "…"


def window(start: dt.datetime, end: dt.datetime) -> str:
    """A time window to the minute, or to the second when it is shorter than a minute
    or does not fall on whole minutes, so its two ends never read the same.

    >>> at = dt.datetime(2026, 11, 20, 14, 35)
    >>> window(at, at + dt.timedelta(hours=1))
    '2026-11-20 14:35 – 2026-11-20 15:35'
    >>> window(at, at + dt.timedelta(seconds=20))
    '2026-11-20 14:35:00 – 2026-11-20 14:35:20'
    """
    whole = not (start.second or start.microsecond or end.second or end.microsecond)
    short = end - start < dt.timedelta(minutes=1)
    pattern = "%Y-%m-%d %H:%M" if whole and not short else "%Y-%m-%d %H:%M:%S"
    return f"{start.strftime(pattern)} – {end.strftime(pattern)}"


def execution_subtitle(
    *,
    endpoint: str,
    schedule: str,
    cron: str,
    start: dt.datetime,
    end: dt.datetime,
    execution_id: int,
    ran_at: dt.datetime,
) -> str:
    """What a monitoring execution's report is about, in one line.

    >>> at = dt.datetime(2026, 11, 20, 9)
    >>> execution_subtitle(endpoint="churn", schedule="churn-hourly", cron="0 * * * *",
    ...     start=at, end=at + dt.timedelta(hours=1), execution_id=7,
    ...     ran_at=at + dt.timedelta(hours=1, seconds=5))
    'endpoint churn · schedule churn-hourly (0 * * * *) · window 2026-11-20 09:00 – 2026-11-20 10:00 UTC · execution 7, run 2026-11-20 10:00:05 UTC'
    """  # noqa: E501
    return (
        f"endpoint {endpoint} · schedule {schedule} ({cron}) · window {window(start, end)} UTC"
        f" · execution {execution_id}, run {ran_at:%Y-%m-%d %H:%M:%S} UTC"
    )
