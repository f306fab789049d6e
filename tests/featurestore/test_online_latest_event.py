"""The latest-event rule of both online stores against a pure-Python model of it.

Random batches (lists of dicts or Arrow tables) with duplicate ids, equal and older event
times, and deletes go to SQLite and to a real Redis server; after every batch the store
holds what the model holds and says as many records became the latest as the model does.

Examples: ``WATCHKEEPER_FUZZ`` (``ci`` by default, a small fixed set; ``long`` or a
number for more)::

    WATCHKEEPER_FUZZ=long pytest tests/featurestore/test_online_latest_event.py
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import redis
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from redis_server import redis_server  # noqa: F401  (fixture, used by name)

from fuzzing import fuzz_settings
from watchkeeper.errors import UsageError
from watchkeeper.featurestore import FeatureStore
from watchkeeper.featurestore.online import RedisOnlineStore, SQLiteOnlineStore, event_time_us

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
IDS = [f"c{i}" for i in range(6)]
FUZZ = fuzz_settings(ci=40, long=1_000, suppress_health_check=[HealthCheck.too_slow])


class LatestEventModel:
    """The rule, one record at a time: a record replaces the stored one unless its event
    is older; a delete removes a record whose event is not after it and is remembered at
    its time; a missing id is not deleted."""

    def __init__(self) -> None:
        self.stored: dict[str, tuple[int, dict | None]] = {}

    def write(self, records: list[tuple[str, int, dict]]) -> int:
        applied = 0
        for record_id, event_us, document in records:
            old = self.stored.get(record_id)
            if old is None or event_us >= old[0]:
                self.stored[record_id] = (event_us, document)
                applied += 1
        return applied

    def delete(self, record_id: str, event_us: int) -> bool:
        old = self.stored.get(record_id)
        if old is None or old[1] is None or old[0] > event_us:
            return False
        self.stored[record_id] = (event_us, None)
        return True

    def get(self, record_id: str) -> dict | None:
        return self.stored.get(record_id, (0, None))[1]


def _seconds_text(seconds: int, form: int) -> object:
    when = T0 + dt.timedelta(seconds=seconds / 4)
    return [
        when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        when.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat(),
        when,
        when.timestamp(),
    ][form]


record_strategy = st.tuples(
    st.sampled_from(IDS),
    st.integers(0, 12),  # quarter seconds: equal and older times are common
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False), st.integers(-5, 5)),
    st.sampled_from(["a", "b", None, 'quote " and \\ back', "é\n"]),
)
operation_strategy = st.one_of(
    st.tuples(
        st.just("write"),
        st.lists(record_strategy, min_size=0, max_size=10),
        st.integers(0, 3),  # the form of the event times
        st.booleans(),  # as an Arrow table
    ),
    st.tuples(st.just("delete"), st.sampled_from([*IDS, "never"]), st.integers(0, 12)),
)


def _batch(rows: list[tuple], form: int, as_table: bool, serial: int):
    """The records as given to the store, and as (id, event µs, JSON document) for the
    model, the document being what a reader gets back."""
    records = [
        {"id": rid, "v": None if v is None else float(v), "label": label, "serial": serial + n,
         "t": _seconds_text(quarters, form)}
        for n, (rid, quarters, v, label) in enumerate(rows)
    ]  # fmt: skip
    if as_table:
        given_records: object = pa.Table.from_pylist(
            records,
            schema=pa.schema(
                [("id", pa.string()), ("v", pa.float64()), ("label", pa.string()),
                 ("serial", pa.int64()),
                 ("t", pa.timestamp("us", "UTC") if form == 2 else
                  pa.float64() if form == 3 else pa.string())]
            ),
        )  # fmt: skip
        readable = given_records.to_pylist()
    else:
        given_records, readable = records, records
    model = [
        (r["id"], event_time_us(r["t"]), json.loads(json.dumps(r, default=dt.datetime.isoformat)))
        for r in readable
    ]
    return given_records, model


def _check_sequence(store, operations) -> None:
    model = LatestEventModel()
    serial = 0
    for operation in operations:
        if operation[0] == "delete":
            _, record_id, quarters = operation
            when = T0 + dt.timedelta(seconds=quarters / 4)
            expected = model.delete(record_id, event_time_us(when))
            assert store.delete("g", record_id, when) is expected
        else:
            _, rows, form, as_table = operation
            given_records, records = _batch(rows, form, as_table, serial)
            serial += len(rows)
            expected = model.write(records)
            assert store.write("g", given_records, "id", "t") == expected
        assert store.get_many("g", IDS) == [model.get(record_id) for record_id in IDS]


@FUZZ
@given(operations=st.lists(operation_strategy, min_size=1, max_size=8))
def test_sqlite_store_follows_the_model(operations):
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteOnlineStore(Path(folder) / "online.db")
        try:
            _check_sequence(store, operations)
        finally:
            store.close()


def test_redis_store_follows_the_model(redis_server):  # noqa: F811
    store = RedisOnlineStore(redis_server)

    @FUZZ
    @given(operations=st.lists(operation_strategy, min_size=1, max_size=8))
    def follows(operations):
        redis.Redis.from_url(redis_server).flushdb()
        _check_sequence(store, operations)

    try:
        follows()
    finally:
        store.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = SQLiteOnlineStore(tmp_path / "online.db")
    else:
        url = request.getfixturevalue("redis_server")
        redis.Redis.from_url(url).flushdb()
        opened = RedisOnlineStore(url)
    yield opened
    opened.close()


def test_a_large_table_keeps_the_latest_event_across_chunks_and_statements(store):
    rng = np.random.default_rng(3)
    rows = 120_000  # several chunks, statements and script calls, ids repeating across them
    ids = rng.integers(0, 20_000, rows)
    seconds = rng.integers(0, 50, rows)
    table = pa.table({"id": ids, "value": rng.normal(size=rows), "t": seconds})
    model = LatestEventModel()
    documents = table.to_pylist()
    records = [(str(d["id"]), d["t"] * 1_000_000, d) for d in documents]
    expected = model.write(records)
    assert 20_000 < expected < rows
    assert store.write("g", table, "id", "t") == expected
    sample = [str(i) for i in range(0, 20_000, 7)]
    assert store.get_many("g", sample) == [model.get(i) for i in sample]
    # the same again: only the records at their id's latest time win, the last of them
    # staying
    expected = model.write(records)
    assert store.write("g", table, "id", "t") == expected
    assert store.get_many("g", sample) == [model.get(i) for i in sample]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"id": ["a", None], "t": [1, 2]}), "record 1 has no value in the id column"),
        (pa.table({"id": ["a", "b"], "t": [1.0, None]}), "record 1 has no value in the event"),
        (pa.table({"id": ["a", "b"], "t": ["2024-05-01T00:00:00Z", "soon"]}), "record 1: event"),
        (pa.table({"id": ["a", "b"], "t": [1.0, float("inf")]}), "record 1: event time inf"),
        (pa.table({"id": ["a", "b"], "t": [True, False]}), "record 0: event time True"),
        (pa.table({"id": ["a", "b"], "v": [b"x", b"y"], "t": [1, 2]}), "column 'v'"),
        (pa.table({"id": ["a"], "v": [1]}), "no column 't'"),
    ],
)
def test_a_table_with_a_bad_record_writes_nothing(store, table, message):
    store.write("g", [{"id": "a", "v": 0, "t": 0}], "id", "t")
    with pytest.raises(UsageError, match=message):
        store.write("g", table, "id", "t", commit="bad")
    assert store.get_many("g", ["a", "b"]) == [{"id": "a", "v": 0, "t": 0}, None]
    assert not store.committed("g", "bad")


def test_a_table_reads_back_as_its_rows(store):
    table = pa.table(
        {
            "id": pa.array([7, 8], pa.int64()),
            "amount": [1.0, 2.5e-8],
            "count": pa.array([3, None], pa.int32()),
            "name": ['a "quoted" \\ name', "é\n"],
            "flag": [True, None],
            "t": pa.array([T0, T0 + dt.timedelta(microseconds=1)], pa.timestamp("us", "UTC")),
        }
    )
    assert store.write("g", table, "id", "t") == 2
    got = store.get_many("g", ["7", "8"])
    assert got == [
        {"id": 7, "amount": 1.0, "count": 3, "name": 'a "quoted" \\ name', "flag": True,
         "t": "2024-05-01T00:00:00+00:00"},
        {"id": 8, "amount": 2.5e-8, "count": None, "name": "é\n", "flag": None,
         "t": "2024-05-01T00:00:00.000001+00:00"},
    ]  # fmt: skip
    assert isinstance(got[0]["amount"], float)
    assert store.get("g", "7", features=["name"]) == {"id": 7, "name": 'a "quoted" \\ name'}


@pytest.mark.parametrize("online", ["sqlite", "redis"])
def test_an_ingest_keeps_the_later_of_rows_with_equal_event_times(tmp_path, request, online):
    if online == "redis":
        url = request.getfixturevalue("redis_server")
        redis.Redis.from_url(url).flushdb()
    else:
        url = f"sqlite:///{tmp_path / 'online.db'}"
    fs = FeatureStore(tmp_path / "store", online=url)
    frame = pd.DataFrame(
        {
            "id": [1, 2, 1, 1, 2],
            "t": ["2024-05-01T10:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T12:00:00+02:00",
                  "2024-05-01T09:59:59Z", "2024-05-01T09:00:00.000Z"],
            "v": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )  # fmt: skip
    fg = fs.feature_group("ties")
    fg.load_feature_definitions(frame)
    fg.create("id", "t")
    assert fg.ingest(frame).ingested == 5
    assert fg.batch_get_record([1, 2]) == [
        {"id": 1, "t": "2024-05-01T12:00:00+02:00", "v": 3.0},
        {"id": 2, "t": "2024-05-01T09:00:00.000Z", "v": 5.0},
    ]
    fs.close()
