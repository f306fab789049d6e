"""JSON printed the way SageMaker's containers print it (Jackson's default pretty printer).

SageMaker writes ``statistics.json``, ``constraints.json`` and
``constraint_violations.json`` with Jackson: ``"key" : value``, two-space indentation,
arrays of objects opened on the same line (``[ {``) and arrays of scalars on one line,
doubles as Java's ``Double.toString`` prints them (``2.31``, ``1.0E7``, ``1.0E-4``).
Printing the same way lets users diff our artefacts against theirs line by line.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any


class JavaDouble(float):
    """A float that prints like a Java double even when integral (``100.0``, not ``100``)."""


def java_double(value: float) -> str:
    """``Double.toString`` of ``value`` (shortest round-trip digits, as since JDK 19)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(float(value))  # Python prints this range in plain notation, like Java
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    text = "".join(map(str, digits))
    scientific = len(text) - 1 + exponent
    text = text.rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{scientific}"


def dumps(document: Any) -> str:
    """``document`` printed like Jackson's ``writerWithDefaultPrettyPrinter``."""
    parts: list[str] = []
    _write(document, 0, parts)
    return "".join(parts)


def _write(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict):
        _write_object(value, depth, out)
    elif isinstance(value, list | tuple):
        _write_array(list(value), depth, out)
    else:
        out.append(_scalar(value))


def _write_object(value: dict, depth: int, out: list[str]) -> None:
    if not value:
        out.append("{ }")
        return
    indent = "  " * (depth + 1)
    out.append("{\n")
    for position, (key, item) in enumerate(value.items()):
        out.append(f"{indent}{json.dumps(str(key))} : ")
        _write(item, depth + 1, out)
        out.append(",\n" if position < len(value) - 1 else "\n")
    out.append("  " * depth + "}")


def _write_array(values: list, depth: int, out: list[str]) -> None:
    if not values:
        out.append("[ ]")
        return
    out.append("[ ")
    for position, item in enumerate(values):
        _write(item, depth, out)
        if position < len(values) - 1:
            out.append(", ")
    out.append(" ]")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, JavaDouble | float):
        return java_double(float(value))
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)
