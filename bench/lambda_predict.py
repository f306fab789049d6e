"""The predict function's cold start and its invocations, with durable capture.

    .venv/bin/python bench/lambda_predict.py            # 300 warm invocations per set-up
    .venv/bin/python bench/lambda_predict.py --quick    # 50

1. Cold start, in a fresh process each time (best of 3): importing
   ``watchkeeper.integrations.aws_lambda``, then the first invocation (loading the
   model, building the app), then the second.
2. Warm invocations (an HTTP API event, one JSON row of 20 features) through
   ``predict_handler``: p50 and p95 without capture, capturing to a local folder
   (appended and fsynced before returning) and to S3 (moto's server on 127.0.0.1; the
   object rewritten whole at each invocation, so its cost grows with the file until
   the 1 MiB bound starts the next).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

FEATURES = [f"f{i}" for i in range(20)]
COLD = """
import json, os, sys, time
started = time.perf_counter()
from watchkeeper.integrations.aws_lambda import predict_handler
imported = time.perf_counter()
event = json.loads(sys.argv[1])
assert predict_handler(event, None)["statusCode"] == 200
first = time.perf_counter()
assert predict_handler(event, None)["statusCode"] == 200
second = time.perf_counter()
print(json.dumps([imported - started, first - imported, second - first]))
"""


def model_file(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, len(FEATURES)))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    model.feature_names_in_ = np.array(FEATURES, dtype=object)
    path = folder / "model.joblib"
    joblib.dump(model, path)
    return path


def event(row: dict) -> dict:
    body = json.dumps(row)
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": "/api/v1/predict",
        "rawQueryString": "", "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/api/v1/predict",
                                    "sourceIp": "203.0.113.7"}, "stage": "$default"},
        "body": body, "isBase64Encoded": False,
    }  # fmt: skip


def cold_start(sample: dict) -> list[float]:
    runs = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", COLD, json.dumps(event(sample))],
            capture_output=True, text=True, check=True, env=os.environ.copy(),
        )  # fmt: skip
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=sum)


def warm(count: int, rows: list[dict]) -> tuple[float, float]:
    from watchkeeper.integrations.aws_lambda import predict_handler

    events = [event(row) for row in rows]
    predict_handler(events[0], None)  # built: the rest are warm
    times = []
    for index in range(count):
        started = time.perf_counter()
        assert predict_handler(events[index % len(events)], None)["statusCode"] == 200
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    count = 50 if parser.parse_args().quick else 300
    folder = Path(tempfile.mkdtemp(prefix="wk-lambda-bench-"))
    rng = np.random.default_rng(1)
    rows = [dict(zip(FEATURES, rng.normal(size=20).round(4).tolist(), strict=True))
            for _ in range(100)]  # fmt: skip
    os.environ.update(WATCHKEEPER_MODEL=str(model_file(folder)), WATCHKEEPER_ENDPOINT="bench")
    os.environ.pop("WATCHKEEPER_CAPTURE", None)
    imported, first, second = cold_start(rows[0])
    print(f"cold start: import {imported * 1000:.0f} ms, first invocation {first * 1000:.0f} ms, "
          f"second {second * 1000:.1f} ms")  # fmt: skip

    print("warm, no capture: p50 {:.2f} ms, p95 {:.2f} ms".format(*warm(count, rows)))
    os.environ["WATCHKEEPER_CAPTURE"] = str(folder / "capture")
    print("warm, local capture (fsync): p50 {:.2f} ms, p95 {:.2f} ms".format(
        *warm(count, rows)))  # fmt: skip

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        os.environ.update(
            AWS_ENDPOINT_URL=f"http://{host}:{port}", AWS_ACCESS_KEY_ID="x",
            AWS_SECRET_ACCESS_KEY="y", AWS_EC2_METADATA_DISABLED="true",
        )  # fmt: skip
        import fsspec

        fsspec.filesystem("s3").mkdir("bench-capture")
        os.environ["WATCHKEEPER_CAPTURE"] = "s3://bench-capture/data-capture"
        print("warm, S3 capture (moto, object rewritten): p50 {:.2f} ms, p95 {:.2f} ms"
              .format(*warm(count, rows)))  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
