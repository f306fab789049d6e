"""The profile file: versioned JSON, lossless, byte-for-byte deterministic.

Layout (version 1)::

    {"format": "watchkeeper-profile", "version": 1, "rows": N, "metadata": {...},
     "columns": [{"name": ..., "count": ..., "null_count": ..., "type_counts": {...},
                  "integral_valued": ..., "arrow_types": [...], "moments": {...},
                  "kll": {"k", "c", "levels": [base64 float64 LE], "compactions",
                          "offsets", "error_weight"},
                  "distinct": base64 compact theta sketch (DataSketches format),
                  "categories": {"cap", "lg_max_map_size", "exact": [[value, count], ...]}
                                | {"cap", "lg_max_map_size", "sketch": base64}}]}

Floats are written with Python's shortest round-trip repr, so reading gives back the
same bits; keys are sorted; nothing depends on the clock. A newer watchkeeper reads
every older version; a file from a newer watchkeeper is refused with a clear message.

Profiles arrive from outside (uploads to the dashboard, files written by other
processes), so reading is strict: every field's type and bounds, the sketches' bytes
and the counts' consistency are checked while the profile is built, before any of it
is used, and a document that fails is refused with a :class:`FormatError` naming the
field. Whatever is accepted merges with any other accepted profile and can be shown.

>>> profile_from_bytes(b'{"format": "watchkeeper-profile", "version": 1, "rows": -1, '
...                    b'"columns": []}', "upload")
Traceback (most recent call last):
...
watchkeeper.errors.FormatError: upload: rows: must be a whole number from 0 to 9007199254740992, got -1
"""  # noqa: E501

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from collections.abc import Collection
from typing import Any, NoReturn

import datasketches
import numpy as np

from watchkeeper.errors import FormatError
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.distinct import DEFAULT_LG_K, DistinctSketch
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.kll import KLLSketch, level_capacity
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING

FORMAT = "watchkeeper-profile"
VERSION = 1

# Bounds of a document read from outside. Counts stay exact in a float64 (and so in any
# JSON reader); the rest keeps one document's cost of reading and merging bounded.
MAX_COUNT = 2**53
MAX_COLUMNS = 100_000
MAX_NAME_LENGTH = 1024  # column names and metadata keys, in characters
MAX_TEXT_LENGTH = 4096  # metadata values, category values and type names
MAX_METADATA = 256
MAX_ARROW_TYPES = 64
KLL_K = (8, 1 << 16)
MAX_KLL_LEVELS = 60  # an item at level h weighs 2**h: 2**60 is past MAX_COUNT
CATEGORY_CAP = (1, 100_000)
LG_MAP_SIZE = (3, 16)  # DataSketches' frequent-items map: 2**lg slots
MAX_THETA = (1 << 63) - 1

_SPECIAL_NUMBERS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_TYPE_KEYS = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING)
_COLUMN_FIELDS = {
    "name", "count", "null_count", "type_counts", "arrow_types", "moments", "kll",
    "distinct", "categories",
}  # fmt: skip
_MOMENT_FIELDS = {"n", "total", "mean", "m2", "m3", "m4"}
_KLL_FIELDS = {"k", "c", "levels", "compactions", "offsets", "error_weight"}

# DataSketches' serial formats: compact theta sketch (serial version 3) and frequent
# items (serial version 1), as distinct.py and frequent.py write them
_THETA_FAMILY, _THETA_SERIAL = 3, 3
_THETA_EMPTY, _THETA_COMPACT, _THETA_ORDERED = 1 << 2, 1 << 3, 1 << 4
_FREQUENT_FAMILY, _FREQUENT_SERIAL, _FREQUENT_EMPTY = 10, 1, 1 << 2


def profile_to_dict(profile: DatasetProfile) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "rows": profile.rows,
        "metadata": dict(sorted(profile.metadata.items())),
        "columns": [_column_to_dict(name, column) for name, column in profile.columns.items()],
    }


