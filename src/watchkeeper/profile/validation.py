"""Checks shared by every reader of profile files (JSON and binary): bounds, text, and
the DataSketches byte formats, so that whatever a reader accepts is safe to merge and
show, whichever form it came in.

A failed check raises :class:`Invalid` with the field's path; the reader turns it into
a :class:`~watchkeeper.errors.FormatError` naming the source.
"""

from __future__ import annotations

import struct
from typing import Any, NoReturn

import numpy as np

from watchkeeper.profile.distinct import DEFAULT_LG_K, SEED_HASH
from watchkeeper.profile.kll import level_capacity

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

# DataSketches' serial formats: compact theta sketch (serial version 3) and frequent
# items (serial version 1), as distinct.py and frequent.py write them
_THETA_FAMILY, _THETA_SERIAL = 3, 3
_THETA_EMPTY, _THETA_COMPACT, _THETA_ORDERED = 1 << 2, 1 << 3, 1 << 4
_FREQUENT_FAMILY, _FREQUENT_SERIAL, _FREQUENT_EMPTY = 10, 1, 1 << 2
FREQUENT_HEADER = 32  # bytes before the weights of a non-empty frequent-items sketch


class Invalid(Exception):
    """A field that breaks the format: where it is and what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def fail(path: str, problem: str) -> NoReturn:
    raise Invalid(path, problem)


# -- values ---------------------------------------------------------------------------


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(value: Any, path: str, low: int, high: int) -> int:
    if not is_int(value) or not low <= value <= high:
        fail(path, f"must be a whole number from {low} to {high}, got {shown(value)}")
    return value


def count(value: Any, path: str) -> int:
    return integer(value, path, 0, MAX_COUNT)


def text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        fail(path, f"must be text, got {kind(value)}")
    if len(value) > limit:
        fail(path, f"at most {limit} characters, got {len(value)}")
    return value


def metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        fail("metadata", f"must be an object, got {kind(value)}")
    if len(value) > MAX_METADATA:
        fail("metadata", f"at most {MAX_METADATA} entries, got {len(value)}")
    for key, item in value.items():
        if not 0 < len(key) <= MAX_NAME_LENGTH:
            fail("metadata", f"keys have 1 to {MAX_NAME_LENGTH} characters")
        text(item, f"metadata.{short(key)}", MAX_TEXT_LENGTH)
    return dict(value)


def arrow_types(value: Any, path: str) -> list[str]:
    if not isinstance(value, list):
        fail(path, f"must be a list, got {kind(value)}")
    if len(value) > MAX_ARROW_TYPES:
        fail(path, f"at most {MAX_ARROW_TYPES} types, got {len(value)}")
    return [text(name, f"{path}[{i}]", MAX_TEXT_LENGTH) for i, name in enumerate(value)]


def kll_levels(levels: list[np.ndarray], k: int, c: float, path: str) -> None:
    """Levels a KLL sketch with parameters ``k``, ``c`` can hold: no NaN, within capacity
    and weighing at most ``MAX_COUNT`` values."""
    for h, items in enumerate(levels):
        if np.isnan(items).any():
            fail(f"{path}.levels[{h}]", "holds NaN, which a sketch never keeps")
    retained = sum(len(items) for items in levels)
    capacity = sum(level_capacity(k, c, h) for h in range(len(levels)))
    if retained > capacity:
        fail(f"{path}.levels", f"hold {retained} items, more than k={k}, c={c} allow ({capacity})")
    if sum(len(items) << h for h, items in enumerate(levels)) > MAX_COUNT:
        fail(f"{path}.levels", f"weigh more than {MAX_COUNT} values")


def kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def shown(value: Any) -> str:
    """A value for a message: short, on one line."""
    written = repr(value)
    return written if len(written) <= 40 else f"{written[:37]}..."


def short(name: str) -> str:
    return name if name.isprintable() and len(name) <= 64 else repr(name[:40])


def column_path(name: Any, index: int) -> str:
    if isinstance(name, str) and name and name.isprintable() and len(name) <= 64:
        return f"columns.{name}"
    return f"columns[{index}]"


def reason(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# -- sketch bytes ---------------------------------------------------------------------


def check_theta(data: bytes, path: str) -> tuple[np.ndarray, int]:
    """A compact, ordered theta sketch (serial version 3) whose parts agree, so that the
    library never meets sizes or hashes it would trust; returns its hashes and theta."""
    if len(data) < 8:
        fail(path, f"a theta sketch has at least 8 bytes, got {len(data)}")
    longs, serial, family, flags = data[0], data[1], data[2], data[5]
    if (serial, family) != (_THETA_SERIAL, _THETA_FAMILY):
        fail(path, "must be a compact theta sketch (DataSketches serial version 3)")
    if flags & (_THETA_COMPACT | _THETA_ORDERED) != _THETA_COMPACT | _THETA_ORDERED:
        fail(path, "must be a compact, ordered theta sketch")
    if data[6:8] != SEED_HASH:
        fail(path, "not a theta sketch DataSketches reads (its seed hash is not ours)")
    theta, held = MAX_THETA, 0
    if longs == 1:
        held = 0 if flags & _THETA_EMPTY else 1
    elif longs in (2, 3) and len(data) >= 8 * longs:
        held = struct.unpack_from("<I", data, 8)[0]
        if longs == 3:
            theta = struct.unpack_from("<Q", data, 16)[0]
    else:
        fail(path, f"theta sketch header of {longs} longs is not valid")
    if held > 1 << DEFAULT_LG_K:
        fail(path, f"holds {held} hashes, more than {1 << DEFAULT_LG_K}")
    if len(data) != 8 * longs + 8 * held:
        fail(path, f"theta sketch of {held} hashes has {len(data)} bytes")
    if not 0 < theta <= MAX_THETA:
        fail(path, "theta sketch threshold out of range")
    hashes = np.frombuffer(data, dtype="<u8", count=held, offset=8 * longs)
    if held and (hashes[0] == 0 or hashes[-1] >= theta or (hashes[1:] <= hashes[:-1]).any()):
        fail(path, "theta sketch hashes are not ordered, distinct and below theta")
    return hashes.astype(np.uint64), theta


def check_frequent(data: bytes, path: str, lg: int, starts: np.ndarray | None = None) -> int:
    """Check a frequent-strings sketch's bytes item by item (sizes, counts, UTF-8), so
    that the library only ever reads a well-formed one; returns its total weight.

    ``starts`` (where each item's text begins, as a reader that stored the sizes apart
    knows them) spares the walk through the items; they are checked all the same.
    """
    if len(data) < 8:
        fail(path, f"a frequent-items sketch has at least 8 bytes, got {len(data)}")
    longs, serial, family, lg_max, lg_now, flags = data[:6]
    if (serial, family) != (_FREQUENT_SERIAL, _FREQUENT_FAMILY):
        fail(path, "must be a frequent-items sketch (DataSketches serial version 1)")
    if lg_max != lg or not LG_MAP_SIZE[0] <= lg_now <= lg_max:
        fail(path, f"map sizes ({lg_now}, {lg_max}) disagree with lg_max_map_size ({lg})")
    if longs == 1 and flags & _FREQUENT_EMPTY and len(data) == 8:
        return 0
    if longs != 4 or flags or len(data) < FREQUENT_HEADER:
        fail(path, "frequent-items sketch header is not valid")
    active, _, total, offset = struct.unpack_from("<IIQQ", data, 8)
    first = FREQUENT_HEADER + 8 * active
    if not 0 < active <= 3 * (1 << lg_now) // 4 or len(data) < first:
        fail(path, f"frequent-items sketch cannot hold {active} items")
    weights = np.frombuffer(data, dtype="<u8", count=active, offset=FREQUENT_HEADER)
    if total > MAX_COUNT or offset > total or (weights == 0).any() or (weights > total).any():
        fail(path, "frequent-items sketch counts are not consistent")
    # a float64 sum is off by far less than 1e-9 of it here; only a near tie needs exactness
    approximate = float(weights.sum(dtype=np.float64))
    near = abs(approximate - total) <= 1e-9 * total
    if (sum(weights.tolist()) if near else approximate) > total:
        fail(path, "frequent-items sketch counts are not consistent")
    raw = np.frombuffer(data, dtype=np.uint8)
    starts = _item_starts(data, path, active, first) if starts is None else starts
    if len(starts) != active or starts[0] != first + 4 or starts.max() > len(data):
        fail(path, "frequent-items sketch ends inside an item")
    # Each item is [u32 size][UTF-8 bytes]; the sizes written before the items must be
    # the distances between them, and the last must end where the bytes do.
    sizes = (raw[starts[:, None] - 4 + np.arange(4)].astype(np.int64) << [0, 8, 16, 24]).sum(1)
    ends = starts + sizes
    if (ends[:-1] + 4 != starts[1:]).any():
        fail(path, "frequent-items sketch ends inside an item")
    if ends[-1] != len(data):
        fail(path, "frequent-items sketch items do not end where its bytes do")
    # The texts are checked in one decode of all of them, which is valid exactly when
    # each is, since no item may start inside another's character.
    is_text = np.ones(len(raw), dtype=bool)
    is_text[:first] = False
    for byte in range(4):
        is_text[starts - 4 + byte] = False
    opening = starts[sizes > 0]
    if (sizes > 4 * MAX_TEXT_LENGTH).any() or ((raw[opening] & 0xC0) == 0x80).any():
        fail(path, "frequent-items sketch item is too long or not UTF-8 text")
    try:
        raw[is_text].tobytes().decode("utf-8")
    except UnicodeDecodeError:
        fail(path, "frequent-items sketch item is not UTF-8 text")
    return total


def _item_starts(data: bytes, path: str, active: int, position: int) -> np.ndarray:
    starts = np.empty(active, dtype=np.int64)
    unpack = struct.Struct("<I").unpack_from
    for index in range(active):
        if position + 4 > len(data):
            fail(path, "frequent-items sketch ends inside an item")
        starts[index] = position + 4
        position += 4 + unpack(data, position)[0]
    if position != len(data):
        fail(path, "frequent-items sketch items do not end where its bytes do")
    return starts
