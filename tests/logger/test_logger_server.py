"""The logger against the real watchkeeper server (``watchkeeper.ui``'s app on 127.0.0.1):
profiles it ships land in the dataset's hourly batches, per segment, with their rows."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pandas as pd
import pytest
import uvicorn

from watchkeeper.catalog import Catalog
from watchkeeper.logger import Logger
from watchkeeper.ui.app import create_ui_app

HOST = "127.0.0.1"
TOKEN = "server-token-4b1e"


class RunningServer:
    def __init__(self, app) -> None:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((HOST, 0))
        self._socket = listening
        self.url = f"http://{HOST}:{listening.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listening]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the watchkeeper server did not start"
            time.sleep(0.005)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@pytest.fixture
def server(tmp_path) -> Iterator[RunningServer]:
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    running = RunningServer(create_ui_app(catalog, tokens=[TOKEN], refresh_seconds=None))
    yield running
    running.stop()


def test_logged_rows_arrive_in_the_servers_hourly_batches(server):
    rng = np.random.default_rng(11)
    moments = [dt.datetime(2024, 5, 1, 9, 40, tzinfo=dt.UTC)]
    logger = Logger(
        "checkout", to=server.url, token=TOKEN, segment_columns=["country"], rotation="1h",
        clock=lambda: moments[0],
    )  # fmt: skip
    logged = []
    for hour, rows in ((9, 300), (10, 200)):
        moments[0] = moments[0].replace(hour=hour)
        frame = pd.DataFrame(
            {"country": rng.choice(["DE", "FR"], rows), "amount": rng.gamma(2.0, 30.0, rows)}
        )
        logger.log(frame)
        logged.append(frame.assign(hour=hour))
    logger.close()
    assert (logger.shipped, logger.dropped, logger.failed_attempts) == (4, 0, 0)
    rows = pd.concat(logged)
    expected = rows.groupby(["country", "hour"]).size().to_dict()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    found = {}
    for country in ("DE", "FR"):
        answer = httpx.get(
            f"{server.url}/api/v1/datasets/checkout/batches",
            params={"granularity": "hour", "segment": f"country={country}"},
            headers=headers,
        )
        answer.raise_for_status()
        for batch in answer.json():
            found[(country, dt.datetime.fromisoformat(batch["start"]).hour)] = batch["rows"]
    assert found == expected


def test_the_server_refuses_a_wrong_token_and_the_profile_is_dropped(server, caplog):
    logger = Logger("checkout", to=server.url, token="not-the-token", clock=lambda: 1714557600.0)
    logger.log({"amount": [1.0, 2.0]})
    assert logger.flush() is True
    logger.close()
    assert (logger.shipped, logger.dropped) == (0, 1)
    assert "HTTP 401" in caplog.text and "not-the-token" not in caplog.text
