"""Requests for the iris models and a real server on 127.0.0.1 to serve them.

The models themselves are saved by :mod:`model_files`. :class:`LiveServer` runs
``uvicorn.Server`` in a thread on a free port, so tests speak real HTTP through httpx.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
