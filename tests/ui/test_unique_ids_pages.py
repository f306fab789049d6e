"""The dashboard counts a column of unique ids as the reports do: never more distinct
values than values, an estimate marked as one, and every value unique said so."""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import DatasetService
from watchkeeper.profile import DatasetProfile
from watchkeeper.ui import create_ui_app


def test_unique_ids_read_as_an_estimate_of_every_value(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    service = DatasetService(catalog)
    profile = DatasetProfile()
    rows = 5000
    profile.track(pa.table({"id": [f"order-{i:06d}" for i in range(rows)],
                            "channel": ["web", "shop"] * (rows // 2)}))  # fmt: skip
    service.receive("orders", profile, timestamp=dt.datetime.now(dt.UTC))
    service.refresh("orders")
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    try:
        with live.client() as client:
            dataset = client.get("/datasets/orders").text
            compare = client.get("/compare?dataset=orders").text
    finally:
        live.stop()
    for page in (dataset, compare):
        counts = [int(n.replace(",", "")) for n in re.findall(r"≈ ([\d,]+)", page)]
        assert counts and all(count <= rows for count in counts), counts
        assert "all unique" in page
    # the channel's two values are counted exactly, and are not unique
    assert re.search(r">\s*2\s*<", dataset)
