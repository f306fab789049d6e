"""Data capture at the server: what is captured, that it never fails or slows a request,
its counters in /metrics, and the writer flushed when the server shuts down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

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

from watchkeeper.capture import CaptureWriter
from watchkeeper.model import load_model
from watchkeeper.serve import INFERENCE_ID_HEADER, create_app

CSV = {"content-type": "text/csv"}


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in the metrics")


def test_requests_and_answers_land_on_disk(models, tmp_path):
    writer = CaptureWriter(tmp_path, "iris")
    app = create_app(load_model(models["sklearn"]), name="iris", capture=writer)
    with running(app) as server, server.client() as client:
        csv = client.post(
            "/endpoints/iris/invocations",
            content=f"{SETOSA_CSV}\n{VIRGINICA_CSV}",
            headers={**CSV, INFERENCE_ID_HEADER: "order-42"},
        )
        assert csv.text == "0\n2"
        predicted = client.post("/api/v1/predict", json=SETOSA, headers={"X-Inference-Id": "web-7"})
        refused = client.post("/api/v1/predict", json={"sepal_length": 1.0})
        assert refused.status_code == 422
        assert client.get("/api/v1/health").json()["capture"]["captured"] == 2
    # the server has shut down: the writer was closed, so everything is on disk
    records = captured(tmp_path)
    assert len(records) == 2  # the refused request is not captured
    by_type = {r["captureData"]["endpointInput"]["observedContentType"]: r for r in records}
    first = by_type["text/csv"]
    assert first["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": f"{SETOSA_CSV}\n{VIRGINICA_CSV}",
        "encoding": "CSV",
    }
    assert first["captureData"]["endpointOutput"] == {
        "observedContentType": "text/csv; charset=utf-8",
        "mode": "OUTPUT",
        "data": "0\n2",
        "encoding": "CSV",
    }
    assert first["eventMetadata"]["inferenceId"] == "order-42"
    second = by_type["application/json"]
    assert json.loads(second["captureData"]["endpointInput"]["data"]) == SETOSA
    assert second["captureData"]["endpointInput"]["encoding"] == "JSON"
    assert second["captureData"]["endpointOutput"]["data"] == predicted.text
    assert second["eventMetadata"]["inferenceId"] == "web-7"
    assert writer.capture(b"1", "text/csv", b"0", "text/csv") is False  # closed


def test_sampling_and_capture_counts_in_metrics(models, tmp_path):
    writer = CaptureWriter(tmp_path, "iris", variant="Canary", sampling_percent=50, rng=3)
    app = create_app(load_model(models["sklearn"]), name="iris", variant="Canary", capture=writer)
    with running(app) as server, server.client() as client:
        for _ in range(40):
            assert client.post("/api/v1/predict", json=SETOSA).status_code == 200
        text = client.get("/metrics").text
        stats = client.get("/api/v1/health").json()["capture"]
    labels = {"endpoint": "iris", "variant": "Canary"}
    counted = metric(text, "watchkeeper_capture_records_total", outcome="captured", **labels)
    skipped = metric(text, "watchkeeper_capture_records_total", outcome="sampled_out", **labels)
    assert counted == stats["captured"] and skipped == stats["sampled_out"]
    assert counted + skipped == 40 and 5 < counted < 35
    assert metric(text, "watchkeeper_capture_records_total", outcome="dropped", **labels) == 0
    assert metric(text, "watchkeeper_capture_write_errors_total", **labels) == 0
    records = [
        json.loads(line)
        for file in (tmp_path / "iris" / "Canary").rglob("*.jsonl")
        for line in file.read_text().splitlines()
    ]
    assert len(records) == counted
    assert all("inferenceId" not in record["eventMetadata"] for record in records)


def test_an_unwritable_destination_never_fails_a_request(models, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the capture folder should be")
    writer = CaptureWriter(blocked, "iris", flush_seconds=0.05, close_timeout=0.2)
    app = create_app(load_model(models["sklearn"]), name="iris", capture=writer)
    with running(app) as server, server.client() as client:
        for _ in range(5):
            started = time.perf_counter()
            assert client.post("/api/v1/predict", json=SETOSA).status_code == 200
            assert time.perf_counter() - started < 1.0
        deadline = time.monotonic() + 5
        while writer.stats.write_errors == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        text = client.get("/metrics").text
    assert metric(text, "watchkeeper_capture_write_errors_total", endpoint="iris") >= 1


class RaisingWriter(CaptureWriter):
    """Breaks the writer's promise never to raise: the request must still succeed."""

    def capture(self, *args, **kwargs) -> bool:
        raise RuntimeError("storage exploded")


def test_a_capture_that_raises_does_not_fail_the_request(models, tmp_path, caplog):
    writer = RaisingWriter(tmp_path, "iris")
    app = create_app(load_model(models["sklearn"]), name="iris", capture=writer)
    with running(app) as server, server.client() as client:
        assert client.post("/api/v1/predict", json=SETOSA).json()["predictions"] == [0]
    assert "capture failed" in caplog.text


# -- the command, as a process ------------------------------------------------------------


def test_serve_command_captures_and_stops_cleanly_on_sigterm(models, tmp_path):
    port = free_port()
    script = "import typer; from watchkeeper.cli.serve import command; typer.run(command)"
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(models["sklearn"]), "--port", str(port),
         "--capture", str(tmp_path / "captures"), "--name", "flowers"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        url = f"http://{HOST}:{port}"
        wait_for_server(url, process)
        answer = httpx.post(f"{url}/endpoints/flowers/invocations", content=SETOSA_CSV, headers=CSV)
        assert answer.text == "0"
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "serving flowers (sklearn" in output
    records = captured(tmp_path / "captures", "flowers")
    assert [r["captureData"]["endpointInput"]["data"] for r in records] == [SETOSA_CSV]


def test_serve_command_errors_are_one_line(models, tmp_path):
    script = "import typer; from watchkeeper.cli.serve import command; typer.run(command)"
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "missing.joblib")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'missing.joblib'}: no such model file"
    ]
