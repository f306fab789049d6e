"""Dataset profiles: statistics equal NumPy's, merge equals profiling the union,
serialisation is lossless and deterministic."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import FormatError
from watchkeeper.profile import (
    DatasetProfile,
    profile_from_bytes,
    profile_to_bytes,
    read_profile,
    write_profile,
)

texts = st.one_of(
    st.none(),
    st.sampled_from(["a", "b", "3", "3.0", "-1", "true", "x y", "1e5", ""]),
    st.text(max_size=5),
)
numbers = st.one_of(st.none(), st.just(math.nan), st.floats(-1e9, 1e9))
integers = st.one_of(st.none(), st.integers(-(10**9), 10**9))


@st.composite
def tables(draw):
    n = draw(st.integers(0, 60))
    return pa.table(
        {
            "f": pa.array(draw(st.lists(numbers, min_size=n, max_size=n)), type=pa.float64()),
            "i": pa.array(draw(st.lists(integers, min_size=n, max_size=n)), type=pa.int64()),
            "s": pa.array(draw(st.lists(texts, min_size=n, max_size=n)), type=pa.string()),
            "b": pa.array(
                draw(st.lists(st.one_of(st.none(), st.booleans()), min_size=n, max_size=n)),
                type=pa.bool_(),
            ),
        }
    )


def _profile(table: pa.Table) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(table)
    return profile


def _assert_equivalent(left: DatasetProfile, right: DatasetProfile) -> None:
    assert left.rows == right.rows
    assert list(left.columns) == list(right.columns)
    for name, a in left.columns.items():
        b = right.columns[name]
        assert (a.count, a.null_count, a.type_counts) == (b.count, b.null_count, b.type_counts)
        assert (a.moments.n, a.moments.min, a.moments.max) == (
            b.moments.n,
            b.moments.min,
            b.moments.max,
        )
        for field in ("total", "mean", "m2"):
            x, y = getattr(a.moments, field), getattr(b.moments, field)
            spread = max(1.0, abs(a.moments.max), abs(a.moments.min))
            scale = spread ** (2 if field == "m2" else 1) * max(1, a.moments.n)
            assert x == pytest.approx(y, rel=1e-9, abs=1e-9 * scale)
        assert a.kll.n == b.kll.n
        assert a.categories.as_dict() == b.categories.as_dict()
        assert a.distinct_count() == b.distinct_count()


@settings(max_examples=150, deadline=None)
@given(tables(), tables())
def test_merge_equals_profile_of_union(first, second):
    merged = _profile(first).merge(_profile(second))
    union = _profile(pa.concat_tables([first, second]))
    _assert_equivalent(merged, union)


@settings(max_examples=60, deadline=None)
@given(tables(), tables(), tables())
def test_merge_is_associative(a, b, c):
    pa_, pb, pc_ = _profile(a), _profile(b), _profile(c)
    _assert_equivalent(pa_.merge(pb).merge(pc_), pa_.merge(pb.merge(pc_)))


def test_large_merge_sketches_within_bounds():
    rng = np.random.default_rng(11)
    a, b = rng.gamma(2.0, size=300_000), rng.gamma(2.0, size=200_000)
    merged = _profile(pa.table({"x": a})).merge(_profile(pa.table({"x": b})))
    whole = np.sort(np.concatenate([a, b]))
    column = merged.columns["x"]
    probes = np.quantile(whole, np.linspace(0.01, 0.99, 99))
    true_rank = np.searchsorted(whole, probes, side="right")
    error = np.abs(column.kll.rank(probes) - true_rank) / len(whole)
    assert error.max() <= column.kll.rank_error_bound()
    lo, hi = column.distinct.bounds(3)
    assert lo <= len(np.unique(whole)) <= hi


def test_statistics_equal_numpy():
    rng = np.random.default_rng(2)
    values = rng.lognormal(3, 1.5, size=250_000)
    values[rng.random(values.size) < 0.1] = np.nan
    column = _profile(pa.table({"x": values})).columns["x"]
    present = values[~np.isnan(values)]
    assert column.null_count == int(np.isnan(values).sum())
    assert column.mean == pytest.approx(present.mean(), rel=1e-12)
    assert column.std_dev == pytest.approx(present.std(), rel=1e-12)
    assert column.moments.total == pytest.approx(present.sum(), rel=1e-12)
    assert (column.min, column.max) == (present.min(), present.max())
    centred = present - present.mean()
    skew = (centred**3).mean() / present.std() ** 3
    kurt = (centred**4).mean() / present.var() ** 2
    assert column.moments.skewness == pytest.approx(skew, rel=1e-9)
    assert column.moments.kurtosis == pytest.approx(kurt, rel=1e-9)
    median = column.quantiles([0.5])[0]
    rank = np.searchsorted(np.sort(present), median, side="right") / present.size
    assert abs(rank - 0.5) <= column.kll.rank_error_bound()


def test_deequ_types_per_value():
    table = pa.table({"s": ["3", "3.0", "- 4", "1E5", "true", "abc", None, ".5"]})
    column = _profile(table).columns["s"]
    assert column.type_counts == {"Integral": 2, "Fractional": 2, "Boolean": 1, "String": 2}
    assert column.inferred_type == "String"
    assert column.null_count == 1
    # numeric text feeds the numeric statistics
    assert column.moments.n == 4
    assert column.moments.total == pytest.approx(3 + 3 - 4 + 1e5)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2"], "Integral"),
        (["1", "2.5"], "Fractional"),
        (["true", "false"], "Boolean"),
        (["true", "1"], "String"),
        ([None, None], "Unknown"),
    ],
)
def test_column_type_precedence(values, expected):
    column = _profile(pa.table({"s": pa.array(values, type=pa.string())})).columns["s"]
    assert column.inferred_type == expected


def test_missing_columns_count_as_missing():
    profile = DatasetProfile()
    profile.track(pa.table({"a": [1, 2]}))
    profile.track(pa.table({"a": [3], "b": ["x"]}))
    assert profile.rows == 3
    assert (profile.columns["b"].count, profile.columns["b"].null_count) == (3, 2)
    other = DatasetProfile()
    other.track(pa.table({"c": [1.5]}))
    merged = profile.merge(other)
    assert merged.columns["a"].null_count == 1
    assert merged.columns["c"].null_count == 3


def test_serialisation_roundtrip_and_determinism(tmp_path):
    rng = np.random.default_rng(4)
    table = pa.table(
        {
            "x": rng.normal(size=50_000),
            "n": pa.array(rng.integers(0, 5, 50_000)),
            "s": pa.array([f"k{v}" for v in rng.integers(0, 3000, 50_000)]),
            "t": pa.array(np.arange(50_000).astype("datetime64[s]")),
            "e": pa.array([None] * 50_000, type=pa.float64()),
        }
    )
    profile = _profile(table)
    data = profile_to_bytes(profile)
    assert profile_to_bytes(_profile(table)) == data  # same input, same bytes
    back = profile_from_bytes(data)
    assert profile_to_bytes(back) == data
    _assert_equivalent(back, profile)
    assert not back.columns["s"].categories.is_exact
    path = tmp_path / "sub" / "p.json"
    write_profile(profile, path)
    assert read_profile(path).rows == 50_000
    assert math.isnan(back.columns["e"].mean)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00", "not a watchkeeper profile"),
        (b'{"format": "other"}', "not a watchkeeper profile"),
        (b'{"format": "watchkeeper-profile", "version": 99}', "newer watchkeeper"),
        (
            b'{"format": "watchkeeper-profile", "version": 1, "rows": 1}',
            "document: missing field 'columns'",
        ),
    ],
)
def test_bad_profile_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=message) as info:
        read_profile(path)
    assert "bad.json" in str(info.value)
