"""Capture from the Lambda predict function: every answered request stored before the
handler returns, in a folder or an S3 bucket, across warm invocations and a container
replaced by a new process, and read back by a monitoring job; the model fetched from
S3 once per container."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gateway_events import EVENTS, IRIS_FEATURES, http_api_event

from watchkeeper.capture import read_capture
from watchkeeper.catalog import Catalog, MonitoringStore
from watchkeeper.integrations.aws_lambda import predict_handler
from watchkeeper.monitor import create_schedule
from watchkeeper.monitor.job import run_job

WARM = 12  # invocations of the first container
REPLACED = 12  # invocations of the container that replaces it
CSV = {"Content-Type": "text/csv", "Accept": "text/csv"}
# A new container: a new process, importing the handler afresh, answering the events of a
# file in turn, as Lambda would send them to it.
CONTAINER = """
import json, sys
from watchkeeper.integrations.aws_lambda import predict_handler
events = json.loads(open(sys.argv[1]).read())
print(json.dumps([predict_handler(event, None)["statusCode"] for event in events]))
"""


def invocations(iris, start: int, count: int) -> list[dict]:
    """CSV invocations of single iris rows, alternating the two API Gateway formats."""
    kinds = sorted(EVENTS)
    events = []
    for index in range(start, start + count):
        row = ",".join(str(value) for value in iris[IRIS_FEATURES].iloc[index])
        event = EVENTS[kinds[index % 2]]
        events.append(event("POST", "/endpoints/iris/invocations", row, CSV))
    return events


def in_new_container(events: list[dict], folder: Path) -> list[int]:
    """Status codes of the events answered by a fresh process."""
    path = folder / "events.json"
    path.write_text(json.dumps(events))
    done = subprocess.run(
        [sys.executable, "-c", CONTAINER, str(path)],
        capture_output=True, text=True, timeout=120, env=os.environ.copy(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


class Stored:
    """The capture records stored so far under a folder or a bucket prefix."""

    def __init__(self, destination: str, bucket=None) -> None:
        self.destination, self.bucket = destination, bucket

    def files(self) -> dict[str, bytes]:
        if self.bucket is None:
            root = Path(self.destination)
            return {str(p): p.read_bytes() for p in sorted(root.rglob("*.jsonl"))}
        self.bucket.fs.invalidate_cache()
        prefix = self.destination.removeprefix("s3://")
        keys = [k for k in self.bucket.fs.find(prefix) if k.endswith(".jsonl")]
        return {key: self.bucket.fs.cat_file(key) for key in keys}

    def records(self) -> list[dict]:
        return [
            json.loads(line) for data in self.files().values() for line in data.splitlines()
        ]


@pytest.fixture(params=["folder", "s3"])
def stored(request, monkeypatch, models, tmp_path):
    """The function's environment, capturing to a folder or to a moto S3 bucket."""
    if request.param == "folder":
        destination, bucket = str(tmp_path / "capture"), None
    else:
        bucket = request.getfixturevalue("s3_bucket")
        monkeypatch.setenv("AWS_ENDPOINT_URL", bucket.endpoint_url)
        destination = bucket.url("data-capture")
    monkeypatch.setenv("WATCHKEEPER_MODEL", str(models["sklearn"]))
    monkeypatch.setenv("WATCHKEEPER_ENDPOINT", "iris")
    monkeypatch.setenv("WATCHKEEPER_CAPTURE", destination)
    for name in ("WATCHKEEPER_VARIANT", "WATCHKEEPER_SAMPLING_PERCENT"):
        monkeypatch.delenv(name, raising=False)
    return Stored(destination, bucket)


def test_every_answered_request_is_stored_before_the_handler_returns(
    stored, iris, iris_baseline, tmp_path, database_url
):
    started = dt.datetime.now(dt.UTC)
    for count, event in enumerate(invocations(iris, 0, WARM), start=1):
        assert predict_handler(event, None)["statusCode"] == 200
        # the function may be frozen or thrown away now: all it answered is stored
        assert len(stored.records()) == count
    assert in_new_container(invocations(iris, WARM, REPLACED), tmp_path) == [200] * REPLACED
    total = WARM + REPLACED
    records = stored.records()
    assert len(records) == total
    assert len({r["eventMetadata"]["eventId"] for r in records}) == total  # none twice
    sent = {",".join(str(v) for v in iris[IRIS_FEATURES].iloc[i]) for i in range(total)}
    assert {r["captureData"]["endpointInput"]["data"] for r in records} == sent
    # each container wrote files of its own, never one another's
    assert len(stored.files()) >= 2

    options = None if stored.bucket is None else stored.bucket.storage_options
    window = (started - dt.timedelta(minutes=1), dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
    read = read_capture(
        stored.destination, "iris", "AllTraffic", start=window[0], end=window[1],
        storage_options=options,
    )  # fmt: skip
    assert (read.records, read.table.num_rows, read.corrupt_lines) == (total, total, 0)

    store = MonitoringStore(Catalog(database_url))
    schedule = create_schedule(
        Catalog(database_url), name="iris-lambda", endpoint="iris",
        capture=stored.destination, baseline=str(iris_baseline),
        report=str(tmp_path / "monitoring"), storage_options=options,
    )  # fmt: skip
    execution = run_job(store, schedule, window[1], window, storage_options=options)
    assert execution is not None and execution.failure_reason is None
    assert execution.records == total


def test_sampling_as_serve_samples(stored, iris, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_SAMPLING_PERCENT", "0")
    for event in invocations(iris, 0, 5):
        assert predict_handler(event, None)["statusCode"] == 200
    health = json.loads(predict_handler(http_api_event("GET", "/api/v1/health"), None)["body"])
    assert health["capture"]["sampled_out"] == 5 and health["capture"]["captured"] == 0
    assert stored.records() == []
    monkeypatch.setenv("WATCHKEEPER_SAMPLING_PERCENT", "100")
    for event in invocations(iris, 5, 3):
        predict_handler(event, None)
    assert len(stored.records()) == 3


def test_a_model_from_s3_is_fetched_once_per_container(models, s3_bucket, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_bucket.endpoint_url)
    uri = s3_bucket.put("models/iris.joblib", models["sklearn"].read_bytes())
    monkeypatch.setenv("WATCHKEEPER_MODEL", uri)
    monkeypatch.setenv("WATCHKEEPER_ENDPOINT", "iris-s3")
    monkeypatch.setenv("WATCHKEEPER_CAPTURE", str(tmp_path / "capture"))
    monkeypatch.delenv("WATCHKEEPER_SAMPLING_PERCENT", raising=False)
    event = http_api_event("POST", "/endpoints/iris-s3/invocations", "5.1,3.5,1.4,0.2", CSV)
    assert predict_handler(event, None)["body"] == "0"
    s3_bucket.fs.rm(uri)
    # warm invocations answer from the model already loaded: the object is not read again
    for _ in range(3):
        assert predict_handler(event, None)["body"] == "0"
    # a new container (other settings, here) fetches it, and says it is gone
    monkeypatch.setenv("WATCHKEEPER_VARIANT", "Canary")
    answered = predict_handler(event, None)
    assert answered["statusCode"] == 500
    assert json.loads(answered["body"])["error"].startswith(f"WATCHKEEPER_MODEL: {uri}")
