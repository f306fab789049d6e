"""Merging received profiles into the batches of their hour and day, one profile at a
time as a unit of failure: one that cannot be read or merged is reported, not merged."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

from watchkeeper.catalog.datasets import DAY, HOUR, Part, batch_start
from watchkeeper.datasets.segments import META_TIMESTAMP, WHOLE
from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes
from watchkeeper.profile.kll import DEFAULT_C, DEFAULT_K

Key = tuple[str, str, dt.datetime]


class ParsedParts:
    """The profiles this process received and has not merged yet, as read when they
    arrived (bounded): merging them need not read their bytes again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[int, DatasetProfile] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, part: int, profile: DatasetProfile) -> None:
        with self._lock:
            self._items[part] = profile
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def take(self, part: Part) -> DatasetProfile:
        with self._lock:
            found = self._items.pop(part.id, None)
        if found is not None:
            return found
        return profile_from_bytes(part.profile, f"stored profile {part.id}")


def batch_deltas(
    parts: list[Part], parsed: ParsedParts
) -> tuple[dict[Key, tuple[DatasetProfile, int, int]], dict[int, str]]:
    """What the parts add to each batch: (segment, granularity, start) → (merged profile,
    rows, parts), and the parts that cannot be merged (id → reason). Each part is read
    once; a day is the merge of its hours, and the whole dataset (segment ``""``) the
    merge of its segments."""
    hours: dict[Key, tuple[DatasetProfile, int, int]] = {}
    rejected: dict[int, str] = {}
    for part in parts:
        try:
            profile = parsed.take(part)
            check_mergeable(profile, f"received profile {part.id}")
            profile.metadata.pop(META_TIMESTAMP, None)
            keys = [(part.segment, HOUR, batch_start(part.timestamp, HOUR))]
            if part.segment != WHOLE:
                keys.append((WHOLE, HOUR, keys[0][2]))
            # merged aside first: a part either joins every batch it belongs to or none
            added = {key: _merged([*_held(hours, key), (profile, part.rows, 1)]) for key in keys}
        except Exception as exc:
            rejected[part.id] = one_line(exc)
            continue
        hours.update(added)
    days: dict[Key, list] = {}
    for (segment, _, start), item in hours.items():
        days.setdefault((segment, DAY, batch_start(start, DAY)), []).append(item)
    return {**hours, **{key: _merged(items) for key, items in days.items()}}, rejected


def _held(merged: dict[Key, tuple[DatasetProfile, int, int]], key: Key) -> list:
    return [merged[key]] if key in merged else []


def check_mergeable(profile: DatasetProfile, source: str) -> None:
    """Refuse a profile whose sketches cannot merge with a dataset's: quantile sketches
    merge only with sketches of the same parameters, and datasets keep watchkeeper's."""
    for name, column in profile.columns.items():
        if (column.kll.k, column.kll.c) != (DEFAULT_K, DEFAULT_C):
            raise UsageError(
                f"{source}: column {name!r}: a KLL sketch with k={column.kll.k}, "
                f"c={column.kll.c:g} cannot merge with a dataset's (k={DEFAULT_K}, "
                f"c={DEFAULT_C:g}); build profiles with watchkeeper's defaults"
            )


def one_line(exc: Exception) -> str:
    """One line saying what went wrong."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    if isinstance(exc, WatchkeeperError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _merged(items: list[tuple[DatasetProfile, int, int]]) -> tuple[DatasetProfile, int, int]:
    """The merge of (profile, rows, parts) items."""
    profile, rows, count = items[0]
    for other, more_rows, more in items[1:]:
        profile, rows, count = profile.merge(other), rows + more_rows, count + more
    return profile, rows, count


def merged_bytes(stored: bytes | None, delta: DatasetProfile) -> bytes:
    if stored is None:
        return profile_to_bytes(delta)
    merged = profile_from_bytes(stored, "stored batch").merge(delta)
    merged.metadata.pop(META_TIMESTAMP, None)
    return profile_to_bytes(merged)
