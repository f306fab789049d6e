"""The KLL sketch against a literal, one-item-at-a-time rendering of Deequ's algorithm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from watchkeeper.profile.kll import KLLSketch, level_capacity


class ReferenceSketch:
    """Deequ's QuantileNonSample, item by item (slow; for comparison only)."""

    def __init__(self, k: int = 2048, c: float = 0.64) -> None:
        self.k, self.c = k, c
        self.buffers: list[list[float]] = [[]]
        self.compress = [0]
        self.offset = [0]

    def capacity(self, h: int) -> int:
        return 2 * (math.ceil(self.k * self.c**h / 2) + 1)

    def total(self) -> int:
        return sum(self.capacity(h) for h in range(len(self.buffers)))

    def size(self) -> int:
        return sum(len(b) for b in self.buffers)

    def update(self, x: float) -> None:
        self.buffers[0].append(x)
        if self.size() > self.total():
            self.condense()

    def condense(self) -> None:
        for h in range(len(self.buffers)):
            if len(self.buffers[h]) >= self.capacity(h):
                if h + 1 >= len(self.buffers):
                    self.buffers.append([])
                    self.compress.append(0)
                    self.offset.append(0)
                self.buffers[h + 1].extend(self.compact(h))
                return

    def compact(self, h: int) -> list[float]:
        buf = self.buffers[h]
        n = len(buf)
        even = n - n % 2
        if self.compress[h] % 2 == 1:
            self.offset[h] = 1 - self.offset[h]
        out = sorted(buf[:even])[self.offset[h] :: 2]
        self.buffers[h] = [buf[n - 1]] if n % 2 else []
        self.compress[h] += 1
        return out

    def merge(self, other: ReferenceSketch) -> None:
        while len(self.buffers) < len(other.buffers):
            self.buffers.append([])
            self.compress.append(0)
            self.offset.append(0)
        for h, b in enumerate(other.buffers):
            self.buffers[h].extend(b)
        while self.size() >= self.total():
            self.condense()


def test_capacity_matches_deequ_constants():
    assert level_capacity(2048, 0.64, 0) == 2050
    assert level_capacity(2048, 0.64, 1) == 1314


@pytest.mark.parametrize("n", [0, 1, 100, 2050, 2051, 3364, 3365, 20_000])
def test_update_matches_reference_item_by_item(n):
    rng = np.random.default_rng(n)
    values = rng.normal(size=n).round(2)  # ties exercise the sort order
    ours = KLLSketch()
    # several uneven slices: slicing must not change the result
    for chunk in np.array_split(values, 7):
        ours.update(chunk)
    ref = ReferenceSketch()
    for v in values.tolist():
        ref.update(v)
    assert ours.to_deequ_data() == ref.buffers
    assert ours.n == n


def test_small_input_is_kept_whole_in_input_order():
    values = np.array([3.0, 1.0, 2.0, 3.0])
    sketch = KLLSketch()
    sketch.update(values)
    assert sketch.to_deequ_data() == [[3.0, 1.0, 2.0, 3.0]]


def test_merge_matches_reference():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=5000), rng.normal(size=3000)
    sa, sb = KLLSketch(), KLLSketch()
    sa.update(a)
    sb.update(b)
    ra, rb = ReferenceSketch(), ReferenceSketch()
    for v in a.tolist():
        ra.update(v)
    for v in b.tolist():
        rb.update(v)
    ra.merge(rb)
    merged = sa.merge(sb)
    assert merged.to_deequ_data() == ra.buffers
    assert merged.n == 8000
    # inputs are untouched
    assert sa.n == 5000 and sb.n == 3000


@pytest.mark.parametrize("n", [1000, 100_000, 1_000_000])
def test_rank_error_within_bound(n):
    rng = np.random.default_rng(1)
    values = rng.lognormal(size=n)
    sketch = KLLSketch()
    sketch.update(values)
    ordered = np.sort(values)
    probes = np.quantile(values, np.linspace(0.001, 0.999, 301))
    true_rank = np.searchsorted(ordered, probes, side="right")
    error = np.abs(sketch.rank(probes) - true_rank) / n
    assert error.max() <= sketch.rank_error_bound() + 1e-12
    # the proven bound is loose; the observed error is far inside it
    assert error.max() < 0.01


def test_deequ_buckets_count_everything():
    values = np.array([1.0, 1.0, 2.0, 3.0, 3.0, 3.0])
    sketch = KLLSketch()
    sketch.update(values)
    buckets = sketch.deequ_buckets(1.0, 3.0)
    assert [b[2] for b in buckets] == [2.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 3.0]
    assert buckets[0][:2] == (1.0, 1.2)
    assert sum(b[2] for b in buckets) == 6


def test_quantiles_and_from_deequ_data_roundtrip():
    sketch = KLLSketch.from_deequ_data([[5.0, 1.0], [2.0]])
    assert sketch.n == 4
    assert sketch.quantiles([0.0, 0.5, 1.0]).tolist() == [1.0, 2.0, 5.0]


class QuicksortReference(ReferenceSketch):
    """The reference compacting with NumPy's default sort, whose order of equal items
    (0.0 and -0.0) decides which of them a compaction keeps."""

    def compact(self, h: int) -> list[float]:
        buf = self.buffers[h]
        n = len(buf)
        even = n - n % 2
        if self.compress[h] % 2 == 1:
            self.offset[h] = 1 - self.offset[h]
        out = np.sort(np.array(buf[:even]))[self.offset[h] :: 2].tolist()
        self.buffers[h] = [buf[n - 1]] if n % 2 else []
        self.compress[h] += 1
        return out


def _bits(levels: list[list[float]]) -> list[list[int]]:
    return [np.array(level, dtype=np.float64).view(np.uint64).tolist() for level in levels]


@pytest.mark.parametrize("zeros", ["positive", "negative", "mixed"])
def test_higher_levels_keep_the_bits_of_signed_zeros(zeros):
    rng = np.random.default_rng(3)
    values = rng.integers(-2, 3, size=30_000).astype(np.float64)  # many equal items
    signs = {"positive": 1.0, "negative": -1.0, "mixed": rng.choice([-1.0, 1.0], len(values))}
    values = np.where(values == 0, 0.0 * signs[zeros], values)
    ours = KLLSketch(k=64)
    for chunk in np.array_split(values, 5):
        ours.update(chunk)
    ref = QuicksortReference(k=64)
    for v in values.tolist():
        ref.update(v)
    assert _bits(ours.to_deequ_data()) == _bits(ref.buffers)
    assert ours.compactions[3] > 0  # levels above the lowest were compacted
