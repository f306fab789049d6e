"""Category counts: exact up to a cap, then DataSketches' frequent-items sketch.

Most categorical columns have a handful of values, and SageMaker's categorical drift,
domain suggestion and ``categorical_values_check`` want their exact counts. A column
that outgrows ``cap`` distinct values switches to a frequent-strings sketch, whose
estimates carry a known error (``max_error``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import datasketches
import numpy as np
import pyarrow as pa

from watchkeeper.io.arrays import from_indices, from_strings

DEFAULT_CAP = 1000
DEFAULT_LG_MAX_MAP_SIZE = 11
_NO_FALSE_NEGATIVES = datasketches.frequent_items_error_type.NO_FALSE_NEGATIVES


class CategoryCounts:
    """Counts per value of a column's non-numeric (string, boolean) values."""

    __slots__ = ("_exact", "_sketch", "cap", "lg_max_map_size")

    def __init__(
        self,
        cap: int = DEFAULT_CAP,
        lg_max_map_size: int = DEFAULT_LG_MAX_MAP_SIZE,
        exact: dict[str, int] | None = None,
        sketch: datasketches.frequent_strings_sketch | None = None,
    ) -> None:
        self.cap = cap
        self.lg_max_map_size = lg_max_map_size
        self._exact: dict[str, int] | BuiltLater | None = (
            {} if exact is None and sketch is None else exact
        )
        self._sketch: datasketches.frequent_strings_sketch | BuiltLater | None = sketch

    @classmethod
    def later(
        cls,
        cap: int,
        lg_max_map_size: int,
        exact: Callable[[], dict[str, int]] | None = None,
        sketch: Callable[[], datasketches.frequent_strings_sketch] | None = None,
    ) -> CategoryCounts:
        """Counts whose exact values or sketch (one of them) ``exact()`` or ``sketch()``
        builds on first use: a reader that has checked their bytes need not turn them
        into Python objects unless they are used. A builder must not fail.

        >>> later = CategoryCounts.later(1000, 11, exact=lambda: {"a": 2})
        >>> later.is_exact, later.total
        (True, 2)
        """
        counts = cls(cap, lg_max_map_size)
        if sketch is not None:
            counts._exact, counts._sketch = None, BuiltLater(sketch)
        else:
            counts._exact = BuiltLater(exact)
        return counts

    # Built parts are read into a local first: two threads may build the same part (each
    # gets an equal one), but neither may call the builder of a part already replaced.

    @property
    def exact(self) -> dict[str, int] | None:
        exact = self._exact
        if isinstance(exact, BuiltLater):
            exact = self._exact = exact.build()
        return exact

    @exact.setter
    def exact(self, value: dict[str, int] | None) -> None:
        self._exact = value

    @property
    def sketch(self) -> datasketches.frequent_strings_sketch | None:
        sketch = self._sketch
        if isinstance(sketch, BuiltLater):
            sketch = self._sketch = sketch.build()
        return sketch

    @sketch.setter
    def sketch(self, value: datasketches.frequent_strings_sketch | None) -> None:
        self._sketch = value

    @property
    def is_exact(self) -> bool:
        return self._sketch is None

    def update(self, values: pa.Array | list[str], counts: np.ndarray) -> None:
        """Add distinct ``values`` (strings) seen ``counts`` times each."""
        if self.exact is not None and len(self.exact) + len(values) > self.cap:
            self._switch_to_sketch()
        if self.sketch is not None and len(values) > self._map_capacity:
            self.sketch.merge(self._summary_sketch(values, counts))
            return
        if isinstance(values, pa.Array):
            values = _texts(values).to_pylist()
        if self.exact is not None:
            exact = self.exact
            for value, count in zip(values, counts.tolist(), strict=True):
                exact[value] = exact.get(value, 0) + count
            return
        update = self.sketch.update
        for value, count in zip(values, counts.tolist(), strict=True):
            update(value, count)

    @property
    def _map_capacity(self) -> int:
        return 3 * (1 << self.lg_max_map_size) // 4

    def _summary_sketch(
        self, values: pa.Array | list[str], counts: np.ndarray
    ) -> datasketches.frequent_strings_sketch:
        """A frequent-items sketch of one batch with more distinct values than the map holds.

        It keeps the batch's most frequent values with their exact counts and sets the
        sketch's ``offset`` (its error term) to the largest count it dropped: every
        bound the library derives stays true, and only as many values as the map holds
        cross into Python, instead of every distinct value of the batch.
        """
        keep = self._map_capacity
        top = np.argpartition(-counts, keep)[:keep]
        dropped = counts.copy()
        dropped[top] = 0
        if isinstance(values, pa.Array):
            kept = _texts(values.take(from_indices(top)))
        else:
            kept = from_strings([values[i] for i in top.tolist()])
        data = _sketch_bytes(
            self.lg_max_map_size, kept, counts[top].tolist(), int(counts.sum()), int(dropped.max())
        )
        return datasketches.frequent_strings_sketch.deserialize(data)

    def sketch_bytes(self) -> bytes:
        """The sketch in DataSketches' format, items in a canonical order.

        The library writes its hash map in slot order, which depends on insertion
        history; sorting makes equal sketches serialise to equal bytes.
        """
        rows = sorted(self.sketch.get_frequent_items(_NO_FALSE_NEGATIVES))
        offset = int(rows[0][3]) - int(rows[0][2]) if rows else 0
        return _sketch_bytes(
            self.lg_max_map_size,
            from_strings([row[0] for row in rows]),
            [int(row[2]) for row in rows],
            int(self.sketch.total_weight),
            offset,
        )

    def _switch_to_sketch(self) -> None:
        sketch = datasketches.frequent_strings_sketch(self.lg_max_map_size)
        for value, count in self.exact.items():
            sketch.update(value, count)
        self.sketch, self.exact = sketch, None

    def merge(self, other: CategoryCounts) -> CategoryCounts:
        merged = self.copy()
        if other.exact is not None:
            values = list(other.exact)
            merged.update(values, np.fromiter(other.exact.values(), np.int64, len(values)))
            return merged
        if merged.exact is not None:
            merged._switch_to_sketch()
        merged.sketch.merge(other.sketch)
        return merged

    def copy(self) -> CategoryCounts:
        sketch = None
        if self.sketch is not None:
            sketch = datasketches.frequent_strings_sketch.deserialize(self.sketch_bytes())
        exact = dict(self.exact) if self.exact is not None else None
        return CategoryCounts(self.cap, self.lg_max_map_size, exact, sketch)

    # -- reading ----------------------------------------------------------------------

    @property
    def total(self) -> int:
        if self.exact is not None:
            return sum(self.exact.values())
        return int(self.sketch.total_weight)

    @property
    def max_error(self) -> int:
        """Largest amount by which any reported count may be below the truth."""
        if self.sketch is None:
            return 0
        rows = self.sketch.get_frequent_items(_NO_FALSE_NEGATIVES)
        return max((int(row[3]) - int(row[2]) for row in rows), default=0)

    def items(self, limit: int | None = None) -> list[tuple[str, int]]:
        """``(value, count)`` pairs, most frequent first, ties by value (deterministic)."""
        if self.exact is not None:
            pairs = list(self.exact.items())
        else:
            rows = self.sketch.get_frequent_items(_NO_FALSE_NEGATIVES)
            pairs = [(row[0], int(row[1])) for row in rows]
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        return pairs if limit is None else pairs[:limit]

    def counted(self, limit: int | None = None) -> list[tuple[str, int]]:
        """``(value, count)`` pairs as :meth:`items`, but with the counts the values were
        seen at least (exact while counts are exact): the sketch's estimates add its
        error to every value, so a column of unique ids would read as each seen twice.
        """
        if self.exact is not None:
            return self.items(limit)
        rows = self.sketch.get_frequent_items(_NO_FALSE_NEGATIVES)
        pairs = [(row[0], int(row[2])) for row in rows if int(row[2]) > 0]
        pairs.sort(key=lambda pair: (-pair[1], pair[0]))
        return pairs if limit is None else pairs[:limit]

    def as_dict(self) -> dict[str, int]:
        return dict(self.items())


