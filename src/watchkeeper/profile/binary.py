"""The binary profile file: the same profile as the JSON form, two to four times smaller
(far more for repetitive text) and faster to read.

Layout (version 1)::

    MAGIC (8 bytes) | version u16 | codec u8 | 0 u8 | body size u64 | body (zstd or raw)
    body: section count u32 | one u64 size per section | the sections, in this order:
      meta            JSON: rows, metadata, column names, Arrow types
      ints, floats    one row of int64 / float64 per column (see INT_FIELDS, FLOAT_FIELDS)
      levels          int64 (items, compactions, offset) per KLL level, columns in order
      items           the KLL items, float64, byte-shuffled
      theta_heads     each stored theta sketch's DataSketches header
      hashes          its hashes, uint64, each column's as differences, byte-shuffled
      frequent_heads  each frequent-items sketch's DataSketches header and weights
      text_sizes      int64 byte size of each category value and frequent item
      texts           their UTF-8 bytes, one after another
      counts          int64 count of each category value
      parts           (only when some column has them) the columns' text and embedding
                      parts, as JSON: see :func:`watchkeeper.profile.serialize.parts_to_json`

Numbers are little-endian and stored as they are in memory, so reading is a few NumPy
views instead of a parse, and checks run over all columns at once. Byte-shuffling puts
the k-th byte of every number side by side, where zstd finds the repetition (exponents,
leading zeros of sorted hashes' differences). A theta sketch in exact mode that holds
just the hashes of the column's KLL items or category values is not stored: the reader
hashes those again (a writer checks that this gives the very same hashes first).

The reader is :mod:`watchkeeper.profile.binary_read`.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np
import pyarrow as pa

from watchkeeper.io.arrays import from_strings
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.distinct import sketches_of
from watchkeeper.profile.parts import parts_to_json
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING
from watchkeeper.profile.validation import FREQUENT_HEADER

MAGIC = b"\x89WKP\r\n\x1a\n"  # not text: a transfer that rewrites line ends breaks it
VERSION = 1
HEADER = struct.Struct("<8sHBxQ")
CODEC_RAW, CODEC_ZSTD = 0, 1
ZSTD_LEVEL = 9
INT_FIELDS = (
    "count", "null_count", INTEGRAL, FRACTIONAL, BOOLEAN, STRING, "integral_valued",
    "moments.n", "kll.k", "kll.levels", "kll.error_weight", "categories.cap",
    "categories.lg_max_map_size", "categories.form", "categories.entries",
    "categories.header", "distinct.source", "distinct.header", "distinct.hashes",
)  # fmt: skip
FLOAT_FIELDS = ("total", "mean", "m2", "m3", "m4", "min", "max", "kll.c")
INT_INDEX = {name: i for i, name in enumerate(INT_FIELDS)}
FLOAT_INDEX = {name: i for i, name in enumerate(FLOAT_FIELDS)}
SECTIONS = (
    "meta", "ints", "floats", "levels", "items", "theta_heads", "hashes", "frequent_heads",
    "text_sizes", "texts", "counts",
)  # fmt: skip
EXACT, SKETCH = 0, 1
TYPE_KEYS = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING)
# where a theta sketch's hashes come from: stored, or hashed again from the KLL items,
# the category values, or both
STORED, FROM_ITEMS, FROM_VALUES, FROM_BOTH = 0, 1, 2, 3


def is_binary_profile(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


# -- writing ------------------------------------------------------------------------------


def profile_to_binary(profile: DatasetProfile, compress: bool = True) -> bytes:
    """The binary profile file's bytes: deterministic, like the JSON form."""
    parts = _Parts()
    columns = list(profile.columns.values())
    for column, source in zip(columns, _theta_sources(columns), strict=True):
        parts.add(column, source)
    meta = {
        "rows": profile.rows,
        "metadata": dict(sorted(profile.metadata.items())),
        "names": list(profile.columns),
        "arrow_types": [list(c.arrow_types) for c in profile.columns.values()],
    }
    sections = [
        json.dumps(meta, separators=(",", ":")).encode(),  # escaped: any name encodes
        np.array(parts.ints, dtype="<i8").tobytes(),
        _canonical(np.array(parts.floats, dtype="<f8")).tobytes(),
        np.array(parts.levels, dtype="<i8").tobytes(),
        _shuffled(_joined(parts.items, np.float64)),
        b"".join(parts.theta_heads),
        _shuffled(_joined(parts.hashes, np.uint64)),
        b"".join(parts.frequent_heads),
        np.array(parts.text_sizes, dtype="<i8").tobytes(),
        b"".join(parts.texts),
        np.array(parts.counts, dtype="<i8").tobytes(),
    ]
    parts_section = parts_to_json(profile)
    if parts_section is not None:
        sections.append(parts_section)
    body = _joined_body(sections)
    codec = CODEC_ZSTD if compress else CODEC_RAW
    if compress:
        packed = pa.Codec("zstd", ZSTD_LEVEL).compress(pa.py_buffer(body), asbytes=True)
    else:
        packed = body.tobytes()
    return HEADER.pack(MAGIC, VERSION, codec, len(body)) + packed