def profile_to_bytes(profile: DatasetProfile) -> bytes:
    """The profile file's bytes (UTF-8 JSON)."""
    text = json.dumps(profile_to_dict(profile), sort_keys=True, separators=(",", ":"))
    return text.encode()


def profile_from_bytes(data: bytes, source: str = "profile") -> DatasetProfile:
    """Read and check a profile file; ``source`` names it in error messages."""
    try:
        document = json.loads(data)
    except RecursionError:
        raise FormatError(f"{source}: not a watchkeeper profile (JSON nested too deeply)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{source}: not a watchkeeper profile (invalid JSON: {reason})") from None
    return profile_from_dict(document, source)


def profile_from_dict(document: Any, source: str = "profile") -> DatasetProfile:
    """Check a parsed profile document and build the profile it describes."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FormatError(f'{source}: not a watchkeeper profile (no \'"format": "{FORMAT}"\')')
    version = document.get("version")
    if not _is_int(version) or version < 1:
        raise FormatError(f"{source}: invalid profile version {_shown(version)}")
    if version > VERSION:
        raise FormatError(
            f"{source}: profile version {version} was written by a newer watchkeeper "
            f"(this one reads up to version {VERSION}); upgrade watchkeeper"
        )
    try:
        return _profile(document)
    except _Invalid as exc:
        raise FormatError(f"{source}: {exc.path}: {exc.problem}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # a check missed
        raise FormatError(f"{source}: corrupt profile ({type(exc).__name__}: {exc})") from None


# Parts of a column entry, for formats that carry some of a profile beside their own
# fields (watchkeeper's key in statistics.json). ``where`` names the part in messages.


def moments_from_dict(value: Any, where: str, present: int) -> Moments:
    """Moments written by :func:`moments_to_dict`, checked; FormatError naming ``where``."""
    return _checked(_moments, value, where, present)


def type_counts_from_dict(value: Any, where: str, present: int) -> dict[str, int]:
    """Counts of present values by Deequ type, adding up to at most ``present``."""
    return _checked(_type_counts, value, where, present)


def categories_from_dict(value: Any, where: str, present: int) -> CategoryCounts:
    """Category counts written by :func:`categories_to_dict`, checked."""
    return _checked(_categories, value, where, present)


def _checked(read, value: Any, where: str, *args: Any) -> Any:
    try:
        return read(value, where, *args)
    except _Invalid as exc:
        raise FormatError(f"{exc.path}: {exc.problem}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # a check missed
        raise FormatError(f"{where}: corrupt ({type(exc).__name__}: {exc})") from None


# -- reading, checked ---------------------------------------------------------------------


class _Invalid(Exception):
    """A field that breaks the format: where it is and what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def _fail(path: str, problem: str) -> NoReturn:
    raise _Invalid(path, problem)


def _profile(document: dict[str, Any]) -> DatasetProfile:
    _fields(document, "document", {"format", "version", "rows", "columns"}, {"metadata"})
    rows = _count(document["rows"], "rows")
    profile = DatasetProfile(_metadata(document.get("metadata", {})))
    profile.rows = rows
    columns = document["columns"]
    if not isinstance(columns, list):
        _fail("columns", f"must be a list, got {_kind(columns)}")
    if len(columns) > MAX_COLUMNS:
        _fail("columns", f"at most {MAX_COLUMNS:,} columns, got {len(columns):,}")
    for index, entry in enumerate(columns):
        name = entry.get("name") if isinstance(entry, dict) else None
        path = _column_path(name, index)
        if not isinstance(entry, dict):
            _fail(path, f"must be an object, got {_kind(entry)}")
        name = _text(name, f"{path}.name", MAX_NAME_LENGTH)
        if name in profile.columns:
            _fail(f"{path}.name", f"column {_shown(name)} appears twice")
        profile.columns[name] = _column(entry, path)
    return profile


