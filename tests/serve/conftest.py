"""Fixtures of the serving tests: live servers (the saved models come from the root
conftest, see :mod:`model_files`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from live import LiveServer
from watchkeeper.serve import ServingApp


@pytest.fixture
def serve() -> Iterator[Callable[[ServingApp], LiveServer]]:
    """Start a server for an app; every server started is stopped after the test."""
    started: list[LiveServer] = []

    def start(app: ServingApp) -> LiveServer:
        started.append(LiveServer(app).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()
