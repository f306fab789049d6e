"""Distinct counts with Apache DataSketches' theta sketch, updated a whole array at a time.

DataSketches' Python binding hashes one value per call (about 0.14 s per million values
on this project's reference machine); this module hashes a whole array in NumPy
(about 0.03 s per million doubles). A theta sketch is fully described by the set of
the smallest hashes it keeps and its threshold ``theta``, so numeric columns are hashed
here in NumPy with the very function the library uses (MurmurHash3_x64_128, seed 9001,
over the 8 bytes of the canonical double or the UTF-8 bytes of a string, first half
shifted right by one) and the kept set is maintained with NumPy, so the state is
exactly what the library would hold after the same updates. Estimates and error bounds come from the
library (``compact_theta_sketch``) over the same bytes it would have serialised.

The hash of one string is a chain of steps over its 16-byte blocks, which NumPy can
only run across many strings at once, one block per Python turn. Strings longer than
``LONG_STRING_BYTES`` are therefore hashed by the library itself, one call per string:
the call's overhead is paid once per at least that many bytes, so the cost of text
follows its bytes (a 4 MB text field hashes in milliseconds, not seconds). Every string
is hashed whole, so distinct counts stay exact below the sketch's size.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import datasketches
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.io.arrays import from_mask
from watchkeeper.io.arrays import values as values_of

DEFAULT_LG_K = 12
LONG_STRING_BYTES = 64
# strings handed to the library per sketch: few enough that its sketch keeps every hash
_LIBRARY_GROUP_ROWS = 1 << 16
_LIBRARY_GROUP_BYTES = 16 << 20
_SEED = 9001
_MAX_THETA = np.uint64((1 << 63) - 1)
_C1 = np.uint64(0x87C37B91114253D5)
_C2 = np.uint64(0x4CF5AD432745937F)
_F1 = np.uint64(0xFF51AFD7ED558CCD)
_F2 = np.uint64(0xC4CEB9FE1A85EC53)
_FLAGS_READ_ONLY, _FLAGS_EMPTY, _FLAGS_COMPACT, _FLAGS_ORDERED = 1 << 1, 1 << 2, 1 << 3, 1 << 4
# bytes 6-7 of every sketch serialised with the seed the hashes use
SEED_HASH = datasketches.update_theta_sketch().compact().serialize()[6:8]


def _murmur3(words: np.ndarray, length: int) -> np.ndarray:
    """First half of MurmurHash3_x64_128 of ``length``-byte keys, one key per row of
    ``words`` (the key's little-endian 8-byte words, zero-padded), shifted right by one.

    Written with in-place operations: at a million keys the hash is memory-bound, and
    every temporary array costs as much as the arithmetic.
    """
    if 0 < length <= 8:
        return _murmur3_word(words[:, 0], length)
    seed = np.uint64(_SEED)
    count = len(words)
    h1 = np.full(count, seed)
    h2 = np.full(count, seed)
    k = np.empty(count, dtype=np.uint64)
    blocks, rest = divmod(length, 16)
    with np.errstate(over="ignore"):
        for block in range(blocks):
            _block_into(h1, h2, words[:, 2 * block], words[:, 2 * block + 1], k)
        if rest > 8:
            _mix(words[:, 2 * blocks + 1], _C2, 33, _C1, k)
            h2 ^= k
        if rest > 0:
            _mix(words[:, 2 * blocks], _C1, 31, _C2, k)
            h1 ^= k
    return _finished(h1, h2, np.uint64(length), k)


def _murmur3_word(words: np.ndarray, length: int) -> np.ndarray:
    """:func:`_murmur3` of keys of 1 to 8 bytes (doubles, short strings): with no block
    and no second word, ``h2`` is a constant until the finalisation, which saves a
    third of the passes over the keys."""
    salted = np.uint64(_SEED ^ length)  # the seed after the finalisation's length xor
    k = np.empty(len(words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        _mix(words, _C1, 31, _C2, k)
        h1 = k  # h1 = seed ^ k1, then ^ length
        h1 ^= salted
        h1 += salted  # h1 += h2
        h2 = h1 + salted  # h2 += h1
    scratch = np.empty_like(h1)
    _fmix_into(h1, scratch)
    _fmix_into(h2, scratch)
    with np.errstate(over="ignore"):
        h1 += h2
    h1 >>= np.uint64(1)
    return h1


def _murmur3_varied(words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`_murmur3` of keys of different ``lengths`` (at least 1 byte each) at once:
    a key stops taking blocks at its own length, and its tail words past its end are
    zero, which the tail's mixing leaves as it was (``rotl(0 * c1) * c2`` is 0)."""
    count = len(words)
    words = np.concatenate((words, np.zeros((count, 2), dtype=np.uint64)), axis=1)
    blocks = lengths // 16
    rows = np.arange(count)
    h1 = np.full(count, np.uint64(_SEED))
    h2 = np.full(count, np.uint64(_SEED))
    k = np.empty(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for block in range(int(blocks.max(initial=0))):
            n1, n2 = h1.copy(), h2.copy()
            _block_into(n1, n2, words[:, 2 * block], words[:, 2 * block + 1], k)
            taking = blocks > block
            np.copyto(h1, n1, where=taking)
            np.copyto(h2, n2, where=taking)
        _mix(words[rows, 2 * blocks + 1], _C2, 33, _C1, k)
        h2 ^= k
        _mix(words[rows, 2 * blocks], _C1, 31, _C2, k)
        h1 ^= k
    return _finished(h1, h2, lengths.astype(np.uint64), k)


def _block_into(
    h1: np.ndarray, h2: np.ndarray, low: np.ndarray, high: np.ndarray, k: np.ndarray
) -> None:
    """One 16-byte block of MurmurHash3_x64_128 (its two words ``low`` and ``high``),
    mixed into ``h1`` and ``h2`` in place; ``k`` is scratch."""
    with np.errstate(over="ignore"):
        _mix(low, _C1, 31, _C2, k)
        h1 ^= k
        _rotl_into(h1, 27)
        h1 += h2
        h1 *= np.uint64(5)
        h1 += np.uint64(0x52DCE729)
        _mix(high, _C2, 33, _C1, k)
        h2 ^= k
        _rotl_into(h2, 31)
        h2 += h1
        h2 *= np.uint64(5)
        h2 += np.uint64(0x38495AB5)


def _finished(h1: np.ndarray, h2: np.ndarray, size: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The hash's finalisation for keys of ``size`` bytes: its first half, shifted right
    by one as theta sketches keep it (``h1`` is reused for the answer)."""
    with np.errstate(over="ignore"):
        h1 ^= size
        h2 ^= size
        h1 += h2
        h2 += h1
        _fmix_into(h1, k)
        _fmix_into(h2, k)
        h1 += h2
    h1 >>= np.uint64(1)
    return h1

def _mix(
    word: np.ndarray, first: np.uint64, rotation: int, second: np.uint64, out: np.ndarray
) -> None:
    """``out = rotl(word * first, rotation) * second``, without temporaries."""
    np.multiply(word, first, out=out)
    _rotl_into(out, rotation)
    out *= second


def _rotl_into(x: np.ndarray, r: int) -> None:
    high = x >> np.uint64(64 - r)
    x <<= np.uint64(r)
    x |= high


def _fmix_into(h: np.ndarray, scratch: np.ndarray) -> None:
    np.right_shift(h, np.uint64(33), out=scratch)
    h ^= scratch
    h *= _F1
    np.right_shift(h, np.uint64(33), out=scratch)
    h ^= scratch
    h *= _F2
    np.right_shift(h, np.uint64(33), out=scratch)
    h ^= scratch


def hash_doubles(values: np.ndarray) -> np.ndarray:
    """Theta hashes of float64 values, as ``update_theta_sketch.update(float)`` computes them."""
    canonical = np.add(values, 0.0, dtype=np.float64)  # -0.0 + 0.0 is 0.0: one zero
    missing = np.isnan(canonical)
    if missing.any():
        canonical[missing] = np.nan  # one NaN bit pattern
    return _murmur3(canonical.view(np.uint64).reshape(-1, 1), 8)


def hash_strings(values: pa.Array) -> np.ndarray:
    """Theta hashes of non-empty strings, as ``update_theta_sketch.update(str)`` computes
    them (over the UTF-8 bytes), in no particular order (the hashes of long strings once
    each). Short strings are grouped by length so that each group is one matrix of 8-byte
    words; empty strings and nulls are skipped, as the library skips them."""
    if values.null_count:
        values = pc.drop_null(values)
    if pa.types.is_large_string(values.type) or pa.types.is_string_view(values.type):
        values = pc.cast(values, pa.string())
    if len(values) == 0:
        return np.empty(0, dtype=np.uint64)
    offsets_buffer, data_buffer = values.buffers()[1:3]
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    lengths = np.diff(offsets).astype(np.int64)
    long = lengths > LONG_STRING_BYTES
    if long.any():
        return np.concatenate(
            (
                _library_hashes(values.filter(from_mask(long))),
                hash_strings(values.filter(from_mask(~long))),
            )
        )
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.empty(0, np.uint8)
    )
    length = int(lengths[0])
    if length and not (lengths != length).any():
        # one length (codes, ids): the bytes are a matrix already, no padding needed
        width = -(-length // 8) * 8
        matrix = np.zeros((len(values), width), dtype=np.uint8)
        matrix[:, :length] = data[offsets[0] : offsets[-1]].reshape(-1, length)
        return _murmur3(matrix.view("<u8"), length)
    starts = offsets[:-1].astype(np.int64)
    words = _padded_words(values, lengths)
    if words is not None:
        return np.concatenate(
            [_murmur3(words[lengths == n], n) for n in _lengths_in(lengths) if n]
            or [np.empty(0, dtype=np.uint64)]
        )
    hashes = []
    for length in _lengths_in(lengths):
        if length == 0:
            continue
        rows = starts[lengths == length]
        width = -(-length // 8) * 8
        matrix = np.zeros((len(rows), width), dtype=np.uint8)
        matrix[:, :length] = data[rows[:, None] + np.arange(length)]
        hashes.append(_murmur3(matrix.view("<u8").astype(np.uint64), length))
    return np.concatenate(hashes) if hashes else np.empty(0, dtype=np.uint64)


def hash_strings_each(values: pa.StringArray) -> np.ndarray:
    """One theta hash per string of an array without nulls, in order: 0 for an empty
    string (which the library skips) and for a string longer than ``LONG_STRING_BYTES``
    (whose hash :func:`hash_strings` takes from the library)."""
    lengths = values_of(pc.binary_length(values)).astype(np.int64)
    hashed = np.zeros(len(values), dtype=np.uint64)
    short = (lengths > 0) & (lengths <= LONG_STRING_BYTES)
    if not short.any():
        return hashed
    if not short.all():
        hashed[short] = hash_strings_each(values.filter(from_mask(short)))
        return hashed
    words = _padded_words(values, lengths)
    if words is not None:
        hashed[:] = _murmur3_varied(words, lengths)
        return hashed
    offsets, data = values.buffers()[1:3]
    starts = np.frombuffer(offsets, dtype=np.int32)[values.offset : values.offset + len(values)]
    for length in _lengths_in(lengths):
        rows = lengths == length
        width = -(-length // 8) * 8
        matrix = np.zeros((int(rows.sum()), width), dtype=np.uint8)
        first = starts[rows].astype(np.int64)[:, None]
        matrix[:, :length] = np.frombuffer(data, dtype=np.uint8)[first + np.arange(length)]
        hashed[rows] = _murmur3(matrix.view("<u8").astype(np.uint64), length)
    return hashed


def sketches_of(numbers: list[np.ndarray], texts: list[pa.Array]) -> list[DistinctSketch]:
    """The sketches of several columns at once: column ``i`` holds the float64 values
    ``numbers[i]`` and the strings (no nulls) ``texts[i]``, as ``update_doubles`` and
    ``update_strings`` would add them, hashed in one pass over all the columns (one
    column at a time, the hashing's fixed cost would be most of the work).

    >>> a, b = sketches_of([np.array([1.0, 2.0, 1.0]), np.empty(0)],
    ...                    [pa.array(["x"]), pa.array(["y", "z"])])
    >>> a.estimate(), b.estimate()
    (3.0, 2.0)
    """
    number_hashes = hash_doubles(np.concatenate(numbers)) if numbers else np.empty(0, np.uint64)
    flat = pa.concat_arrays(texts) if texts else pa.array([], pa.string())
    if not pa.types.is_string(flat.type):
        flat = flat.cast(pa.string())
    text_hashes = hash_strings_each(flat)
    lengths = values_of(pc.binary_length(flat)) if len(flat) else np.empty(0, np.int64)
    # every column's hashes, in column order, each column's numbers before its texts
    parts, owners = [], []
    number_ends = np.cumsum([len(group) for group in numbers]).tolist()
    text_ends = np.cumsum([len(group) for group in texts]).tolist()
    number_start = text_start = 0
    for number_end, text_end in zip(number_ends, text_ends, strict=True):
        own = text_hashes[text_start:text_end]
        if (lengths[text_start:text_end] > LONG_STRING_BYTES).any():
            own = hash_strings(flat.slice(text_start, text_end - text_start))
        parts += [number_hashes[number_start:number_end], own]
        owners.append(number_end - number_start + len(own))
        number_start, text_start = number_end, text_end
    hashes = np.concatenate(parts) if parts else np.empty(0, np.uint64)
    ends = np.cumsum(owners).tolist()
    for start, end in zip([0, *ends][: len(ends)], ends, strict=True):
        hashes[start:end].sort()  # in place, column by column: cheaper than one sort
    # without zeros and repeats, each column's part is what its sketch keeps
    owner = np.repeat(np.arange(len(owners)), owners)
    keep = hashes != 0
    keep[1:] &= (hashes[1:] != hashes[:-1]) | (owner[1:] != owner[:-1])
    hashes, owner = hashes[keep], owner[keep]
    bounds = np.searchsorted(owner, np.arange(len(owners) + 1)).tolist()
    sketches = []
    for column in range(len(owners)):
        held = hashes[bounds[column] : bounds[column + 1]]
        sketch = DistinctSketch()
        if len(held) > 1 << sketch.lg_k:
            sketch._absorb(held, int(_MAX_THETA))
        else:
            sketch.hashes = held
        sketches.append(sketch)
    return sketches


def _library_hashes(values: pa.StringArray) -> np.ndarray:
    """The distinct hashes of strings, computed by the library one string per call, in
    groups small enough (rows and bytes) that its sketch keeps every hash."""
    sizes = np.cumsum(values_of(pc.binary_length(values)), dtype=np.int64)
    found = []
    start = 0
    while start < len(values):
        # the group ends at the row count or the byte budget, whichever comes first
        budget = (sizes[start - 1] if start else 0) + _LIBRARY_GROUP_BYTES
        stop = min(start + _LIBRARY_GROUP_ROWS, max(start + 1, int(np.searchsorted(sizes, budget))))
        sketch = datasketches.update_theta_sketch(lg_k=17, seed=_SEED)
        for text in values.slice(start, stop - start).to_pylist():
            sketch.update(text)
        found.append(_compact_hashes(sketch.compact().serialize())[0])
        start = stop
    return np.concatenate(found)


def _compact_hashes(data: bytes) -> tuple[np.ndarray, int]:
    """The sorted hashes and theta of a serialised compact theta sketch."""
    sketch = datasketches.compact_theta_sketch.deserialize(data)
    raw = sketch.serialize()  # normalised: uncompressed, ordered
    longs = raw[0]
    count = 1 if longs == 1 and not sketch.is_empty() else 0
    if longs > 1:
        count = struct.unpack_from("<I", raw, 8)[0]
    hashes = np.frombuffer(raw, dtype="<u8", count=count, offset=8 * longs).astype(np.uint64)
    return np.sort(hashes), int(sketch.theta64)


def _padded_words(values: pa.Array, lengths: np.ndarray) -> np.ndarray | None:
    """Short ASCII strings as one zero-padded matrix of 8-byte words, padded by Arrow in
    one pass (about twice as fast as gathering bytes per length); None when some string
    is not ASCII (padding counts characters, not bytes) or too long to pad them all."""
    width = -(-int(lengths.max()) // 8) * 8
    if width == 0 or width > 64:
        return None
    padded = pc.utf8_rpad(values, width=width, padding="\x00")
    size = len(values) * width
    offsets, data = padded.buffers()[1:3]
    # every padded string is ``width`` bytes only when all are ASCII
    if data is None or data.size < size or _last_offset(padded, offsets) != size:
        return None
    return np.frombuffer(data, dtype=np.uint8, count=size).view("<u8").reshape(-1, width // 8)


def _last_offset(array: pa.Array, offsets: pa.Buffer) -> int:
    ends = np.frombuffer(offsets, dtype=np.int32)
    return int(ends[array.offset + len(array)] - ends[array.offset])


def _lengths_in(lengths: np.ndarray) -> list[int]:
    """The distinct string lengths (at most ``LONG_STRING_BYTES``) in increasing order:
    counted rather than ``np.unique``'d, which would import ``numpy.ma`` (25 ms)."""
    return np.flatnonzero(np.bincount(lengths)).tolist()


def _few_whole_numbers(values: np.ndarray) -> np.ndarray:
    """The distinct values of whole numbers spanning fewer values than there are (codes,
    counts, small integers), found by marking them in a table; other ``values`` as they
    are. The sketch keeps each hash once either way: this spares it hashing and sorting
    every repeat."""
    low, high = float(values.min()), float(values.max())
    if not high - low < len(values):  # also false for NaN and infinities
        return values
    with np.errstate(invalid="ignore"):  # beyond int64: caught by the comparison
        whole = values.astype(np.int64)
    if not np.array_equal(whole, values):
        return values
    seen = np.zeros(int(high - low) + 1, dtype=bool)
    seen[whole - int(low)] = True
    return (np.flatnonzero(seen) + int(low)).astype(np.float64)


def _smallest_unique(values: np.ndarray, count: int) -> np.ndarray:
    """The sorted distinct values, or at least the ``count`` smallest of them: in a large
    pool only those below the pool's ``2 * count``-th value are sorted (a partition is a
    fraction of a sort), unless repeats leave fewer than ``count`` distinct ones there."""
    if len(values) > 8 * count:
        bound = np.partition(values, 2 * count)[2 * count]
        smallest = _sorted_unique(values[values <= bound])
        if len(smallest) >= count:
            return smallest
    return _sorted_unique(values)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # A sort and a comparison: several times faster than np.unique's hash table here.
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


class HashedLater:
    """The sketches of several columns' values (as :func:`sketches_of` takes them), hashed
    together the first time one of them is needed: a reader that gets a sketch's values
    anyway need not hash them unless the sketch is used, and then pays the hashing's
    fixed cost once for all the columns.

    ``inputs()`` gives the ``numbers`` and ``texts`` of every column.

    >>> later = HashedLater(lambda: ([np.array([1.0, 2.0])], [pa.array(["x"])]))
    >>> sketch = later.sketch(0)
    >>> sketch.estimate()
    3.0
    """

    __slots__ = ("_inputs", "_sketches")

    def __init__(self, inputs: Callable[[], tuple[list[np.ndarray], list[pa.Array]]]) -> None:
        self._inputs: Callable[[], tuple[list[np.ndarray], list[pa.Array]]] | None = inputs
        self._sketches: list[DistinctSketch] = []

    def sketch(self, index: int) -> DistinctSketch:
        """Column ``index``'s sketch, hashed on first use."""
        sketch = DistinctSketch()
        sketch._later = (self, index)
        return sketch

    def hashed(self, index: int) -> DistinctSketch:
        inputs = self._inputs  # read once: another thread may be hashing them too
        if inputs is not None:
            self._sketches = sketches_of(*inputs())
            self._inputs = None
        return self._sketches[index]


class DistinctSketch:
    """A theta sketch of nominal size ``2**lg_k`` kept as sorted hashes below ``theta``."""

    __slots__ = ("_hashes", "_later", "_theta", "lg_k")

    def __init__(
        self,
        lg_k: int = DEFAULT_LG_K,
        hashes: np.ndarray | None = None,
        theta: int = int(_MAX_THETA),
    ) -> None:
        self.lg_k = lg_k
        self._hashes = np.empty(0, dtype=np.uint64) if hashes is None else hashes
        self._theta = theta
        self._later: tuple[HashedLater, int] | None = None

    @property
    def hashes(self) -> np.ndarray:
        if self._later is not None:
            self._resolve()
        return self._hashes

    @hashes.setter
    def hashes(self, value: np.ndarray) -> None:
        self._hashes, self._later = value, None

    @property
    def theta(self) -> int:
        if self._later is not None:
            self._resolve()
        return self._theta

    @theta.setter
    def theta(self, value: int) -> None:
        self._theta, self._later = value, None

    def _resolve(self) -> None:
        later = self._later  # read once: another thread may have resolved it meanwhile
        if later is not None:
            found = later[0].hashed(later[1])
            self._hashes, self._theta, self._later = found.hashes, found.theta, None

    def update_doubles(self, values: np.ndarray) -> None:
        if len(values):
            if self._theta == int(_MAX_THETA) and self._later is None:
                values = _few_whole_numbers(values)
            self._absorb(hash_doubles(values), int(_MAX_THETA))

    def update_strings(self, values: pa.Array) -> None:
        """Add the strings of an Arrow string array."""
        if len(values):
            self._absorb(hash_strings(values), int(_MAX_THETA))

    def merge(self, other: DistinctSketch) -> DistinctSketch:
        merged = DistinctSketch(self.lg_k, self.hashes, self.theta)
        merged._absorb(other.hashes, other.theta)
        return merged

    def _absorb(self, hashes: np.ndarray, theta: int) -> None:
        theta = min(self.theta, theta)
        fresh = hashes[(hashes != 0) & (hashes < np.uint64(theta))]
        if len(fresh) == 0 and theta == self.theta:
            return
        pool = np.concatenate((self.hashes, fresh))
        pool = pool[pool < np.uint64(theta)]
        k = 1 << self.lg_k
        pool = _smallest_unique(pool, k + 1)
        if len(pool) > k:
            theta = int(pool[k])
            pool = pool[:k]
        self.hashes, self.theta = pool, theta

    # -- reading ----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The sketch in DataSketches' compact theta format (serial version 3, ordered)."""
        count = len(self.hashes)
        estimating = self.theta < int(_MAX_THETA)
        flags = _FLAGS_READ_ONLY | _FLAGS_COMPACT | _FLAGS_ORDERED
        if count == 0 and not estimating:
            return struct.pack("<BBBHB", 1, 3, 3, 0, flags | _FLAGS_EMPTY) + SEED_HASH
        if count == 1 and not estimating:
            head = struct.pack("<BBBHB", 1, 3, 3, 0, flags) + SEED_HASH
            return head + self.hashes.astype("<u8").tobytes()
        longs = 3 if estimating else 2
        head = struct.pack("<BBBHB", longs, 3, 3, 0, flags) + SEED_HASH
        head += struct.pack("<II", count, 0)
        if estimating:
            head += struct.pack("<Q", self.theta)
        return head + self.hashes.astype("<u8").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, lg_k: int = DEFAULT_LG_K) -> DistinctSketch:
        """Read a compact theta sketch (as written by :meth:`to_bytes` or the library)."""
        hashes, theta = _compact_hashes(data)
        return cls(lg_k, hashes, theta)

    def library_sketch(self) -> datasketches.compact_theta_sketch:
        return datasketches.compact_theta_sketch.deserialize(self.to_bytes())

    @property
    def is_exact(self) -> bool:
        """Whether every distinct value is still held, so :meth:`estimate` is a count."""
        return self.theta == int(_MAX_THETA)

    def estimate(self) -> float:
        if self.theta == int(_MAX_THETA):
            return float(len(self.hashes))
        return float(self.library_sketch().get_estimate())

    def bounds(self, num_std_devs: int = 2) -> tuple[float, float]:
        sketch = self.library_sketch()
        return (
            float(sketch.get_lower_bound(num_std_devs)),
            float(sketch.get_upper_bound(num_std_devs)),
        )
