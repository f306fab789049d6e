"""Serving from a feature group that stores more than the model takes: the model gets
exactly the features it was trained on (a real server, a real SQLite online store)."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from live import LiveServer
from watchkeeper.capture import CaptureWriter
from watchkeeper.featurestore import FeatureStore
from watchkeeper.model import load_model
from watchkeeper.serve import create_app


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """A workspace per test: the default catalog is never the repository's."""
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "workspace"))
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)


def test_a_group_that_also_stores_the_label_feeds_the_model_its_own_features(tmp_path):
    rng = np.random.default_rng(1)
    train = pd.DataFrame({"income": rng.normal(50, 10, 300), "debt": rng.normal(20, 5, 300)})
    approved = (train["income"] - train["debt"] > 30).astype(int)
    model = LogisticRegression().fit(train, approved)
    # the layout the model was trained from: id, time, the label, then the features
    stored = pd.DataFrame({
        "index": [950, 951], "event_time": ["2026-11-01T10:00:00Z"] * 2,
        "approved": [1, 0], "debt": [10.0, 40.0], "income": [80.0, 30.0],
    })  # fmt: skip
    store = FeatureStore(tmp_path / "store", monitor=False)
    group = store.feature_group("loans")
    group.load_feature_definitions(stored)
    group.create(record_identifier_name="index", event_time_feature_name="event_time")
    group.ingest(stored)
    joblib.dump(model, tmp_path / "model.joblib")
    writer = CaptureWriter(str(tmp_path / "capture"), "loans")
    app = create_app(
        load_model(str(tmp_path / "model.joblib")), name="loans", capture=writer,
        feature_group=group,
    )  # fmt: skip
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            one = client.post("/api/v1/predict", json={"index": 950})
            assert one.status_code == 200, one.text
            both = client.post("/api/v1/predict", json=[{"index": 950}, {"index": 951}])
            assert both.status_code == 200, both.text
    finally:
        server.stop()
        store.close()
    expected = model.predict(pd.DataFrame({"income": [80.0, 30.0], "debt": [10.0, 40.0]}))
    assert one.json()["predictions"] == [int(expected[0])]
    assert both.json()["predictions"] == [int(value) for value in expected]
    lines = [json.loads(line) for path in sorted((tmp_path / "capture").rglob("*.jsonl"))
             for line in path.read_text().splitlines()]  # fmt: skip
    # the model's features in the model's order; the label is not sent nor captured
    assert json.loads(lines[0]["captureData"]["endpointInput"]["data"]) == {
        "income": 80.0, "debt": 10.0
    }


def test_a_group_without_the_models_features_is_named_in_the_answer(tmp_path):
    train = pd.DataFrame({"income": [1.0, 2.0, 3.0, 4.0], "debt": [1.0, 0.0, 1.0, 0.0]})
    model = LogisticRegression().fit(train, [0, 0, 1, 1])
    stored = pd.DataFrame({"index": [1], "event_time": ["2026-11-01T10:00:00Z"],
                           "income": [2.0]})  # fmt: skip
    store = FeatureStore(tmp_path / "store", monitor=False)
    group = store.feature_group("thin")
    group.load_feature_definitions(stored)
    group.create(record_identifier_name="index", event_time_feature_name="event_time")
    group.ingest(stored)
    joblib.dump(model, tmp_path / "model.joblib")
    app = create_app(load_model(str(tmp_path / "model.joblib")), name="thin", feature_group=group)
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            answer = client.post("/api/v1/predict", json={"index": 1})
    finally:
        server.stop()
        store.close()
    assert answer.status_code == 422
    assert answer.json()["error"] == (
        "feature group 'thin' does not store the model's features 'debt'"
    )