def _metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        _fail("metadata", f"must be an object, got {_kind(value)}")
    if len(value) > MAX_METADATA:
        _fail("metadata", f"at most {MAX_METADATA} entries, got {len(value)}")
    for key, text in value.items():
        if not 0 < len(key) <= MAX_NAME_LENGTH:
            _fail("metadata", f"keys have 1 to {MAX_NAME_LENGTH} characters")
        _text(text, f"metadata.{_short(key)}", MAX_TEXT_LENGTH)
    return dict(value)


def _column(entry: dict[str, Any], path: str) -> ColumnProfile:
    _fields(entry, path, _COLUMN_FIELDS, {"integral_valued"})
    column = ColumnProfile()
    column.count = _count(entry["count"], f"{path}.count")
    column.null_count = _count(entry["null_count"], f"{path}.null_count")
    if column.null_count > column.count:
        _fail(f"{path}.null_count", f"{column.null_count} is more than count ({column.count})")
    present = column.count - column.null_count
    column.type_counts = _type_counts(entry["type_counts"], f"{path}.type_counts", present)
    column.integral_valued = _count(entry.get("integral_valued", 0), f"{path}.integral_valued")
    if column.integral_valued > column.type_counts[FRACTIONAL]:
        _fail(f"{path}.integral_valued", f"more than the {FRACTIONAL} values counted")
    column.arrow_types = _arrow_types(entry["arrow_types"], f"{path}.arrow_types")
    column.moments = _moments(entry["moments"], f"{path}.moments", present)
    column.kll = _kll(entry["kll"], f"{path}.kll")
    column.distinct = _distinct(entry["distinct"], f"{path}.distinct")
    column.categories = _categories(entry["categories"], f"{path}.categories", present)
    return column


def _type_counts(value: Any, path: str, present: int) -> dict[str, int]:
    _fields(value, path, set(_TYPE_KEYS))
    counts = {key: _count(value[key], f"{path}.{key}") for key in _TYPE_KEYS}
    if sum(counts.values()) > present:
        _fail(path, f"add up to {sum(counts.values())}, more than the {present} present values")
    return counts