def _joined_body(sections: list) -> np.ndarray:
    """The section count, their sizes and the sections, one after another. Each section
    is let go once copied, and the body's pages are only touched as they are filled, so
    a wide profile's sections and body are not both in memory in full."""
    head = struct.pack(f"<I{len(sections)}Q", len(sections), *map(len, sections))
    body = np.empty(len(head) + sum(map(len, sections)), dtype=np.uint8)
    body[: len(head)] = np.frombuffer(head, dtype=np.uint8)
    at = len(head)
    for index in range(len(sections)):
        chunk = np.frombuffer(sections[index], dtype=np.uint8)
        body[at : at + len(chunk)] = chunk
        at += len(chunk)
        sections[index] = chunk = None
    return body


class _Parts:
    """The sections' contents, gathered column by column."""

    def __init__(self) -> None:
        self.ints: list[list[int]] = []
        self.floats: list[list[float]] = []
        self.levels: list[tuple[int, int, int]] = []
        self.items: list[np.ndarray] = []
        self.theta_heads: list[bytes] = []
        self.hashes: list[np.ndarray] = []
        self.frequent_heads: list[bytes] = []
        self.text_sizes: list[int] = []
        self.texts: list[bytes] = []
        self.counts: list[int] = []

    def add(self, column: ColumnProfile, source: int) -> None:
        kll, moments, categories = column.kll, column.moments, column.categories
        for h, items in enumerate(kll.levels):
            self.levels.append((len(items), kll.compactions[h], kll.offsets[h]))
            self.items.append(items)
        if categories.exact is not None:
            form, entries, header = EXACT, len(categories.exact), 0
            for value, seen in sorted(categories.exact.items()):
                encoded = value.encode()
                self.text_sizes.append(len(encoded))
                self.texts.append(encoded)
                self.counts.append(seen)
        else:
            form = SKETCH
            head, items = _split_frequent(categories.sketch_bytes())
            entries, header = len(items), len(head)
            self.frequent_heads.append(head)
            self.text_sizes.extend(map(len, items))
            self.texts.extend(items)
        theta_head = b""
        if source == STORED:
            native = column.distinct.to_bytes()
            theta_head = native[: len(native) - 8 * len(column.distinct.hashes)]
            self.theta_heads.append(theta_head)
            self.hashes.append(_differences(column.distinct.hashes))
        held = len(column.distinct.hashes) if source == STORED else 0
        types = column.type_counts
        self.ints.append(
            [
                column.count,
                column.null_count,
                types[INTEGRAL],
                types[FRACTIONAL],
                types[BOOLEAN],
                types[STRING],
                column.integral_valued,
                moments.n,
                kll.k,
                len(kll.levels),
                kll.error_weight,
                categories.cap,
                categories.lg_max_map_size,
                form,
                entries,
                header,
                source,
                len(theta_head),
                held,
            ]
        )
        low, high = (moments.min, moments.max) if moments.n else (math.inf, -math.inf)
        self.floats.append(
            [moments.total, moments.mean, moments.m2, moments.m3, moments.m4, low, high, kll.c]
        )


