"""Ground-truth labels uploaded over HTTP (``POST /api/v1/groundtruth``)."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import FastAPI

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.monitor.rest import monitoring_router
from watchkeeper.quality import read_ground_truth


def test_labels_are_stored_where_the_jobs_read_them(tmp_path):
    app = FastAPI()
    root = tmp_path / "ground-truth"
    app.include_router(
        monitoring_router(Catalog(f"sqlite:///{tmp_path}/c.db"), str(root), max_body=2000)
    )
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            csv = "inferenceId,label\na-1,1\na-2,0\na-3,1\n"
            sent = client.post("/api/v1/groundtruth", params={"endpoint": "churn"},
                               content=csv, headers={"content-type": "text/csv"})  # fmt: skip
            assert sent.status_code == 201, sent.text
            assert sent.json()["records"] == 3
            jsonl = "\n".join(
                json.dumps({"groundTruthData": {"data": "0", "encoding": "CSV"},
                            "eventMetadata": {"eventId": f"e-{n}"}, "eventVersion": "0"})
                for n in range(2)
            )  # fmt: skip
            sent = client.post("/api/v1/groundtruth", params={"endpoint": "churn"},
                               content=jsonl,
                               headers={"content-type": "application/jsonlines"})  # fmt: skip
            assert (sent.status_code, sent.json()["records"]) == (201, 2)
            wrong = client.post("/api/v1/groundtruth", params={"endpoint": "churn"},
                                content=csv, headers={"content-type": "image/png"})  # fmt: skip
            assert wrong.status_code == 415
            broken = client.post("/api/v1/groundtruth", params={"endpoint": "churn"},
                                 content="id\n1\n", headers={"content-type": "text/csv"})
            assert broken.status_code == 422 and "request body" in broken.json()["detail"]
            large = client.post("/api/v1/groundtruth", params={"endpoint": "churn"},
                                content="x" * 3000, headers={"content-type": "text/csv"})
            assert large.status_code == 413
            nameless = client.post("/api/v1/groundtruth", content=csv,
                                   headers={"content-type": "text/csv"})  # fmt: skip
            assert nameless.status_code == 422
    finally:
        server.stop()
    now = dt.datetime.now(dt.UTC)
    labels = read_ground_truth(root, "churn", now - dt.timedelta(hours=2), now)
    assert sorted(labels["eventId"].to_pylist()) == ["a-1", "a-2", "a-3", "e-0", "e-1"]
