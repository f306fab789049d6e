"""The dashboard fixture of the page tests: a dashboard on 127.0.0.1 whose alerts go to
the test's webhook server, as its client and its dataset service."""

from __future__ import annotations

import pytest

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.ui import create_ui_app


@pytest.fixture
def dashboard(database_url, webhook_server):
    app = create_ui_app(
        Catalog(database_url),
        tokens=[],
        refresh_seconds=None,
        notify=[f"json://{webhook_server.address}/alerts"],
    )
    server = LiveServer(app).start()
    with server.client() as client:
        yield client, app.state.service
    server.stop()
