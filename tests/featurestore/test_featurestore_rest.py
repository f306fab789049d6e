"""A feature group's latest records over HTTP, from a real server: the dashboard's, and
the feature store's router on its own."""

from __future__ import annotations

import pandas as pd
from fastapi import FastAPI
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.cli.ui import dashboard_app
from watchkeeper.featurestore import FeatureStore
from watchkeeper.featurestore.rest import feature_store_router


def applicants(store: FeatureStore) -> None:
    group = store.feature_group("applicants")
    frame = pd.DataFrame({"id": [1, 2, 1], "event_time": ["2026-11-01T10:00:00Z",
                          "2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z"],
                          "math": [40, 70, 90]})  # fmt: skip
    group.load_feature_definitions(frame)
    group.create(record_identifier_name="id", event_time_feature_name="event_time")
    group.ingest(frame)


def test_records_are_read_from_the_online_store(tmp_path):
    store = FeatureStore(tmp_path / "store")
    applicants(store)
    app = dashboard_app(Catalog(f"sqlite:///{tmp_path}/c.db"), tokens=[], refresh_seconds=None,
                        feature_store=store)  # fmt: skip
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            latest = client.get("/api/v1/feature-groups/applicants/records/1")
            assert latest.status_code == 200 and latest.json()["math"] == 90
            chosen = client.get("/api/v1/feature-groups/applicants/records/2",
                                params={"feature": ["math"]})  # fmt: skip
            assert chosen.json() == {"id": 2, "math": 70}
            assert client.get("/api/v1/feature-groups/applicants/records/9").status_code == 404
            assert client.get("/api/v1/feature-groups/nothing/records/1").status_code == 404
            bad = client.get("/api/v1/feature-groups/applicants/records/1",
                             params={"feature": ["colour"]})  # fmt: skip
            assert bad.status_code == 422 and "colour" in bad.json()["detail"]
    finally:
        server.stop()
        store.close()


def test_the_router_alone_reads_the_workspace_store_each_request(tmp_path, workspace):  # noqa: F811
    catalog = Catalog(f"sqlite:///{tmp_path}/c.db")
    app = FastAPI()
    app.include_router(feature_store_router(catalog=catalog))
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            before = client.get("/api/v1/feature-groups/applicants/records/1")
            assert before.status_code == 404
            assert before.json()["detail"] == "no feature group named 'applicants'"
            writer = FeatureStore(catalog=catalog)  # another process's, on the same folder
            applicants(writer)
            writer.close()
            latest = client.get("/api/v1/feature-groups/applicants/records/1")
            assert latest.status_code == 200
            assert (latest.json()["id"], latest.json()["math"]) == (1, 90)
            missing = client.get("/api/v1/feature-groups/applicants/records/3")
            assert missing.json()["detail"] == "feature group 'applicants' has no record '3'"
            bad = client.get("/api/v1/feature-groups/bad.name/records/1")
            assert bad.status_code == 422 and "bad.name" in bad.json()["detail"]
    finally:
        server.stop()
    assert (workspace / "featurestore" / "_groups" / "applicants.json").is_file()
