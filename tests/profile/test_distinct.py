"""The vectorised theta path holds exactly what DataSketches would hold."""

from __future__ import annotations

import datasketches
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.profile import distinct
from watchkeeper.profile.distinct import DistinctSketch, hash_doubles, sketches_of


def _library(values, lg_k=12):
    sketch = datasketches.update_theta_sketch(lg_k)
    for v in values:
        sketch.update(v)
    return sketch


def test_hash_matches_library_for_single_values():
    for value in [5.0, 0.0, -0.0, 1e300, -3.25, float("nan")]:
        ours = DistinctSketch()
        ours.update_doubles(np.array([value]))
        assert ours.to_bytes() == _library([value]).compact().serialize()


@pytest.mark.parametrize("n", [0, 3, 4096, 100_000])
def test_state_equals_library_state(n):
    values = np.random.default_rng(n).integers(0, 10 * n + 1, size=n).astype(float)
    ours = DistinctSketch()
    for chunk in np.array_split(values, 5):
        ours.update_doubles(chunk)
    union = datasketches.theta_union(12)
    union.update(_library(values.tolist()))
    theirs = union.get_result()
    assert ours.to_bytes() == theirs.serialize()
    assert ours.estimate() == pytest.approx(theirs.get_estimate())


def test_string_hash_matches_library():
    rng = np.random.default_rng(5)
    words = ["", "a", "é", "日本語", "x" * 15, "y" * 16, "z" * 17, "w" * 33]
    words += ["".join(rng.choice(list("abc€"), size=n)) for n in rng.integers(1, 60, 300)]
    ours = DistinctSketch()
    ours.update_strings(pa.array([*words, None]))
    assert ours.to_bytes() == _library(words).compact().serialize()


@settings(max_examples=120, deadline=None)
@given(
    words=st.lists(
        st.one_of(
            st.text(max_size=30),
            st.text(alphabet="ab€é日\x00", max_size=80),
            st.integers(0, 5000).map(lambda n: "long " * n),
        ),
        max_size=40,
    ),
    start=st.integers(0, 2),
)
def test_string_hashes_of_any_text_match_the_library(words, start):
    # short ASCII, short non-ASCII (mixed in one batch) and long text take three paths
    values = pa.array(words).slice(min(start, len(words)))
    ours = DistinctSketch()
    ours.update_strings(values)
    assert ours.to_bytes() == _library(values.to_pylist()).compact().serialize()


def test_many_long_strings_keep_every_hash():
    # more long strings than one library sketch of the default size would keep whole
    words = [f"{i:06d}" + "x" * 100 for i in range(70_000)]
    ours = DistinctSketch(lg_k=17)
    ours.update_strings(pa.array(words))
    assert ours.to_bytes() == _library(words, lg_k=17).compact().serialize()


def test_strings_and_numbers_share_one_sketch():
    sketch = DistinctSketch()
    sketch.update_strings(pa.array(["a", "b", "a"]))
    sketch.update_doubles(np.array([1.0, 2.0, 1.0]))
    assert sketch.estimate() == 4.0


def test_estimate_within_bounds_and_merge_is_union():
    rng = np.random.default_rng(3)
    a = DistinctSketch()
    b = DistinctSketch()
    a.update_doubles(rng.normal(size=300_000))
    b.update_doubles(rng.normal(size=300_000))
    merged = a.merge(b)
    lo, hi = merged.bounds(3)
    assert lo <= 600_000 <= hi
    assert abs(merged.estimate() / 600_000 - 1) < 0.05
    # duplicates do not count twice
    again = merged.merge(a)
    assert again.estimate() == merged.estimate()


def test_bytes_roundtrip():
    sketch = DistinctSketch()
    sketch.update_doubles(np.arange(10_000.0))
    back = DistinctSketch.from_bytes(sketch.to_bytes())
    assert back.to_bytes() == sketch.to_bytes()
    assert hash_doubles(np.array([1.0])).dtype == np.uint64


