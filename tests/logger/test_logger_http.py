"""Shipping profiles to a server over HTTP: the client's side of the protocol.

These tests exercise the client's protocol — ``POST {to}/api/v1/datasets/{dataset}/
profiles`` with the profile's bytes and a bearer token — against ``ProfileServer``, a
small real FastAPI app served by uvicorn on 127.0.0.1 in this module. It stands in for
the watchkeeper server's receiving endpoint: it keeps what it receives, and can be told
to answer with an error, to demand a token, to answer slowly, or not to listen yet.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from watchkeeper.datasets.segments import (
    META_DATASET,
    META_PROFILE_ID,
    META_SEGMENT,
    META_TIMESTAMP,
)
from watchkeeper.logger import Logger
from watchkeeper.profile import DatasetProfile, profile_from_bytes
from watchkeeper.profile.binary import MAGIC

HOST = "127.0.0.1"
UTC = dt.UTC


@dataclass(frozen=True)
class Received:
    dataset: str
    headers: dict[str, str]
    profile: DatasetProfile


class ProfileServer:
    """The profile endpoint on a free port; ``start()`` begins listening.

    Until then the port is bound but not listening, so connections are refused.
    ``answer = (status, detail)`` answers every POST with that error instead of taking
    the profile; ``token`` demands ``Authorization: Bearer <token>`` (a wrong one is
    echoed back in the 401, as careless servers do); ``delay`` waits before answering
    and then answers 503, like a hung gateway.
    """

    def __init__(self, token: str | None = None) -> None:
        self.received: list[Received] = []
        self.requests = 0
        self.token = token
        self.answer: tuple[int, str] | None = None
        self.delay = 0.0
        self._lock = threading.Lock()
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((HOST, 0))
        self._socket = listening
        self.url = f"http://{HOST}:{listening.getsockname()[1]}"
        config = uvicorn.Config(self._app(), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listening]}, daemon=True
        )

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/api/v1/datasets/{dataset}/profiles")
        async def receive(dataset: str, request: Request) -> JSONResponse:
            body = await request.body()
            with self._lock:
                self.requests += 1
            if self.delay:
                await asyncio.sleep(self.delay)
                return JSONResponse({"detail": "gateway timeout"}, status_code=503)
            if self.answer is not None:
                return JSONResponse({"detail": self.answer[1]}, status_code=self.answer[0])
            authorization = request.headers.get("authorization")
            if self.token is not None and authorization != f"Bearer {self.token}":
                return JSONResponse(
                    {"detail": f"invalid credentials {authorization!r}"}, status_code=401
                )
            assert body.startswith(MAGIC), "profiles are shipped in the binary form"
            profile = profile_from_bytes(body)
            with self._lock:
                self.received.append(Received(dataset, dict(request.headers), profile))
            return JSONResponse({"stored": True}, status_code=201)

        return app

    def start(self) -> ProfileServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the profile server did not start"
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._socket.close()

    def by_window(self) -> dict[str, DatasetProfile]:
        windows = [r.profile.metadata[META_TIMESTAMP] for r in self.received]
        assert len(windows) == len(set(windows)), f"a window arrived twice: {windows}"
        return {r.profile.metadata[META_TIMESTAMP]: r.profile for r in self.received}


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2024, 5, 1, hour, minute, second, tzinfo=UTC)


def wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the logger's thread did not get there in time")
        time.sleep(0.01)


@pytest.fixture
def server() -> Iterator[ProfileServer]:
    running = ProfileServer().start()
    yield running
    running.stop()


@pytest.fixture
def loggers() -> Iterator[list[Logger]]:
    """Loggers closed after the test, whatever it did to them."""
    made: list[Logger] = []
    yield made
    for logger in made:
        logger.close()


def test_profiles_are_posted_with_their_metadata_and_the_bearer_token(loggers):
    server = ProfileServer(token="tok-7f3a9c").start()
    try:
        clock = Clock(at(10, 2))
        logger = Logger(
            "model-1", to=server.url + "/", token="tok-7f3a9c", segment_columns=["tier"],
            rotation="5m", clock=clock,
        )  # fmt: skip
        loggers.append(logger)
        rng = np.random.default_rng(3)
        scores = rng.normal(size=500)
        tiers = np.where(rng.random(500) < 0.3, "gold", "basic")
        logger.log({"tier": tiers.tolist(), "score": scores.tolist()})
        assert logger.flush() is True
    finally:
        server.stop()
    assert logger.shipped == 2 and server.requests == 2
    by_segment = {r.profile.metadata[META_SEGMENT]: r for r in server.received}
    assert sorted(by_segment) == ["tier=basic", "tier=gold"]
    for tier in ("basic", "gold"):
        received = by_segment[f"tier={tier}"]
        assert received.dataset == "model-1"
        assert received.headers["authorization"] == "Bearer tok-7f3a9c"
        assert received.headers["content-type"] == "application/octet-stream"
        profile = received.profile
        assert profile.metadata[META_DATASET] == "model-1"
        assert profile.metadata[META_TIMESTAMP] == "2024-05-01T10:00:00.000Z"
        assert list(profile.columns) == ["score"]
        assert profile.rows == int((tiers == tier).sum())
        assert profile.columns["score"].mean == pytest.approx(scores[tiers == tier].mean())


def test_the_token_comes_from_the_environment(monkeypatch, loggers):
    monkeypatch.setenv("WATCHKEEPER_TOKEN", " current-token , previous-token")
    server = ProfileServer(token="current-token").start()
    try:
        logger = Logger("model-1", to=server.url, clock=Clock(at(10, 0)))
        loggers.append(logger)
        logger.log({"x": [1.0]})
        assert logger.flush() is True
    finally:
        server.stop()
    [received] = server.received
    assert received.headers["authorization"] == "Bearer current-token"


def test_a_server_that_is_down_gets_everything_once_it_is_up(loggers, caplog):
    caplog.set_level(logging.INFO, logger="watchkeeper.logger")
    server = ProfileServer()  # bound, not yet listening
    try:
        clock = Clock(at(10, 0, 30))
        logger = Logger("model-1", to=server.url, rotation="1m", clock=clock)
        loggers.append(logger)
        logger.log({"x": [1.0, 2.0]})
        assert logger.flush() is False
        assert (logger.pending, logger.failed_attempts, logger.shipped) == (1, 1, 0)
        logger.log({"x": [3.0]})  # same window: merged into the profile that failed
        clock.advance(30)
        logger.log({"x": [10.0, 20.0, 30.0]})  # 10:01 finishes 10:00, but no retry before 10:01:30
        assert logger.pending == 1
        server.start()
        clock.advance(61)  # 10:02:01, past the retry time: both windows are due
        wait_for(lambda: logger.shipped == 2)
        assert logger.flush() is True
        assert server.requests == 2
    finally:
        server.stop()
    windows = server.by_window()
    assert sorted(windows) == ["2024-05-01T10:00:00.000Z", "2024-05-01T10:01:00.000Z"]
    assert windows["2024-05-01T10:00:00.000Z"].rows == 3
    assert windows["2024-05-01T10:00:00.000Z"].columns["x"].mean == 2.0
    assert windows["2024-05-01T10:01:00.000Z"].columns["x"].mean == 20.0
    assert logger.dropped == 0
    outage = [r for r in caplog.records if "cannot ship" in r.getMessage()]
    assert [r.levelno for r in outage] == [logging.WARNING]  # one warning for the outage
    assert "ConnectError" in outage[0].getMessage()
    assert "reach " + server.url + " again, after 1 failed attempt(s)" in caplog.text


def test_late_rows_of_a_failed_window_are_merged_into_it(server, loggers):
    clock = Clock(at(10, 4))
    logger = Logger("model-1", to=server.url, rotation="5m", clock=clock)
    loggers.append(logger)
    server.answer = (503, "maintenance")
    logger.log({"x": np.arange(50, dtype=float)})
    clock.advance(60)  # 10:05: the 10:00 window ends and the thread tries it
    logger.log({"x": [100.0] * 30})
    wait_for(lambda: logger.failed_attempts == 1)
    logger.log({"x": np.arange(50, 70, dtype=float)}, timestamp=at(10, 3))
    assert logger.pending == 1
    server.answer = None
    assert logger.flush() is True
    assert (server.requests, logger.shipped, logger.failed_attempts) == (3, 2, 1)
    windows = server.by_window()
    early = windows["2024-05-01T10:00:00.000Z"]
    assert early.rows == 70
    assert early.columns["x"].mean == pytest.approx(np.arange(70).mean())
    assert windows["2024-05-01T10:05:00.000Z"].rows == 30


def test_a_profile_that_may_have_arrived_is_sent_again_unchanged(server, loggers):
    clock = Clock(at(10, 4))
    logger = Logger("model-1", to=server.url, rotation="5m", clock=clock)
    loggers.append(logger)
    server.answer = (500, "stored, then failed to answer")  # it may have been stored
    logger.log({"x": np.arange(50, dtype=float)})
    clock.advance(60)
    logger.log({"x": [100.0] * 30})
    wait_for(lambda: logger.failed_attempts == 1)
    logger.log({"x": np.arange(50, 70, dtype=float)}, timestamp=at(10, 3))
    assert logger.pending == 2  # the late rows wait beside the profile that was sent
    server.answer = None
    assert logger.flush() is True
    ids = [r.profile.metadata[META_PROFILE_ID] for r in server.received]
    assert len(set(ids)) == 3  # the server can tell a repeat from new data by its id
    early = [
        r.profile
        for r in server.received
        if r.profile.metadata[META_TIMESTAMP] == "2024-05-01T10:00:00.000Z"
    ]
    assert sorted(profile.rows for profile in early) == [20, 50]


def test_retries_wait_longer_after_each_failure(server, loggers, caplog):
    caplog.set_level(logging.DEBUG, logger="watchkeeper.logger")
    clock = Clock(at(10, 0))
    logger = Logger("model-1", to=server.url, rotation="30s", clock=clock)
    loggers.append(logger)
    server.answer = (500, "database is locked")
    logger.log({"x": [1.0]})
    for _ in range(7):
        assert logger.flush() is False
    waits = [
        r.getMessage().rsplit("trying again in ", 1)[1]
        for r in caplog.records
        if "cannot ship" in r.getMessage()
    ]
    assert waits == ["30s", "1m", "2m", "4m", "8m", "15m", "15m"]
    assert "HTTP 500: database is locked" in caplog.text
    # the thread keeps to the schedule: nothing before the 15 minutes are up
    attempts = server.requests
    clock.advance(14 * 60)
    time.sleep(1.2)
    assert server.requests == attempts
    server.answer = None
    clock.advance(61)
    wait_for(lambda: logger.shipped == 1)
    assert server.requests == attempts + 1


@pytest.mark.parametrize("status", [408, 429, 500, 503])
def test_temporary_statuses_keep_the_profile(server, loggers, status):
    logger = Logger("model-1", to=server.url, clock=Clock(at(10, 0)))
    loggers.append(logger)
    server.answer = (status, "not now")
    logger.log({"x": [1.0]})
    assert logger.flush() is False
    assert (logger.pending, logger.dropped, logger.failed_attempts) == (1, 0, 1)


@pytest.mark.parametrize("status", [400, 404, 413, 422])
def test_a_refused_profile_is_dropped_with_the_servers_reason(server, loggers, caplog, status):
    logger = Logger("model-1", to=server.url, clock=Clock(at(10, 0)))
    loggers.append(logger)
    server.answer = (status, "profile has no columns")
    logger.log({"x": [1.0]})
    assert logger.flush() is True
    assert logger.flush() is True
    assert (server.requests, logger.dropped, logger.shipped, logger.pending) == (1, 1, 0, 0)
    [warning] = [
        r for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "watchkeeper.logger"
    ]
    message = warning.getMessage()
    assert f"HTTP {status}: profile has no columns" in message
    assert "2024-05-01T10:00:00.000Z" in message and "the profile is dropped" in message


def test_the_token_never_shows(loggers, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    secret = "sk-live-5e1f0c2b9d"
    server = ProfileServer(token="the-right-one").start()
    try:
        logger = Logger("model-1", to=server.url, token=secret, clock=Clock(at(10, 0)))
        loggers.append(logger)
        logger.log({"x": [1.0]})
        assert logger.flush() is True
    finally:
        server.stop()
    assert (logger.dropped, server.requests) == (1, 1)
    assert "HTTP 401: invalid credentials 'Bearer ***'" in caplog.text
    assert secret not in caplog.text
    assert secret not in repr(logger) and secret not in repr(logger.settings)
    logger.log({"x": [2.0]})  # the server is gone now: a connection error, kept
    assert logger.flush() is False
    logger.close()
    assert "could not be shipped" in caplog.text
    assert secret not in caplog.text


def test_a_slow_server_times_out_and_is_tried_again(server, loggers):
    logger = Logger("model-1", to=server.url, timeout=0.2, clock=Clock(at(10, 0)))
    loggers.append(logger)
    server.delay = 3.0
    logger.log({"x": [1.0, 2.0]})
    started = time.monotonic()
    assert logger.flush() is False
    # given up long before the server's answer (a margin for a busy machine)
    assert time.monotonic() - started < 2.0
    assert logger.failed_attempts == 1
    server.delay = 0.0
    assert logger.flush() is True
    [received] = server.received
    assert received.profile.rows == 2


def test_past_max_pending_the_oldest_windows_are_dropped(server, loggers, caplog):
    clock = Clock(at(10, 0, 30))
    logger = Logger("model-1", to=server.url, rotation="1m", max_pending=3, clock=clock)
    loggers.append(logger)
    server.answer = (503, "maintenance")
    logger.log({"x": [0.0]})
    assert logger.flush() is False  # from now on the thread waits a minute before retrying
    for minute in (56, 57, 58, 59):
        logger.log({"x": [float(minute)]}, timestamp=at(9, minute, 10))
    assert (logger.pending, logger.dropped) == (3, 2)
    full = [r for r in caplog.records if "drops the oldest" in r.getMessage()]
    assert len(full) == 1 and full[0].levelno == logging.WARNING
    server.answer = None
    assert logger.flush() is True
    assert sorted(server.by_window()) == [
        "2024-05-01T09:58:00.000Z",
        "2024-05-01T09:59:00.000Z",
        "2024-05-01T10:00:00.000Z",
    ]
    assert (logger.shipped, logger.dropped) == (3, 2)