class BuiltLater:
    """A part of a profile read from a file, built when it is first used."""

    __slots__ = ("build",)

    def __init__(self, build: Callable[[], object]) -> None:
        self.build = build


def _texts(values: pa.Array) -> pa.Array:
    """Values as text: dates and times print as ISO text, as Spark shows them."""
    return values if pa.types.is_string(values.type) else values.cast(pa.string())


def _sketch_bytes(
    lg_max_map_size: int, values: pa.StringArray, weights: list[int], total: int, offset: int
) -> bytes:
    """A frequent-strings sketch in DataSketches' serial format (version 1)."""
    if total == 0:
        return struct.pack("<BBBBBBH", 1, 1, 10, lg_max_map_size, 3, 0b101, 0)
    head = struct.pack(
        "<BBBBBBHIIQQ",
        4,  # preamble longs of a non-empty sketch
        1,  # serial version
        10,  # family: frequent items
        lg_max_map_size,
        lg_max_map_size,  # current map size: the largest, so every item fits
        0,  # flags
        0,
        len(values),
        0,
        total,
        offset,
    )
    body = np.asarray(weights, dtype="<u8").tobytes()
    return head + body + _length_prefixed(values)


def _length_prefixed(values: pa.StringArray) -> bytes:
    """Each text's UTF-8 bytes after its length as 4 little-endian bytes, written in
    NumPy: a sketch of a batch holds some 1,500 texts, one Python step each before."""
    count = len(values)
    ends = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset :][: count + 1]
    lengths = np.diff(ends)
    size = int(ends[-1] - ends[0]) if count else 0
    out = np.empty(4 * count + size, dtype=np.uint8)
    starts = 4 * np.arange(count) + (ends[:-1] - ends[0])
    out[(starts[:, None] + np.arange(4)).ravel()] = lengths.astype("<u4").view(np.uint8)
    if size:
        text = np.frombuffer(values.buffers()[2], dtype=np.uint8)[ends[0] : ends[-1]]
        out[np.arange(size) + 4 * (np.repeat(np.arange(count), lengths) + 1)] = text
    return out.tobytes()
