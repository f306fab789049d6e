"""A served model answering requests that carry only a record id: the features come
from the feature group's online store (a real server, a real SQLite store)."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from sklearn.linear_model import LinearRegression

from live import LiveServer
from watchkeeper.capture import CaptureWriter
from watchkeeper.featurestore import FeatureStore
from watchkeeper.model import load_model
from watchkeeper.serve import create_app


def test_a_request_of_ids_is_answered_from_stored_features(tmp_path):
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"math": rng.normal(60, 10, 200), "science": rng.normal(50, 5, 200)})
    model = LinearRegression().fit(train, 2 * train["math"] - train["science"])
    store = FeatureStore(tmp_path / "store", monitor=False)
    group = store.feature_group("applicants")
    records = pd.DataFrame({"id": [1, 2], "event_time": ["2026-11-01T10:00:00Z"] * 2,
                            "math": [70.0, 40.0], "science": [55.0, 45.0]})  # fmt: skip
    group.load_feature_definitions(records)
    group.create(record_identifier_name="id", event_time_feature_name="event_time")
    group.ingest(records)
    joblib.dump(model, tmp_path / "model.joblib")
    writer = CaptureWriter(str(tmp_path / "capture"), "scorer")
    loaded = load_model(str(tmp_path / "model.joblib"))
    app = create_app(loaded, name="scorer", capture=writer, feature_group=group)
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            one = client.post("/api/v1/predict", json={"id": 1})
            assert one.status_code == 200, one.text
            assert one.json()["predictions"][0] == np.float64(
                model.predict(pd.DataFrame({"math": [70.0], "science": [55.0]}))[0]
            )
            both = client.post("/api/v1/predict", json=[{"id": 2}, {"id": 1}])
            assert len(both.json()["predictions"]) == 2
            missing = client.post("/api/v1/predict", json={"id": 9})
            assert missing.status_code == 404 and "has no record 9" in missing.text
            direct = client.post("/api/v1/predict", json={"math": 70.0, "science": 55.0})
            assert direct.json()["predictions"] == one.json()["predictions"]
    finally:
        server.stop()
        store.close()
    lines = [
        json.loads(line)
        for path in sorted((tmp_path / "capture").rglob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    assert len(lines) == 3  # the refused request is not captured
    # what was captured is what the model saw: the stored features, not the id
    inputs = [json.loads(line["captureData"]["endpointInput"]["data"]) for line in lines]
    assert inputs[0] == {"math": 70.0, "science": 55.0}
    assert inputs[1] == [{"math": 40.0, "science": 45.0}, {"math": 70.0, "science": 55.0}]


def test_serve_refuses_a_feature_group_that_does_not_exist(tmp_path):
    from typer.testing import CliRunner

    from watchkeeper.cli import app

    train = pd.DataFrame({"math": [1.0, 2.0, 3.0]})
    joblib.dump(LinearRegression().fit(train, [1.0, 2.0, 3.0]), tmp_path / "m.joblib")
    result = CliRunner().invoke(app, ["serve", str(tmp_path / "m.joblib"), "--feature-group",
                                      "nothing", "--feature-store", str(tmp_path / "store")])
    assert result.exit_code == 2 and "no feature group named 'nothing'" in result.output
