"""How numbers look on the page: about four significant digits, thousands separated."""

from __future__ import annotations

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
