"""Event times come back as the instant that was ingested, to the microsecond, in the
form it was written in: from the online store (SQLite and Redis), the CLI, the HTTP
record route and SQL."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import redis
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from redis_server import redis_server  # noqa: F401  (fixture, used by name)
from typer.testing import CliRunner

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.cli.featurestore import fs_app
from watchkeeper.cli.ui import dashboard_app
from watchkeeper.featurestore import FeatureStore

WRITTEN = [
    "2024-05-01T11:30:15.250Z",
    "2024-05-01T11:30:15.123456Z",
    "2024-05-01T11:30:15Z",
    "2024-05-01T13:30:15.5+02:00",
]


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    """A feature store whose online store is SQLite or a real Redis server."""
    online = f"sqlite:///{tmp_path / 'online.db'}"
    if request.param == "redis":
        online = request.getfixturevalue("redis_server")
        redis.Redis.from_url(online).flushdb()
    opened = FeatureStore(tmp_path / "store", online=online)
    yield opened
    opened.close()


def _group(store, frame):
    group = store.feature_group("scores")
    group.load_feature_definitions(frame)
    group.create(record_identifier_name="id", event_time_feature_name="event_time")
    group.ingest(frame)
    return group


def test_online_records_keep_the_event_time_as_written(store):
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "event_time": WRITTEN, "x": [1.0, 2.0, 3.0, 4.0]})
    group = _group(store, frame)
    assert [group.get_record(i)["event_time"] for i in (1, 2, 3, 4)] == WRITTEN
    assert [r["event_time"] for r in group.batch_get_record([4, 1])] == [WRITTEN[3], WRITTEN[0]]


def test_rows_left_out_do_not_shift_the_event_times_of_the_others(store):
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "event_time": [WRITTEN[0], "later", WRITTEN[3], None],
            "x": [1.0, 2.0, 3.0, 4.0],
        }
    )
    group = _group(store, frame)
    assert group.get_record(1)["event_time"] == WRITTEN[0]
    assert group.get_record(2) is None and group.get_record(4) is None
    assert group.get_record(3) == {"id": 3, "event_time": WRITTEN[3], "x": 3.0}


def test_event_times_given_as_datetimes_come_back_exact_in_utc(store):
    times = pd.to_datetime(
        ["2024-05-01T11:30:15.000001Z", "2024-05-01T11:30:15.250Z", "2024-05-01T11:30:00Z"],
        utc=True,
        format="ISO8601",
    )
    frame = pd.DataFrame({"id": [1, 2, 3], "event_time": times, "x": [1.0, 2.0, 3.0]})
    group = _group(store, frame)
    assert [group.get_record(i)["event_time"] for i in (1, 2, 3)] == [
        "2024-05-01T11:30:15.000001Z",
        "2024-05-01T11:30:15.250Z",
        "2024-05-01T11:30:00Z",
    ]


def test_a_later_event_replaces_a_record_by_its_instant_not_its_text(store):
    group = _group(
        store, pd.DataFrame({"id": [1], "event_time": ["2024-05-01T11:30:15.250Z"], "x": [1.0]})
    )
    # 13:30:15.2 at +02:00 is 11:30:15.200Z: earlier, so it must not win
    earlier = "2024-05-01T13:30:15.2+02:00"
    group.ingest(pd.DataFrame({"id": [1], "event_time": [earlier], "x": [2.0]}))
    assert group.get_record(1) == {"id": 1, "event_time": "2024-05-01T11:30:15.250Z", "x": 1.0}


def test_sql_sees_the_exact_instant(tmp_path):
    store = FeatureStore(tmp_path / "store", online=None)
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "event_time": WRITTEN, "x": [1.0, 2.0, 3.0, 4.0]})
    _group(store, frame)
    times = store.query('SELECT event_time FROM "scores" ORDER BY id')["event_time"]
    assert times.tolist() == [pd.Timestamp(text) for text in WRITTEN]


def test_cli_get_and_query_print_event_times_to_the_microsecond(tmp_path):
    source = tmp_path / "scores.csv"
    pd.DataFrame({"id": [1, 2], "event_time": WRITTEN[:2], "x": [1.0, 2.0]}).to_csv(
        source, index=False
    )
    uri = ["--uri", str(tmp_path / "store")]
    runner = CliRunner()
    created = runner.invoke(
        fs_app,
        ["create", "scores", str(source), "--record-identifier", "id", "--event-time",
         "event_time", *uri],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert runner.invoke(fs_app, ["ingest", "scores", str(source), *uri]).exit_code == 0
    got = runner.invoke(fs_app, ["get", "scores", "1", *uri])
    assert json.loads(got.output)["event_time"] == "2024-05-01T11:30:15.250Z"
    got = runner.invoke(fs_app, ["get", "scores", "2", *uri])
    assert json.loads(got.output)["event_time"] == "2024-05-01T11:30:15.123456Z"
    queried = runner.invoke(
        fs_app, ["query", 'SELECT id, event_time FROM "scores" ORDER BY id', "--json", *uri]
    )
    assert json.loads(queried.output) == [
        {"id": 1, "event_time": "2024-05-01T11:30:15.250Z"},
        {"id": 2, "event_time": "2024-05-01T11:30:15.123456Z"},
    ]
    table = runner.invoke(fs_app, ["query", 'SELECT event_time FROM "scores"', *uri])
    assert "2024-05-01T11:30:15.250Z" in table.output


def test_the_record_route_answers_the_event_time_as_written(tmp_path):
    store = FeatureStore(tmp_path / "store")
    _group(store, pd.DataFrame({"id": [1], "event_time": [WRITTEN[0]], "x": [1.0]}))
    app = dashboard_app(Catalog(f"sqlite:///{tmp_path}/c.db"), tokens=[], refresh_seconds=None,
                        feature_store=store)  # fmt: skip
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            answer = client.get("/api/v1/feature-groups/scores/records/1")
            assert answer.status_code == 200
            assert answer.json()["event_time"] == "2024-05-01T11:30:15.250Z"
    finally:
        server.stop()
        store.close()
