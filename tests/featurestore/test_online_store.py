"""The online store on SQLite and on a real Redis server: the latest record per id wins."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading

import pytest
import redis
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from redis_server import redis_server  # noqa: F401  (fixture, used by name)

from sqlite_writers import opened_while_another_writes
from watchkeeper.errors import UsageError
from watchkeeper.featurestore.online import (
    RedisOnlineStore,
    SQLiteOnlineStore,
    event_time_us,
    open_online_store,
)

UTC = dt.UTC
T0 = dt.datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    """An empty online store on each backend."""
    if request.param == "sqlite":
        opened = open_online_store(f"sqlite:///{tmp_path / 'online.db'}", tmp_path / "unused.db")
        assert isinstance(opened, SQLiteOnlineStore)
    else:
        url = request.getfixturevalue("redis_server")
        redis.Redis.from_url(url).flushdb()
        opened = open_online_store(url, tmp_path / "unused.db")
        assert isinstance(opened, RedisOnlineStore)
    yield opened
    opened.close()


def _time(rng: random.Random, seconds: int):
    """One instant in one of the accepted forms, chosen at random."""
    when = T0 + dt.timedelta(seconds=seconds)
    form = rng.randrange(5)
    if form == 0:
        return when
    if form == 1:
        return when.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()
    if form == 2:
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == 3:
        return int(when.timestamp())
    return when.timestamp()


def _as_written(record: dict) -> dict:
    return json.loads(json.dumps(record, default=lambda value: value.isoformat()))


@pytest.mark.parametrize("seed", range(4))
def test_latest_event_wins_whatever_the_order_of_writes_and_deletes(store, seed):
    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(12)]
    reference: dict[str, tuple[int, dict | None]] = {}  # id -> (event µs, record or deleted)
    serial = 0
    for _ in range(40):
        if rng.random() < 0.2:
            record_id = rng.choice(ids)
            when = _time(rng, rng.randrange(30))
            stored = reference.get(record_id)
            expected = stored is not None and stored[1] is not None
            expected = expected and stored[0] <= event_time_us(when)
            if expected:
                reference[record_id] = (event_time_us(when), None)
            assert store.delete("g", record_id, when) is expected
            continue
        batch = []
        for _ in range(rng.randrange(1, 8)):
            serial += 1
            batch.append(
                {
                    "id": rng.choice(ids),
                    "amount": rng.randrange(1000) / 10,
                    "label": rng.choice(["a", "b", None]),
                    "flag": rng.random() < 0.5,
                    "serial": serial,
                    "t": _time(rng, rng.randrange(30)),
                }
            )
        became_latest = 0
        for record in batch:
            event_us = event_time_us(record["t"])
            stored = reference.get(record["id"])
            if stored is None or event_us >= stored[0]:
                reference[record["id"]] = (event_us, _as_written(record))
                became_latest += 1
        assert store.write("g", batch, id_column="id", time_column="t") == became_latest
        for record_id in ids:
            expected = reference.get(record_id, (0, None))[1]
            assert store.get("g", record_id) == expected
    assert store.get_many("g", ids) == [reference.get(i, (0, None))[1] for i in ids]


def test_equal_event_times_the_later_write_wins(store):
    assert store.write("g", [{"id": 1, "v": "first", "t": 100}], "id", "t") == 1
    assert store.write("g", [{"id": 1, "v": "second", "t": "1970-01-01T00:01:40Z"}], "id", "t") == 1
    assert store.get("g", "1")["v"] == "second"
    batch = [{"id": 2, "v": "x", "t": 5}, {"id": 2, "v": "y", "t": 5}, {"id": 2, "v": "z", "t": 4}]
    assert store.write("g", batch, "id", "t") == 2
    assert store.get("g", "2") == {"id": 2, "v": "y", "t": 5}


def test_delete_removes_only_records_not_newer_than_the_deletion(store):
    store.write("g", [{"id": "a", "v": 1, "t": T0}], "id", "t")
    assert store.delete("g", "a", T0 - dt.timedelta(seconds=1)) is False
    assert store.get("g", "a") == {"id": "a", "v": 1, "t": T0.isoformat()}
    assert store.delete("g", "a", T0) is True
    assert store.get("g", "a") is None
    assert store.delete("g", "a", T0 + dt.timedelta(days=1)) is False
    assert store.delete("g", "missing", T0) is False
    # a late record older than the deletion stays deleted; one at or after it comes back
    assert store.write("g", [{"id": "a", "v": 2, "t": T0 - dt.timedelta(hours=1)}], "id", "t") == 0
    assert store.get("g", "a") is None
    assert store.write("g", [{"id": "a", "v": 3, "t": T0 + dt.timedelta(hours=1)}], "id", "t") == 1
    assert store.get("g", "a")["v"] == 3


def test_features_select_columns_and_keep_the_id(store):
    store.write("g", [{"key": 9, "a": 1.5, "b": "x", "c": None, "t": 1}], "key", "t")
    assert store.get("g", "9", features=["b", "c"]) == {"key": 9, "b": "x", "c": None}
    assert store.get("g", 9, features=["a", "unknown"]) == {"key": 9, "a": 1.5}
    assert store.get("g", "9", features=[]) == {"key": 9}
    assert store.get("g", "9", features=["key"]) == {"key": 9}
    assert store.get("g", "9") == {"key": 9, "a": 1.5, "b": "x", "c": None, "t": 1}


def test_get_many_puts_none_in_place_of_missing_ids(store):
    store.write("g", [{"id": i, "v": i * 10, "t": 1} for i in range(5)], "id", "t")
    got = store.get_many("g", ["4", "nope", 1, "4", "9"], features=["v"])
    assert got == [{"id": 4, "v": 40}, None, {"id": 1, "v": 10}, {"id": 4, "v": 40}, None]
    assert store.get_many("g", []) == []
    assert store.get_many("other", ["1"]) == [None]
    many = [str(i) for i in range(1200)]
    assert store.get_many("g", many)[:6] == [{"id": i, "v": i * 10, "t": 1} for i in range(5)] + [
        None
    ]


def test_drop_forgets_one_group_only(store):
    for group in ("orders", "orders2", "customers"):
        store.write(group, [{"id": i, "g": group, "t": 1} for i in range(1500)], "id", "t")
    store.drop("orders")
    assert store.get_many("orders", ["0", "1499"]) == [None, None]
    assert store.get("orders2", "1499") == {"id": 1499, "g": "orders2", "t": 1}
    assert store.get("customers", "0") == {"id": 0, "g": "customers", "t": 1}
    store.drop("never-written")
    assert store.write("orders", [{"id": 0, "g": "again", "t": 0}], "id", "t") == 1
    assert store.get("orders", "0")["g"] == "again"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"v": 1, "t": 2}, "id column"),
        ({"id": None, "v": 1, "t": 2}, "id column"),
        ({"id": "b", "v": 1}, "event time column"),
        ({"id": "b", "v": 1, "t": "yesterday"}, "ISO-8601"),
        ({"id": "b", "v": 1, "t": True}, "not a time"),
        ({"id": "b", "v": object(), "t": 2}, "cannot be stored"),
    ],
)
def test_a_batch_with_a_bad_record_writes_nothing(store, bad, message):
    store.write("g", [{"id": "a", "v": 0, "t": 1}], "id", "t")
    batch = [{"id": "a", "v": 1, "t": 2}, bad, {"id": "c", "v": 3, "t": 2}]
    with pytest.raises(UsageError, match=message):
        store.write("g", batch, "id", "t")
    assert store.get_many("g", ["a", "b", "c"]) == [{"id": "a", "v": 0, "t": 1}, None, None]


def test_bad_group_names_and_event_times_are_refused(store):
    with pytest.raises(UsageError, match="feature group name"):
        store.write("a:b", [{"id": 1, "t": 1}], "id", "t")
    with pytest.raises(UsageError, match="feature group name"):
        store.drop("*")
    for name in ("g\n", "g.h", "g*"):
        for call in (
            lambda name=name: store.write(name, [{"id": 1, "t": 1}], "id", "t"),
            lambda name=name: store.get(name, "1"),
            lambda name=name: store.get_many(name, ["1"]),
            lambda name=name: store.delete(name, "1", 1),
        ):
            with pytest.raises(UsageError, match="feature group name"):
                call()
    with pytest.raises(UsageError):
        store.delete("g", "1", "not a time")


def test_event_times_in_every_form_compare_as_instants():
    instant = dt.datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)
    forms = [
        instant,
        instant.replace(tzinfo=None),
        instant.astimezone(dt.timezone(dt.timedelta(hours=9, minutes=30))),
        "2024-05-01T12:30:15.250Z",
        "2024-05-01T08:30:15.250-04:00",
        instant.timestamp(),
        str(instant.timestamp()),
    ]
    assert {event_time_us(form) for form in forms} == {
        int(instant.timestamp()) * 1_000_000 + 250000
    }
    assert event_time_us(-1) < event_time_us(0) < event_time_us("1970-01-01T00:00:00.000001Z")


def test_open_online_store_chooses_the_backend(tmp_path):
    default = open_online_store(None, tmp_path / "sub" / "default.db")
    assert isinstance(default, SQLiteOnlineStore)
    assert default.path == tmp_path / "sub" / "default.db"
    default.close()
    named = open_online_store(f"sqlite:///{tmp_path}/named.db", tmp_path / "default.db")
    assert named.path == tmp_path / "named.db"
    named.close()
    with pytest.raises(UsageError, match="not supported"):
        open_online_store("memcached://127.0.0.1:11211", tmp_path / "default.db")
    with pytest.raises(UsageError, match="cannot reach"):
        open_online_store("redis://127.0.0.1:1/0", tmp_path / "default.db")


def test_sqlite_store_keeps_records_across_opens_and_threads(tmp_path):
    path = tmp_path / "online.db"
    store = SQLiteOnlineStore(path)
    errors = []

    def writer(worker: int) -> None:
        try:
            for step in range(50):
                store.write("g", [{"id": worker, "step": step, "t": step}], "id", "t")
                assert store.get("g", str(worker))["step"] == step
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store.close()
    again = SQLiteOnlineStore(path)
    assert again.get_many("g", ["0", "3"]) == [
        {"id": 0, "step": 49, "t": 49},
        {"id": 3, "step": 49, "t": 49},
    ]
    again.close()


def test_a_commit_is_noted_with_its_batch_or_not_at_all(store):
    assert store.write("g", [{"id": 1, "v": 1, "t": 1}], "id", "t", commit="c1") == 1
    assert store.committed("g", "c1") and not store.committed("other", "c1")
    with pytest.raises(UsageError):
        store.write("g", [{"id": 2, "v": 2, "t": 1}, {"id": 3, "t": "never"}], "id", "t",
                    commit="c2")  # fmt: skip
    assert not store.committed("g", "c2") and store.get("g", "2") is None
    assert store.delete("g", "1", 5, commit="c3")
    assert store.committed("g", "c3") and store.get("g", "1") is None
    store.forget("g", "c1")
    assert not store.committed("g", "c1") and store.committed("g", "c3")
    store.drop("g")
    assert not store.committed("g", "c3")


def test_a_store_names_its_location_without_credentials(store, tmp_path):
    if isinstance(store, SQLiteOnlineStore):
        assert store.location == f"sqlite:///{(tmp_path / 'online.db').resolve()}"
    else:
        port = store.url.rsplit(":", 1)[1].split("/")[0]
        assert store.location == f"redis://127.0.0.1:{port}/0"


def test_opening_a_new_sqlite_store_waits_while_another_process_writes_it_first(tmp_path):
    """SQLite refuses the switch to WAL at once while the new file is being written."""
    path = tmp_path / "online.db"
    store = opened_while_another_writes(path, lambda: SQLiteOnlineStore(path))
    store.write("g", [{"id": 1, "t": 1}], "id", "t")
    assert store.get("g", "1") == {"id": 1, "t": 1}
    store.close()