def _theta_sources(columns: list[ColumnProfile]) -> list[int]:
    """Whether each column's theta sketch is exactly the hashes of its KLL items and/or
    category values, which the file holds anyway (the sketch in exact mode), and few
    enough of them that hashing them again costs little more than reading the hashes;
    the candidates are hashed again together, as a reader will."""
    sources, candidates, inputs = [STORED] * len(columns), [], []
    for index, column in enumerate(columns):
        distinct = column.distinct
        # built from bytes: pa.array would import pandas to inspect a Python sequence
        values = from_strings(list(column.categories.exact or ()))
        retained = column.kll.num_retained
        source = (FROM_ITEMS if retained else 0) | (FROM_VALUES if len(values) else 0)
        held = len(distinct.hashes)
        if distinct.is_exact and held and source and retained + len(values) <= 2 * held:
            candidates.append((index, source))
            inputs.append(derived_from(source, column.kll.levels, values))
    again = sketches_of([item[0] for item in inputs], [item[1] for item in inputs])
    for (index, source), sketch in zip(candidates, again, strict=True):
        distinct = columns[index].distinct
        if np.array_equal(sketch.hashes, distinct.hashes) and sketch.theta == distinct.theta:
            sources[index] = source
    return sources


def derived_from(
    source: int, levels: list[np.ndarray], values: pa.Array
) -> tuple[np.ndarray, pa.Array]:
    """What a theta sketch of ``source`` is hashed from: KLL items and category values."""
    numbers = np.concatenate(levels) if source & FROM_ITEMS else np.empty(0)
    return numbers, values if source & FROM_VALUES else values.slice(0, 0)


def _split_frequent(native: bytes) -> tuple[bytes, list[bytes]]:
    """A frequent-items sketch's header (with weights) and its items' bytes."""
    if len(native) < FREQUENT_HEADER:
        return native, []
    active = struct.unpack_from("<I", native, 8)[0]
    position = FREQUENT_HEADER + 8 * active
    head, items = native[:position], []
    for _ in range(active):
        size = struct.unpack_from("<I", native, position)[0]
        items.append(native[position + 4 : position + 4 + size])
        position += 4 + size
    return head, items


def _canonical(floats: np.ndarray) -> np.ndarray:
    # one NaN bit pattern, as the JSON form's 'nan' reads back, so equal profiles give
    # equal bytes however they were made
    floats[np.isnan(floats)] = np.nan
    return floats


def _joined(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    # straight into ``dtype``: a wide profile's items are hundreds of MB, so no extra copy
    return np.concatenate(arrays, dtype=dtype) if arrays else np.empty(0, dtype)


def _differences(hashes: np.ndarray) -> np.ndarray:
    # sorted hashes differ by far less than their size: their high bytes become zeros
    return np.diff(hashes.astype(np.uint64), prepend=np.uint64(0))


def _shuffled(values: np.ndarray) -> memoryview:
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    as_bytes = little.view(np.uint8).reshape(-1, 8)
    planes = np.empty((8, len(as_bytes)), dtype=np.uint8)
    for byte in range(8):  # plane by plane: faster than one transposed copy
        planes[byte] = as_bytes[:, byte]
    # the planes' own buffer, not a copy of it: the body is joined from it once
    return memoryview(planes.reshape(-1))


def unshuffled(data: bytes | memoryview, dtype: str) -> np.ndarray:
    """The 8-byte numbers :func:`_shuffled` wrote."""
    planes = np.frombuffer(data, dtype=np.uint8).reshape(8, -1)
    numbers = np.empty((planes.shape[1], 8), dtype=np.uint8)
    for byte in range(8):
        numbers[:, byte] = planes[byte]
    return numbers.view(dtype).ravel()
