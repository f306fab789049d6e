"""Capture options as SageMaker has them (input only, output only) and capture switched
off and on, or resampled, on a running server (real servers on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import httpx
from serving import (
    HOST,
    SETOSA,
    SETOSA_CSV,
    VIRGINICA_CSV,
    captured,
    free_port,
    running,
    wait_for_server,
)

from watchkeeper.capture import CaptureWriter, read_capture
from watchkeeper.model import load_model
from watchkeeper.serve import create_app

CSV = {"content-type": "text/csv"}


def invoke(client, body: str = SETOSA_CSV) -> None:
    answer = client.post("/endpoints/iris/invocations", content=body, headers=CSV)
    assert answer.status_code == 200, answer.text


def test_capture_is_switched_off_and_on_without_a_restart(models, tmp_path):
    writer = CaptureWriter(tmp_path, "iris")
    app = create_app(load_model(models["sklearn"]), name="iris", capture=writer)
    with running(app) as server, server.client() as client:
        invoke(client, SETOSA_CSV)
        off = client.put("/api/v1/capture", json={"enabled": False})
        assert off.status_code == 200, off.text
        assert off.json() == {"enabled": False, "sampling_percent": 100.0,
                              "capture_mode": "both", "destination": str(tmp_path)}  # fmt: skip
        for _ in range(5):
            invoke(client, VIRGINICA_CSV)
        assert client.get("/api/v1/capture").json()["enabled"] is False
        on = client.put("/api/v1/capture", json={"enabled": True})
        assert on.json()["enabled"] is True
        invoke(client, SETOSA_CSV)
        # sampling at 0 % captures nothing, though capture is on
        assert client.put("/api/v1/capture", json={"sampling_percent": 0}).status_code == 200
        invoke(client, VIRGINICA_CSV)
        health = client.get("/api/v1/health").json()["capture"]
        assert (health["captured"], health["sampled_out"]) == (2, 6)
        refused = client.put("/api/v1/capture", json={"sampling_percent": 150})
        assert refused.status_code == 422
        assert client.get("/api/v1/capture").json()["sampling_percent"] == 0.0
    records = captured(tmp_path)
    assert [r["captureData"]["endpointInput"]["data"] for r in records] == [SETOSA_CSV] * 2


def test_a_server_without_capture_says_so(models):
    app = create_app(load_model(models["sklearn"]), name="iris")
    with running(app) as server, server.client() as client:
        answer = client.put("/api/v1/capture", json={"enabled": True})
    assert answer.status_code == 409
    assert answer.json()["error"] == (
        "this server captures nothing: start it with --capture to capture traffic"
    )


def test_input_only_and_output_only_capture(models, tmp_path):
    for mode in ("input", "output"):
        writer = CaptureWriter(tmp_path / mode, "iris", capture_mode=mode)
        app = create_app(load_model(models["sklearn"]), name="iris", capture=writer)
        with running(app) as server, server.client() as client:
            invoke(client, f"{SETOSA_CSV}\n{VIRGINICA_CSV}")
            assert client.post("/api/v1/predict", json=SETOSA).status_code == 200
            assert client.get("/api/v1/capture").json()["capture_mode"] == mode
    inputs, outputs = captured(tmp_path / "input"), captured(tmp_path / "output")
    assert [list(r["captureData"]) for r in inputs] == [["endpointInput"]] * 2
    assert [list(r["captureData"]) for r in outputs] == [["endpointOutput"]] * 2
    # a window of one side only reads as that side's columns
    start, end = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)
    window = read_capture(tmp_path / "input", "iris", start=start, end=end).table
    assert window.num_rows == 3 and window.column_names[:4] == [
        "_c0", "_c1", "_c2", "_c3"
    ]  # fmt: skip
    assert window.column("_c0").to_pylist()[:2] == [5.1, 6.9]
    window = read_capture(tmp_path / "output", "iris", start=start, end=end).table
    assert window.column("_c0").to_pylist()[:2] == [0, 2]
    assert "predictions" in window.column_names


def test_serve_command_captures_the_input_only(models, tmp_path):
    port = free_port()
    script = "import typer; from watchkeeper.cli.serve import command; typer.run(command)"
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(models["sklearn"]), "--port", str(port),
         "--capture", str(tmp_path / "captures"), "--name", "iris", "--capture-mode", "input"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        url = f"http://{HOST}:{port}"
        wait_for_server(url, process)
        answer = httpx.post(f"{url}/endpoints/iris/invocations", content=SETOSA_CSV, headers=CSV)
        assert answer.text == "0"
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "(input only)" in output
    [record] = captured(tmp_path / "captures")
    assert list(record["captureData"]) == ["endpointInput"]


def test_a_wrong_capture_mode_is_one_line(models, tmp_path):
    script = "import typer; from watchkeeper.cli.serve import command; typer.run(command)"
    result = subprocess.run(
        [sys.executable, "-c", script, str(models["sklearn"]), "--capture", str(tmp_path),
         "--capture-mode", "request"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: capture mode must be one of both, input, output, not 'request'"
    ]
