"""Category counts: exact below the cap, sound bounds above it."""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa

from watchkeeper.profile.frequent import CategoryCounts, _length_prefixed


def test_exact_counts_merge():
    a = CategoryCounts()
    a.update(["x", "y"], np.array([3, 1]))
    b = CategoryCounts()
    b.update(["y", "z"], np.array([2, 5]))
    merged = a.merge(b)
    assert merged.is_exact
    assert merged.items() == [("z", 5), ("x", 3), ("y", 3)]
    assert merged.total == 11
    assert a.as_dict() == {"x": 3, "y": 1}  # inputs untouched


def test_switches_to_sketch_above_cap_and_keeps_heavy_hitters():
    counts = CategoryCounts(cap=50)
    rng = np.random.default_rng(0)
    truth: dict[str, int] = {}
    for _ in range(20):
        heavy = ["h1", "h2"]
        light = [f"v{i}" for i in rng.integers(0, 100_000, size=3000)]
        values, n = np.unique(heavy * 500 + light, return_counts=True)
        for value, c in zip(values.tolist(), n.tolist(), strict=True):
            truth[value] = truth.get(value, 0) + c
        counts.update(values.tolist(), n)
    assert not counts.is_exact
    assert counts.total == sum(truth.values())
    top = dict(counts.items(limit=2))
    assert set(top) == {"h1", "h2"}
    error = counts.max_error
    for value in ("h1", "h2"):
        assert truth[value] <= top[value] <= truth[value] + error
    # the error stays small relative to the stream
    assert error < 0.01 * counts.total


def test_texts_are_written_after_their_lengths_as_the_library_reads_them():
    texts = ["", "a", "日本語", "x" * 300, "é", ""] * 3
    for values in (pa.array(texts), pa.array(["skip", *texts]).slice(1), pa.array([], pa.string())):
        encoded = [text.encode() for text in values.to_pylist()]
        expected = b"".join(struct.pack("<I", len(item)) + item for item in encoded)
        assert _length_prefixed(values) == expected
