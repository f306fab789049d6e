"""schemathesis against the dashboard's OpenAPI (datasets, monitoring, feature groups)
on a real server: every operation, with valid and invalid requests, and not one answer
of 500 or more."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from contracts import run_contract
from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.cli.ui import dashboard_app
from watchkeeper.datasets.service import DatasetService
from watchkeeper.profile import DatasetProfile


def test_no_request_makes_the_dashboard_api_fail(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "home"))  # ground truth lands here
    catalog = Catalog(database_url)
    # a dataset with batches under the name the schema's examples use, so that generated
    # requests reach its batches and monitors, not only "no dataset named ..."
    profile = DatasetProfile()
    profile.track(pa.table({"price": np.linspace(1, 100, 500), "country": ["DE"] * 500}))
    service = DatasetService(catalog)
    service.receive("model-1", profile, timestamp="2026-11-20T09:00:00Z")
    service.set_baseline("model-1", profile, "training sample")
    service.refresh()
    server = LiveServer(dashboard_app(catalog, tokens=[], refresh_seconds=None)).start()
    try:
        found = run_contract(server.url)
    finally:
        server.stop()
    print(f"\nui: {found.summary()}")
    assert "POST /api/v1/datasets/{name}/profiles" in found.operations
    assert "GET /api/v1/feature-groups/{name}/records/{record_id}" in found.operations
    assert found.statuses[200] > 0
    assert found.server_errors == []