def test_short_ascii_strings_take_the_padded_path_and_match_the_library():
    rng = np.random.default_rng(8)
    words = ["".join(rng.choice(list("abcXYZ019_-"), size=n)) for n in rng.integers(1, 60, 2000)]
    ours = DistinctSketch()
    ours.update_strings(pa.array(words).slice(1))  # a sliced array: offsets do not start at 0
    assert ours.to_bytes() == _library(words[1:]).compact().serialize()


def test_sketches_of_many_columns_equal_one_column_at_a_time():
    rng = np.random.default_rng(12)
    words = ["", "a", "é", "東京", "x" * 9, "y" * 16, "z" * 17, "w" * 65, "v" * 300]
    numbers = [
        rng.normal(size=6000).round(1),  # beyond the sketch's 4,096 hashes
        np.empty(0),
        np.array([0.0, -0.0, 1.5, 1.5, np.inf]),
        rng.integers(0, 50, 700).astype(np.float64),
    ]
    texts = [
        pa.array([f"k{i}" for i in range(300)]),
        pa.array(words),
        pa.array([], pa.string()),
        pa.array([f"{w}{i}" for i in range(40) for w in words]),
    ]
    for got, values, strings in zip(sketches_of(numbers, texts), numbers, texts, strict=True):
        one = DistinctSketch()
        one.update_doubles(values)
        one.update_strings(strings)
        assert np.array_equal(got.hashes, one.hashes) and got.theta == one.theta
    assert sketches_of([], []) == []


def test_doubles_of_every_kind_in_one_array_match_the_library():
    rng = np.random.default_rng(11)
    special = [0.0, -0.0, float("nan"), -float("nan"), float("inf"), -float("inf"), 5e-324]
    values = np.concatenate([rng.normal(size=2000), special, rng.integers(-50, 50, 500)])
    ours = DistinctSketch()
    ours.update_doubles(values)
    assert ours.to_bytes() == _library(values.tolist()).compact().serialize()


@pytest.mark.parametrize(
    "values",
    [
        np.tile(np.arange(-5.0, 5.0), 3000),  # whole numbers spanning fewer values than rows
        np.array([-0.0, 0.0, 0.0, 1.0, -0.0]),
        np.array([2.0**62, 2.0**62 + 1024, 2.0**62]),
        np.array([1e19, 1e19, 1e19]),  # beyond int64
        np.array([1.5, 2.0, 1.5, 2.0]),
        np.array([3.0, float("nan"), 3.0]),
    ],
)
def test_repeated_whole_numbers_are_hashed_once_each(values, monkeypatch):
    hashed = []
    original = distinct.hash_doubles

    def counted(numbers):
        hashed.append(len(numbers))
        return original(numbers)

    monkeypatch.setattr(distinct, "hash_doubles", counted)
    ours = DistinctSketch()
    ours.update_doubles(values)
    assert ours.to_bytes() == _library(values.tolist()).compact().serialize()
    if len(values) == 30_000:
        assert hashed == [10]


@pytest.mark.parametrize("length", [1, 7, 8, 9, 15, 16, 17, 33, 64])
def test_strings_of_one_length_match_the_library(length):
    rng = np.random.default_rng(length)
    letters = list("abcxyz0123")
    words = ["".join(rng.choice(letters, size=length)) for _ in range(3000)]
    words += ["é" * (length // 2) + "a" * (length % 2)] * 3  # the same byte length
    values = pa.array([None, *words, None]).slice(1)  # an offset, and a null to drop
    ours = DistinctSketch()
    ours.update_strings(values)
    assert ours.to_bytes() == _library(words).compact().serialize()


@pytest.mark.parametrize("distinct_values", [3000, 5000, 200_000])
def test_a_large_batch_keeps_what_the_library_keeps(distinct_values):
    rng = np.random.default_rng(distinct_values)
    values = rng.integers(0, distinct_values, size=200_000) + 0.5  # repeats, not whole
    ours = DistinctSketch()
    ours.update_doubles(values)
    union = datasketches.theta_union(12)
    union.update(_library(values.tolist()))
    assert ours.to_bytes() == union.get_result().serialize()
