"""Capture from web applications: ASGI middleware under a real uvicorn, and Flask's hook."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from flask import Flask
from flask import request as flask_request

from watchkeeper.capture import (
    CaptureMiddleware,
    CaptureWindow,
    CaptureWriter,
    capture_middleware,
    flask_capture,
    read_capture,
)


def model_app() -> FastAPI:
    """A stand-in model: sums CSV features, or answers JSON with a prediction object."""
    app = FastAPI()

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-type") == "text/csv":
            total = sum(float(v) for v in body.decode().split(","))
            return Response(f"{total}", media_type="text/csv")
        features = json.loads(body)
        if "fail" in features:
            return Response('{"error": "bad"}', status_code=400, media_type="application/json")
        answer = {"prediction": 1, "score": 0.75}
        return Response(json.dumps(answer), media_type="application/json")

    @app.get("/ping")
    async def ping() -> dict:
        return {"status": "ok"}

    return app


@contextmanager
def live(app) -> Iterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def read_today(root) -> CaptureWindow:
    now = datetime.now(UTC)
    return read_capture(root, "model", start=now - timedelta(hours=1), end=now + timedelta(hours=1))


def test_asgi_middleware_under_uvicorn(tmp_path):
    writer = CaptureWriter(tmp_path, "model")
    app = model_app()
    app.add_middleware(CaptureMiddleware, writer=writer)
    with live(app) as url, httpx.Client(base_url=url) as client:
        answer = client.post(
            "/invocations", content=b"1,2,3", headers={
                "content-type": "text/csv", "X-Amzn-SageMaker-Inference-Id": "req-1"},
        )  # fmt: skip
        assert answer.text == "6.0"
        client.post("/invocations", json={"age": 40, "plan": "gold"},
                    headers={"X-Inference-Id": "req-2"})  # fmt: skip
        assert client.post("/invocations", json={"fail": 1}).status_code == 400
        assert client.get("/ping").status_code == 200
    writer.close()
    assert writer.stats.captured == 2  # neither the error nor the GET
    table = read_today(tmp_path).table
    rows = table.drop_columns(["__event_id", "__inference_time"]).to_pylist()
    assert rows == [
        {"_c0": 6.0, "prediction": None, "score": None, "_c1": 1, "_c2": 2, "_c3": 3,
         "age": None, "plan": None, "__inference_id": "req-1"},
        {"_c0": None, "prediction": 1, "score": 0.75, "_c1": None, "_c2": None, "_c3": None,
         "age": 40, "plan": "gold", "__inference_id": "req-2"},
    ]  # fmt: skip


def test_middleware_factory_and_paths(tmp_path):
    writer = CaptureWriter(tmp_path, "model")
    app = model_app()
    app.add_middleware(capture_middleware(writer, paths=["/elsewhere"]))
    with live(app) as url, httpx.Client(base_url=url) as client:
        assert client.post("/invocations", json={"age": 1}).status_code == 200
    writer.close()
    assert writer.stats.captured == 0


def test_flask_after_request_hook(tmp_path):
    writer = CaptureWriter(tmp_path, "model")
    app = Flask(__name__)

    @app.post("/invocations")
    def invocations():
        features = flask_request.get_json()
        if "fail" in features:
            return {"error": "bad"}, 400
        return {"prediction": features["x"] * 2}

    flask_capture(app, writer)
    client = app.test_client()
    assert client.post("/invocations", json={"x": 2}, headers={"X-Inference-Id": "f1"}).json == {
        "prediction": 4
    }
    assert client.post("/invocations", json={"fail": 1}).status_code == 400
    writer.close()
    result = read_today(tmp_path)
    assert result.records == 1
    rows = result.table.drop_columns(["__event_id", "__inference_time"]).to_pylist()
    assert rows == [{"prediction": 4, "x": 2, "__inference_id": "f1"}]
