"""Point-in-time joins equal a brute-force pandas reference on random data."""

from __future__ import annotations

import tempfile

import numpy as np
import pandas as pd
import pytest
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import SchemaError, UsageError
from watchkeeper.featurestore import FeatureStore

TIMES = pd.date_range("2024-01-01", periods=60, freq="7min", tz="UTC")


def _make_group(fs, name, id_name, ids, features, rng, batches, deletions):
    """Create a group, ingest random batches of unique (id, time) rows and delete a few."""
    pairs = [(i, t) for i in ids for t in range(len(TIMES))]
    chosen = rng.permutation(len(pairs))
    used = 0
    fg = fs.feature_group(name)
    columns = {id_name: ids[:1], "event_time": ["2024-01-01T00:00:00Z"]}
    for feature, kind in features.items():
        columns[feature] = {"f": [0.5], "i": [1], "s": ["x"]}[kind]
    fg.load_feature_definitions(pd.DataFrame(columns))
    fg.create(id_name, "event_time", enable_online_store=False)
    for _ in range(batches):
        n = int(rng.integers(1, 12))
        picked = [pairs[k] for k in chosen[used : used + n]]
        used += n
        frame = {
            id_name: [p[0] for p in picked],
            "event_time": [TIMES[p[1]].strftime("%Y-%m-%dT%H:%M:%SZ") for p in picked],
        }
        for feature, kind in features.items():
            if kind == "f":
                frame[feature] = rng.normal(size=n).round(3)
            elif kind == "i":
                frame[feature] = rng.integers(0, 100, n)
            else:
                frame[feature] = [f"v{v}" for v in rng.integers(0, 100, n)]
        fg.ingest(pd.DataFrame(frame), max_workers=int(rng.integers(1, 3)))
        for _ in range(deletions):
            key, when = pairs[chosen[used]]
            used += 1
            fg.delete_record(key, TIMES[when])
    return fg


def _reference(fs, fg, entity, time_column, cutoff, names):
    rows = fs.query(f'SELECT * FROM "{fg.name}"')
    if cutoff is not None:
        rows = rows[rows["write_time"] <= cutoff]
    id_name = fg.record_identifier_name
    features = [f for f in fg.feature_names() if f not in (id_name, "event_time")]
    out = {names[f]: [] for f in features}
    for _, row in entity.iterrows():
        candidates = rows[
            (rows[id_name] == row[id_name]) & (rows["event_time"] <= row[time_column])
        ]
        best = None
        if len(candidates):
            best = candidates.sort_values(["event_time", "is_deleted", "write_time"]).iloc[-1]
            if best["is_deleted"]:
                best = None
        for f in features:
            out[names[f]].append(None if best is None else best[f])
    return out


def _same(left, right) -> bool:
    def norm(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, np.generic):
            value = value.item()
        return float(value) if isinstance(value, int | float) else value

    return [norm(v) for v in left] == [norm(v) for v in right]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    use_cutoff=st.booleans(),
    deletions=st.integers(0, 2),
    n_entities=st.integers(1, 40),
)
def test_point_in_time_equals_a_brute_force_reference(seed, use_cutoff, deletions, n_entities):
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as folder:
        fs = FeatureStore(folder)
        customers = _make_group(
            fs, "customers", "cid", [0, 1, 2, 3], {"a": "f", "shared": "i"}, rng, 3, deletions
        )
        products = _make_group(
            fs,
            "products",
            "sku",
            ["s0", "s1", "s2"],
            {"shared": "i", "label": "s", "price": "f"},
            rng,
            2,
            deletions,
        )
        entity = pd.DataFrame(
            {
                "cid": rng.integers(0, 6, n_entities),  # 4 and 5 never have a value
                "sku": [f"s{v}" for v in rng.integers(0, 4, n_entities)],
                "when": TIMES[rng.integers(0, len(TIMES), n_entities)]
                + pd.to_timedelta(rng.integers(-300, 300, n_entities), unit="s"),
                "label": rng.integers(0, 2, n_entities),
            },
            index=rng.permutation(n_entities) + 100,
        )
        cutoff = None
        if use_cutoff:
            written = sorted(fs.query('SELECT DISTINCT write_time FROM "products"')["write_time"])
            cutoff = pd.Timestamp(written[rng.integers(0, len(written))])
        result = fs.point_in_time(
            entity, [customers, "products"], event_time_column="when", write_time_cutoff=cutoff
        )
        assert list(result.index) == list(entity.index)
        pd.testing.assert_frame_equal(result[list(entity.columns)], entity)
        expected = _reference(
            fs, customers, entity, "when", cutoff, {"a": "a", "shared": "customers__shared"}
        )
        expected |= _reference(
            fs,
            products,
            entity,
            "when",
            cutoff,
            {"shared": "products__shared", "label": "products__label", "price": "price"},
        )
        assert sorted(result.columns) == sorted([*entity.columns, *expected])
        for column, values in expected.items():
            assert _same(result[column].tolist(), values), column


def test_a_deletion_hides_earlier_values_and_a_later_write_shows_again(tmp_path):
    fs = FeatureStore(tmp_path)
    fg = fs.feature_group("g")
    frame = pd.DataFrame(
        {"id": [1, 1], "t": ["2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"], "x": [1.0, 3.0]}
    )
    fg.load_feature_definitions(frame)
    fg.create("id", "t")
    fg.ingest(frame)
    fg.delete_record(1, "2024-01-02T00:00:00Z")
    entity = pd.DataFrame(
        {
            "id": [1, 1, 1, 1],
            "t": pd.to_datetime(
                ["2024-01-01T12:00", "2024-01-02T00:00", "2024-01-02T12:00", "2024-01-04T00:00"],
                utc=True,
            ),
        }
    )
    result = fs.point_in_time(entity, "g", event_time_column="t")
    assert _same(result["x"].tolist(), [1.0, None, None, 3.0])
    fs.close()


def test_point_in_time_names_what_is_missing(tmp_path):
    fs = FeatureStore(tmp_path)
    with pytest.raises(UsageError, match="'nope' does not exist"):
        fs.point_in_time(pd.DataFrame({"id": [1], "t": ["2024-01-01"]}), ["nope"], "t")
    fg = fs.feature_group("g")
    fg.load_feature_definitions(pd.DataFrame({"id": [1], "t": ["2024-01-01"], "x": [1.0]}))
    fg.create("id", "t", enable_online_store=False)
    with pytest.raises(SchemaError, match="no column 'id'"):
        fs.point_in_time(pd.DataFrame({"key": [1], "t": ["2024-01-01"]}), ["g"], "t")
    with pytest.raises(SchemaError, match="no column 'when'"):
        fs.point_in_time(pd.DataFrame({"id": [1], "t": ["2024-01-01"]}), ["g"], "when")
    # a group without rows gives nulls
    result = fs.point_in_time(pd.DataFrame({"id": [1], "t": ["2024-01-01"]}), ["g"], "t")
    assert _same(result["x"].tolist(), [None])
