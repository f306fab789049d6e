"""Reading the fields of SageMaker's JSON artefacts, each checked as it is read.

``statistics.json``, ``constraints.json`` and Clarify's ``analysis.json`` arrive from
other tools and other people, so every value is checked for its type and range before
it is used, and a bad one is a :class:`~watchkeeper.errors.FormatError` whose one line
names the file, the field and what is wrong::

    >>> number([1.5], "statistics.json: features[0].mean")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.FormatError: statistics.json: features[0].mean is a list; expected a number
    >>> count(-1, "statistics.json: dataset.item_count")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    watchkeeper.errors.FormatError: statistics.json: dataset.item_count is -1; expected a whole ...

Numbers may be written as Java prints them when they are not finite (``NaN``,
``Infinity``, ``-Infinity``, bare or quoted); a caller that has no use for such values
asks for ``finite=True``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from watchkeeper.errors import FormatError

MAX_COUNT = 2**63 - 1  # counts are int64 wherever they go next
SHOWN_LENGTH = 60
# A number quoted as text: Jackson quotes NaN and the infinities; some writers quote all.
_QUOTED_NUMBER = re.compile(r"[-+]?(?:NaN|Infinity|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)")


def parse_json(data: bytes | str, source: str) -> Any:
    """The JSON document in ``data``; a FormatError naming ``source`` when it is not one."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{source}: not valid JSON ({exc})") from None
    except RecursionError:
        raise FormatError(f"{source}: not readable JSON (nested too deeply)") from None


def shown(value: Any) -> str:
    r"""``value`` as a message shows it: short, on one line, containers by their kind.

    >>> print(shown("bad\nname"), shown({"a": 1}), shown(float("nan")))
    'bad\nname' an object nan
    """
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str) and len(value) > SHOWN_LENGTH:
        value = value[:SHOWN_LENGTH] + "…"
    text = repr(value)
    return text if len(text) <= 2 * SHOWN_LENGTH else text[: 2 * SHOWN_LENGTH] + "…"


def mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(f"{where} is {shown(value)}; expected an object")
    return value


def listing(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise FormatError(f"{where} is {shown(value)}; expected a list")
    return value


def text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise FormatError(f"{where} is {shown(value)}; expected text")
    return value


def number(value: Any, where: str, *, finite: bool = False) -> float:
    """A JSON number (or one quoted as text) as a float."""
    result = _as_float(value)
    if result is None:
        raise FormatError(f"{where} is {shown(value)}; expected a number")
    if finite and not math.isfinite(result):
        raise FormatError(f"{where} is {shown(value)}; expected a finite number")
    return result


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # beyond a double's range: as far out as a double goes
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str) and _QUOTED_NUMBER.fullmatch(value):
        return float(value.replace("Infinity", "inf"))
    return None


def count(value: Any, where: str) -> int:
    """A whole number from 0 to ``MAX_COUNT`` (``3.0`` is 3, as Jackson writes counts)."""
    if isinstance(value, int) and not isinstance(value, bool):
        whole: int | None = value
    else:
        result = _as_float(value)
        usable = result is not None and math.isfinite(result) and result.is_integer()
        whole = int(result) if usable else None
    if whole is None or not 0 <= whole <= MAX_COUNT:
        raise FormatError(
            f"{where} is {shown(value)}; expected a whole number from 0 to {MAX_COUNT}"
        )
    return whole


def fraction(value: Any, where: str) -> float:
    """A number from 0 to 1."""
    result = number(value, where)
    if not 0.0 <= result <= 1.0:
        raise FormatError(f"{where} is {shown(value)}; expected a number from 0 to 1")
    return result
