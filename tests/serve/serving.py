"""Requests for the iris models and a real server on 127.0.0.1 to serve them.

The models themselves are saved by :mod:`model_files`. :class:`LiveServer` runs
``uvicorn.Server`` in a thread on a free port, so tests speak real HTTP through httpx.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from live import LiveServer
from watchkeeper.serve import ServingApp

HOST = "127.0.0.1"
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 6.9, "sepal_width": 3.1, "petal_length": 5.4, "petal_width": 2.1}
SETOSA_CSV = "5.1,3.5,1.4,0.2"
VIRGINICA_CSV = "6.9,3.1,5.4,2.1"


@contextmanager
def running(app: ServingApp) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


def captured(destination: Path, endpoint: str = "iris") -> list[dict]:
    files = sorted((destination / endpoint / "AllTraffic").glob("*/*/*/*/*.jsonl"))
    return [json.loads(line) for file in files for line in file.read_text().splitlines()]


def free_port() -> int:
    """A port nothing listens on now, for a server started in another process."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for_server(url: str, process: subprocess.Popen) -> None:
    """Wait until the server ``process`` answers its health route at ``url``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {process.stdout.read().decode()}")
        try:
            if httpx.get(f"{url}/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("the server did not start")