def _arrow_types(value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        _fail(path, f"must be a list, got {_kind(value)}")
    if len(value) > MAX_ARROW_TYPES:
        _fail(path, f"at most {MAX_ARROW_TYPES} types, got {len(value)}")
    return [_text(kind, f"{path}[{i}]", MAX_TEXT_LENGTH) for i, kind in enumerate(value)]


def _moments(value: Any, path: str, present: int) -> Moments:
    _fields(value, path, _MOMENT_FIELDS, {"min", "max"})
    n = _count(value["n"], f"{path}.n")
    if n > present:
        _fail(f"{path}.n", f"{n} is more than the {present} present values")
    numbers = {key: _real(value[key], f"{path}.{key}") for key in _MOMENT_FIELDS - {"n"}}
    for key in ("m2", "m4"):  # sums of even powers
        if numbers[key] < 0:
            _fail(f"{path}.{key}", f"must not be negative, got {_shown(value[key])}")
    low, high = math.inf, -math.inf
    if n:
        _fields(value, path, _MOMENT_FIELDS | {"min", "max"})
        low, high = _real(value["min"], f"{path}.min"), _real(value["max"], f"{path}.max")
        if math.isnan(low) or math.isnan(high) or low > high:
            shown = f"{_shown(value['min'])} and {_shown(value['max'])}"
            _fail(path, f"min must be a number at most max, got {shown}")
    return Moments(n=n, min=low, max=high, **numbers)


def _kll(value: Any, path: str) -> KLLSketch:
    _fields(value, path, _KLL_FIELDS)
    k = _integer(value["k"], f"{path}.k", *KLL_K)
    c = _real(value["c"], f"{path}.c")
    if not 0 < c <= 1:
        _fail(f"{path}.c", f"must be in (0, 1], got {_shown(value['c'])}")
    raw = value["levels"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_KLL_LEVELS:
        _fail(f"{path}.levels", f"must be a list of 1 to {MAX_KLL_LEVELS} levels")
    levels = []
    for h, text in enumerate(raw):
        data = _base64(text, f"{path}.levels[{h}]")
        if len(data) % 8:
            _fail(f"{path}.levels[{h}]", "must hold whole float64 values (8 bytes each)")
        items = np.frombuffer(data, dtype="<f8").astype(np.float64)
        if np.isnan(items).any():
            _fail(f"{path}.levels[{h}]", "holds NaN, which a sketch never keeps")
        levels.append(items)
    compactions = _counts(value["compactions"], f"{path}.compactions", len(levels), MAX_COUNT)
    offsets = _counts(value["offsets"], f"{path}.offsets", len(levels), 1)
    retained = sum(len(items) for items in levels)
    capacity = sum(level_capacity(k, c, h) for h in range(len(levels)))
    if retained > capacity:
        _fail(f"{path}.levels", f"hold {retained} items, more than k={k}, c={c} allow ({capacity})")
    if sum(len(items) << h for h, items in enumerate(levels)) > MAX_COUNT:
        _fail(f"{path}.levels", f"weigh more than {MAX_COUNT} values")
    return KLLSketch(
        k=k,
        c=float(c),
        levels=levels,
        compactions=compactions,
        offsets=offsets,
        error_weight=_count(value["error_weight"], f"{path}.error_weight"),
    )


def _distinct(value: Any, path: str) -> DistinctSketch:
    data = _base64(value, path)
    _check_theta(data, path)
    try:
        return DistinctSketch.from_bytes(data)
    except Exception as exc:  # the library's own checks (seed hash, sizes)
        _fail(path, f"not a theta sketch DataSketches reads ({_reason(exc)})")


def _check_theta(data: bytes, path: str) -> None:
    """A compact, ordered theta sketch (serial version 3) whose parts agree, so that the
    library never meets sizes or hashes it would trust."""
    if len(data) < 8:
        _fail(path, f"a theta sketch has at least 8 bytes, got {len(data)}")
    longs, serial, family, flags = data[0], data[1], data[2], data[5]
    if (serial, family) != (_THETA_SERIAL, _THETA_FAMILY):
        _fail(path, "must be a compact theta sketch (DataSketches serial version 3)")
    if flags & (_THETA_COMPACT | _THETA_ORDERED) != _THETA_COMPACT | _THETA_ORDERED:
        _fail(path, "must be a compact, ordered theta sketch")
    theta, count = MAX_THETA, 0
    if longs == 1:
        count = 0 if flags & _THETA_EMPTY else 1
    elif longs in (2, 3) and len(data) >= 8 * longs:
        count = struct.unpack_from("<I", data, 8)[0]
        if longs == 3:
            theta = struct.unpack_from("<Q", data, 16)[0]
    else:
        _fail(path, f"theta sketch header of {longs} longs is not valid")
    if count > 1 << DEFAULT_LG_K:
        _fail(path, f"holds {count} hashes, more than {1 << DEFAULT_LG_K}")
    if len(data) != 8 * longs + 8 * count:
        _fail(path, f"theta sketch of {count} hashes has {len(data)} bytes")
    if not 0 < theta <= MAX_THETA:
        _fail(path, "theta sketch threshold out of range")
    hashes = np.frombuffer(data, dtype="<u8", count=count, offset=8 * longs)
    if count and (hashes[0] == 0 or hashes[-1] >= theta or (hashes[1:] <= hashes[:-1]).any()):
        _fail(path, "theta sketch hashes are not ordered, distinct and below theta")


def _categories(value: Any, path: str, present: int) -> CategoryCounts:
    form = "exact" if isinstance(value, dict) and "exact" in value else "sketch"
    _fields(value, path, {"cap", "lg_max_map_size", form})
    cap = _integer(value["cap"], f"{path}.cap", *CATEGORY_CAP)
    lg = _integer(value["lg_max_map_size"], f"{path}.lg_max_map_size", *LG_MAP_SIZE)
    if form == "exact":
        exact = _exact(value["exact"], f"{path}.exact", cap)
        total = sum(exact.values())
        counts = CategoryCounts(cap, lg, exact=exact)
    else:
        data = _base64(value["sketch"], f"{path}.sketch")
        total = _check_frequent(data, f"{path}.sketch", lg)
        try:
            sketch = datasketches.frequent_strings_sketch.deserialize(data)
        except Exception as exc:  # the library's own checks
            _fail(f"{path}.sketch", f"not a frequent-items sketch ({_reason(exc)})")
        counts = CategoryCounts(cap, lg, sketch=sketch)
    if total > present:
        _fail(path, f"count {total} values, more than the {present} present values")
    return counts


def _exact(value: Any, path: str, cap: int) -> dict[str, int]:
    if not isinstance(value, list):
        _fail(path, f"must be a list, got {_kind(value)}")
    if len(value) > cap:
        _fail(path, f"holds {len(value)} values, more than cap ({cap})")
    exact: dict[str, int] = {}
    for index, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            _fail(f"{path}[{index}]", "must be a [value, count] pair")
        text = _text(pair[0], f"{path}[{index}][0]", MAX_TEXT_LENGTH)
        if text in exact:
            _fail(f"{path}[{index}][0]", f"value {_shown(text)} appears twice")
        exact[text] = _count(pair[1], f"{path}[{index}][1]")
    return exact


def _check_frequent(data: bytes, path: str, lg: int) -> int:
    """Check a frequent-strings sketch's bytes item by item (sizes, counts, UTF-8), so
    that the library only ever reads a well-formed one; returns its total weight."""
    if len(data) < 8:
        _fail(path, f"a frequent-items sketch has at least 8 bytes, got {len(data)}")
    longs, serial, family, lg_max, lg_now, flags = data[:6]
    if (serial, family) != (_FREQUENT_SERIAL, _FREQUENT_FAMILY):
        _fail(path, "must be a frequent-items sketch (DataSketches serial version 1)")
    if lg_max != lg or not LG_MAP_SIZE[0] <= lg_now <= lg_max:
        _fail(path, f"map sizes ({lg_now}, {lg_max}) disagree with lg_max_map_size ({lg})")
    if longs == 1 and flags & _FREQUENT_EMPTY and len(data) == 8:
        return 0
    if longs != 4 or flags or len(data) < 32:
        _fail(path, "frequent-items sketch header is not valid")
    active, _, total, offset = struct.unpack_from("<IIQQ", data, 8)
    if not 0 < active <= 3 * (1 << lg_now) // 4 or len(data) < 32 + 8 * active:
        _fail(path, f"frequent-items sketch cannot hold {active} items")
    weights = np.frombuffer(data, dtype="<u8", count=active, offset=32)
    if total > MAX_COUNT or offset > total or (weights == 0).any() or (weights > total).any():
        _fail(path, "frequent-items sketch counts are not consistent")
    if sum(weights.tolist()) > total:
        _fail(path, "frequent-items sketch counts are not consistent")
    # The items ([u32 size][UTF-8 bytes], one after another) are walked once for their
    # bounds; their text is checked in one decode of all of them, which is valid exactly
    # when each is, since no item may start inside another's character.
    starts = np.empty(active, dtype=np.int64)
    position, unpack = 32 + 8 * active, struct.Struct("<I").unpack_from
    for index in range(active):
        if position + 4 > len(data):
            _fail(path, "frequent-items sketch ends inside an item")
        starts[index] = position + 4
        position += 4 + unpack(data, position)[0]
    if position != len(data):
        _fail(path, "frequent-items sketch items do not end where its bytes do")
    raw = np.frombuffer(data, dtype=np.uint8)
    sizes = np.diff(np.append(starts, position + 4)) - 4
    text = np.ones(len(raw), dtype=bool)
    text[: 32 + 8 * active] = False
    for offset in range(4):
        text[starts - 4 + offset] = False
    first = starts[sizes > 0]
    if (sizes > 4 * MAX_TEXT_LENGTH).any() or ((raw[first] & 0xC0) == 0x80).any():
        _fail(path, "frequent-items sketch item is too long or not UTF-8 text")
    try:
        raw[text].tobytes().decode("utf-8")
    except UnicodeDecodeError:
        _fail(path, "frequent-items sketch item is not UTF-8 text")
    return total


# -- primitives -------------------------------------------------------------------------


def _fields(value: Any, path: str, required: set[str], optional: Collection[str] = ()) -> None:
    if not isinstance(value, dict):
        _fail(path, f"must be an object, got {_kind(value)}")
    missing = required - value.keys()
    if missing:
        _fail(path, f"missing field {_shown(min(missing))}")
    unknown = value.keys() - required - set(optional)
    if unknown:
        _fail(path, f"unknown field {_shown(min(unknown))}")


def _integer(value: Any, path: str, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:
        _fail(path, f"must be a whole number from {low} to {high}, got {_shown(value)}")
    return value


def _count(value: Any, path: str) -> int:
    return _integer(value, path, 0, MAX_COUNT)


def _counts(value: Any, path: str, length: int, high: int) -> list[int]:
    if not isinstance(value, list) or len(value) != length:
        _fail(path, f"must be a list of {length} whole numbers (one per level)")
    return [_integer(item, f"{path}[{i}]", 0, high) for i, item in enumerate(value)]


def _real(value: Any, path: str) -> float:
    """A number; infinities and NaN are written as the strings 'inf', '-inf', 'nan'."""
    if isinstance(value, float):
        return value
    if _is_int(value):
        try:
            return float(value)
        except OverflowError:
            _fail(path, "is a whole number too large for a float64")
    if isinstance(value, str) and value in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[value]
    _fail(path, f"must be a number (or 'inf', '-inf', 'nan'), got {_shown(value)}")


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        _fail(path, f"must be text, got {_kind(value)}")
    if len(value) > limit:
        _fail(path, f"at most {limit} characters, got {len(value)}")
    return value


def _base64(value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        _fail(path, f"must be base64 text, got {_kind(value)}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        _fail(path, "is not base64 text")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _shown(value: Any) -> str:
    """A value for a message: short, on one line."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _short(name: str) -> str:
    return name if name.isprintable() and len(name) <= 64 else repr(name[:40])


def _column_path(name: Any, index: int) -> str:
    if isinstance(name, str) and name and name.isprintable() and len(name) <= 64:
        return f"columns.{name}"
    return f"columns[{index}]"


def _reason(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- writing ------------------------------------------------------------------------------


def _column_to_dict(name: str, column: ColumnProfile) -> dict[str, Any]:
    return {
        "name": name,
        "count": column.count,
        "null_count": column.null_count,
        "type_counts": dict(column.type_counts),
        "integral_valued": column.integral_valued,
        "arrow_types": list(column.arrow_types),
        "moments": moments_to_dict(column.moments),
        "kll": _kll_to_dict(column.kll),
        "distinct": _b64(column.distinct.to_bytes()),
        "categories": categories_to_dict(column.categories),
    }


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
    return {key: _number(value) for key, value in fields.items()}


def _kll_to_dict(sketch: KLLSketch) -> dict[str, Any]:
    return {
        "k": sketch.k,
        "c": sketch.c,
        "levels": [_b64(level.astype("<f8").tobytes()) for level in sketch.levels],
        "compactions": list(sketch.compactions),
        "offsets": list(sketch.offsets),
        "error_weight": sketch.error_weight,
    }


def categories_to_dict(categories: CategoryCounts) -> dict[str, Any]:
    entry: dict[str, Any] = {"cap": categories.cap, "lg_max_map_size": categories.lg_max_map_size}
    if categories.exact is not None:
        entry["exact"] = [[value, count] for value, count in sorted(categories.exact.items())]
    else:
        entry["sketch"] = _b64(categories.sketch_bytes())
    return entry


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _number(value: float | int) -> float | int | str:
    """JSON has no infinities or NaN; write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    return value
