"""Checks of a binary profile file's per-column numbers over all columns at once: a few
NumPy operations that say whether anything is wrong, so that the reader runs its checks
field by field (to name the culprit) only for a file that fails.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from watchkeeper.profile.binary import (
    EXACT,
    FLOAT_INDEX,
    FROM_BOTH,
    INT_FIELDS,
    INT_INDEX,
    SKETCH,
    STORED,
)
from watchkeeper.profile.types import FRACTIONAL
from watchkeeper.profile.validation import (
    CATEGORY_CAP,
    FREQUENT_HEADER,
    KLL_K,
    LG_MAP_SIZE,
    MAX_ARROW_TYPES,
    MAX_COUNT,
    MAX_KLL_LEVELS,
    MAX_TEXT_LENGTH,
)

MAX_ITEMS = 3 << 15  # items in a frequent-items sketch: 3/4 of its largest map
MAX_HASHES = 1 << 12


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    """The smallest and largest value of each of INT_FIELDS that some column may hold."""
    low, high = np.zeros(len(INT_FIELDS), np.int64), np.full(len(INT_FIELDS), MAX_COUNT)
    for name, (least, most) in {
        "kll.k": KLL_K,
        "kll.levels": (1, MAX_KLL_LEVELS),
        "categories.cap": CATEGORY_CAP,
        "categories.lg_max_map_size": LG_MAP_SIZE,
        "categories.form": (EXACT, SKETCH),
        "categories.entries": (0, max(CATEGORY_CAP[1], MAX_ITEMS)),
        "categories.header": (0, FREQUENT_HEADER + 8 * MAX_ITEMS),
        "distinct.source": (STORED, FROM_BOTH),
        "distinct.header": (0, 24),
        "distinct.hashes": (0, MAX_HASHES),
    }.items():
        low[INT_INDEX[name]], high[INT_INDEX[name]] = least, most
    return low, high


INT_LOW, INT_HIGH = _bounds()


def counts_look_right(ints: np.ndarray, floats: np.ndarray) -> bool:
    """Whether every column passes each of the binary reader's checks of its numbers, in
    a few operations over all fields at once; those checks, one by one, then only run to
    name what is wrong."""
    if ((ints < INT_LOW) | (ints > INT_HIGH)).any():
        return False
    number = dict(zip(INT_FIELDS, ints.T, strict=True))
    present = number["count"] - number["null_count"]
    form, entries = number["categories.form"], number["categories.entries"]
    exact = form == EXACT
    stored = number["distinct.source"] == STORED
    theta_head = number["distinct.header"]
    wrong = (ints[:, 2:6].sum(axis=1) > present) | (present < 0)
    wrong |= (number["integral_valued"] > number[FRACTIONAL]) | (number["moments.n"] > present)
    wrong |= exact & ((entries > number["categories.cap"]) | (number["categories.header"] != 0))
    wrong |= ~exact & (entries > MAX_ITEMS)
    wrong |= stored & (theta_head != 8) & (theta_head != 16) & (theta_head != 24)
    wrong |= ~stored & ((theta_head != 0) | (number["distinct.hashes"] != 0))
    real = floats.T
    # comparisons with NaN are false and warn of nothing: no errstate needed (it costs more
    # than the comparisons)
    lowest, highest, c = real[5], real[6], real[FLOAT_INDEX["kll.c"]]
    wrong |= (real[2] < 0) | (real[4] < 0) | ~((c > 0) & (c <= 1))
    wrong |= (number["moments.n"] > 0) & ~(lowest <= highest)
    return not wrong.any()


def holds_nan(shuffled: memoryview) -> bool:
    """Whether byte-shuffled float64 numbers hold a NaN (all exponent bits set, a mantissa
    not zero), found from their byte planes without putting the numbers together."""
    planes = np.frombuffer(shuffled, dtype=np.uint8).reshape(8, -1)
    top = (planes[7] & 0x7F == 0x7F) & (planes[6] >= 0xF0)
    if not top.any():
        return False
    mantissa = (planes[6] & 0x0F) | planes[5] | planes[4] | planes[3] | planes[2] | planes[1]
    return bool((top & ((mantissa | planes[0]) != 0)).any())


def plain_types(types: list[Any]) -> bool:
    """Whether every column's Arrow type names pass :func:`arrow_types` as they are (one
    pass over all the names, not one per column)."""
    return all(
        isinstance(kinds, list) and len(kinds) <= MAX_ARROW_TYPES for kinds in types
    ) and all(
        isinstance(kind, str) and len(kind) <= MAX_TEXT_LENGTH for kinds in types for kind in kinds
    )


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
