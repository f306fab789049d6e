"""The checked JSON of a profile's numeric parts (moments, KLL sketches) and the
primitives every part's reader uses: shared by the profile file's JSON form
(:mod:`watchkeeper.profile.serialize`), the text and embedding parts
(:mod:`watchkeeper.profile.parts`) and watchkeeper's key in ``statistics.json``.

Readers raise :class:`~watchkeeper.profile.validation.Invalid` naming the field;
:func:`checked` turns that into a :class:`FormatError`.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Collection
from typing import Any

import numpy as np

from watchkeeper.errors import FormatError
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.validation import (
    KLL_K,
    MAX_COUNT,
    MAX_KLL_LEVELS,
    Invalid,
    count,
    fail,
    integer,
    is_int,
    kind,
    kll_levels,
    shown,
)

_SPECIAL_NUMBERS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_MOMENT_FIELDS = {"n", "total", "mean", "m2", "m3", "m4"}
_KLL_FIELDS = {"k", "c", "levels", "compactions", "offsets", "error_weight"}


def checked(read, value: Any, where: str, *args: Any) -> Any:
    try:
        return read(value, where, *args)
    except Invalid as exc:
        raise FormatError(f"{exc.path}: {exc.problem}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # a check missed
        raise FormatError(f"{where}: corrupt ({type(exc).__name__}: {exc})") from None


def read_moments(value: Any, path: str, present: int) -> Moments:
    fields(value, path, _MOMENT_FIELDS, {"min", "max"})
    n = count(value["n"], f"{path}.n")
    if n > present:
        fail(f"{path}.n", f"{n} is more than the {present} present values")
    numbers = {key: real(value[key], f"{path}.{key}") for key in _MOMENT_FIELDS - {"n"}}
    for key in ("m2", "m4"):  # sums of even powers
        if numbers[key] < 0:
            fail(f"{path}.{key}", f"must not be negative, got {shown(value[key])}")
    low, high = math.inf, -math.inf
    if n:
        fields(value, path, _MOMENT_FIELDS | {"min", "max"})
        low, high = real(value["min"], f"{path}.min"), real(value["max"], f"{path}.max")
        if math.isnan(low) or math.isnan(high) or low > high:
            both = f"{shown(value['min'])} and {shown(value['max'])}"
            fail(path, f"min must be a number at most max, got {both}")
    return Moments(n=n, min=low, max=high, **numbers)


def read_kll(value: Any, path: str) -> KLLSketch:
    fields(value, path, _KLL_FIELDS)
    k = integer(value["k"], f"{path}.k", *KLL_K)
    c = real(value["c"], f"{path}.c")
    if not 0 < c <= 1:
        fail(f"{path}.c", f"must be in (0, 1], got {shown(value['c'])}")
    raw = value["levels"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_KLL_LEVELS:
        fail(f"{path}.levels", f"must be a list of 1 to {MAX_KLL_LEVELS} levels")
    levels = []
    for h, encoded in enumerate(raw):
        data = base64_bytes(encoded, f"{path}.levels[{h}]")
        if len(data) % 8:
            fail(f"{path}.levels[{h}]", "must hold whole float64 values (8 bytes each)")
        levels.append(np.frombuffer(data, dtype="<f8").astype(np.float64))
    compactions = _counts(value["compactions"], f"{path}.compactions", len(levels), MAX_COUNT)
    offsets = _counts(value["offsets"], f"{path}.offsets", len(levels), 1)
    kll_levels(levels, k, c, path)
    return KLLSketch(
        k=k,
        c=float(c),
        levels=levels,
        compactions=compactions,
        offsets=offsets,
        error_weight=count(value["error_weight"], f"{path}.error_weight"),
    )


def fields(value: Any, path: str, required: set[str], optional: Collection[str] = ()) -> None:
    if not isinstance(value, dict):
        fail(path, f"must be an object, got {kind(value)}")
    missing = required - value.keys()
    if missing:
        fail(path, f"missing field {shown(min(missing))}")
    unknown = value.keys() - required - set(optional)
    if unknown:
        fail(path, f"unknown field {shown(min(unknown))}")


def _counts(value: Any, path: str, length: int, high: int) -> list[int]:
    if not isinstance(value, list) or len(value) != length:
        fail(path, f"must be a list of {length} whole numbers (one per level)")
    return [integer(item, f"{path}[{i}]", 0, high) for i, item in enumerate(value)]


def real(value: Any, path: str) -> float:
    """A number; infinities and NaN are written as the strings 'inf', '-inf', 'nan'."""
    if isinstance(value, float):
        return value
    if is_int(value):
        try:
            return float(value)
        except OverflowError:
            fail(path, "is a whole number too large for a float64")
    if isinstance(value, str) and value in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[value]
    fail(path, f"must be a number (or 'inf', '-inf', 'nan'), got {shown(value)}")


def base64_bytes(value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        fail(path, f"must be base64 text, got {kind(value)}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        fail(path, "is not base64 text")


def moments_to_dict(moments: Moments) -> dict[str, Any]:
    fields = {
        "n": moments.n,
        "total": moments.total,
        "mean": moments.mean,
        "m2": moments.m2,
        "m3": moments.m3,
        "m4": moments.m4,
    }
    if moments.n:
        fields["min"] = moments.min
        fields["max"] = moments.max
    return {key: number(value) for key, value in fields.items()}


def kll_to_dict(sketch: KLLSketch) -> dict[str, Any]:
    return {
        "k": sketch.k,
        "c": sketch.c,
        "levels": [b64(level.astype("<f8").tobytes()) for level in sketch.levels],
        "compactions": list(sketch.compactions),
        "offsets": list(sketch.offsets),
        "error_weight": sketch.error_weight,
    }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def number(value: float | int) -> float | int | str:
    """JSON has no infinities or NaN; write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    return value
