"""Serving with data capture, and a monitoring job over a million captured records.

    .venv/bin/python bench/serve.py            # both measurements
    .venv/bin/python bench/serve.py --quick    # shorter runs, fewer records

1. Throughput and latency of ``watchkeeper serve`` (a scikit-learn model, one JSON row
   per request) without capture and with 100% capture, under the same load from
   ``wrk`` (Debian's package; installed with apt-get when missing): requests/s, p50 and
   p99 latency, and the ratios. The server and wrk share the 2 cores.
2. ``watchkeeper monitor run`` over a window holding 1,000,000 captured records of 20
   features (written beforehand with the capture writer): wall time of the job.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import joblib
import numpy as np
import pyarrow as pa
from sklearn.linear_model import LogisticRegression

FEATURES = [f"f{i}" for i in range(20)]
WRK_SCRIPT = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '%s'
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def model_file(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5000, len(FEATURES)))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    import pandas as pd

    model = LogisticRegression().fit(pd.DataFrame(x, columns=FEATURES), y)
    path = folder / "model.joblib"
    joblib.dump(model, path)
    return path


def serve(model: Path, port: int, capture: Path | None, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "watchkeeper", "serve", str(model), "--name", "bench",
               "--port", str(port)]  # fmt: skip
    if capture is not None:
        command += ["--capture", str(capture), "--sampling-percent", "100"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start; see {log}")


def load(wrk: str, port: int, script: Path, seconds: int, connections: int) -> dict[str, float]:
    result = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/api/v1/predict"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    text = result.stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))}
    for label, key in (("50%", "p50"), ("99%", "p99")):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", text).groups()
        figures[key] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if errors:
        raise SystemExit(f"{errors.group(1)} failed requests:\n{text}")
    return figures


def throughput(seconds: int, rounds: int) -> None:
    """Throughput at saturation (8 connections) and latency one request at a time (1
    connection: no queueing, so the latency is the service time and its p99 shows what
    capture adds to a request), for each set-up, alternating set-ups round by round so
    that drifts of the shared machine hit both alike; best round of each."""
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        model = model_file(folder)
        script = folder / "post.lua"
        script.write_text(WRK_SCRIPT % json.dumps(dict.fromkeys(FEATURES, 0.5)))
        best: dict[tuple[str, str], dict[str, float]] = {}
        for _ in range(rounds):
            for label, capture in (("plain", None), ("capture", folder / "capture")):
                port = free_port()
                server = serve(model, port, capture, folder / f"{label}.log")
                try:
                    load(wrk, port, script, 2, 8)  # warm-up
                    for mode, connections in (("saturated", 8), ("sequential", 1)):
                        figures = load(wrk, port, script, seconds, connections)
                        key = (label, mode)
                        better = "rps" if mode == "saturated" else "p99"
                        old = best.get(key)
                        if old is None or (figures[better] > old[better] if mode == "saturated"
                                           else figures[better] < old[better]):  # fmt: skip
                            best[key] = figures
                finally:
                    server.terminate()
                    server.wait(timeout=60)
        captured = sum(1 for path in (folder / "capture").rglob("*.jsonl") for _ in path.open())
    plain, with_capture = best[("plain", "saturated")], best[("capture", "saturated")]
    alone, alone_capture = best[("plain", "sequential")], best[("capture", "sequential")]
    print(f"serving, 1 JSON row per request, best of {rounds} rounds of {seconds} s each:")
    print(f"  8 connections, without capture: {plain['rps']:,.0f} req/s")
    print(f"  8 connections, 100% capture:     {with_capture['rps']:,.0f} req/s"
          f"  -> ratio {with_capture['rps'] / plain['rps']:.3f}")  # fmt: skip
    print(f"  1 connection, without capture: p50 {alone['p50']:.2f} ms, p99 {alone['p99']:.2f} ms")
    print(f"  1 connection, 100% capture:     p50 {alone_capture['p50']:.2f} ms, "
          f"p99 {alone_capture['p99']:.2f} ms -> p99 added "
          f"{alone_capture['p99'] - alone['p99']:+.2f} ms")  # fmt: skip
    print(f"  ({captured:,} records captured to disk)")


def job(records: int) -> None:
    from watchkeeper.capture import CaptureWriter

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        rng = np.random.default_rng(1)
        training = pa.table({"prediction": rng.integers(0, 2, 20_000),
                             **{name: rng.normal(size=20_000) for name in FEATURES}})  # fmt: skip
        subprocess.run(_cli("baseline", "-o", str(folder / "baseline"), _parquet(training, folder)),
                       check=True, capture_output=True)  # fmt: skip
        started = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC).timestamp()
        # 1M records spread over 50 minutes; a C counter, as the writer thread reads the
        # clock too (a Python generator would refuse two threads)
        ticks = itertools.count()
        writer = CaptureWriter(str(folder / "capture"), "bench",
                               clock=lambda: started + 3000 * next(ticks) / records,
                               max_file_bytes=256 << 20)  # fmt: skip
        values = rng.normal(size=(records, len(FEATURES))).round(5)
        written = time.perf_counter()
        for row in values:
            body = ",".join(map(str, row))
            while not writer.capture(body, "text/csv", str(int(row[0] > 0)), "text/csv"):
                time.sleep(0.001)  # the queue is full: let the writer catch up
        writer.close()
        written = time.perf_counter() - written
        env = {**os.environ, "WATCHKEEPER_HOME": str(folder / "home")}
        create = _cli("schedule", "create", "--name", "bench-hourly", "--endpoint", "bench",
                      "--baseline", str(folder / "baseline"), "--capture", str(folder / "capture"),
                      "--report", str(folder / "monitoring"))  # fmt: skip
        subprocess.run(create, check=True, env=env, capture_output=True)
        began = time.perf_counter()
        result = subprocess.run(_cli("monitor", "run", "--schedule", "bench-hourly", "--window",
                                     "2026-11-20T09:00/2026-11-20T10:00", "--json"),
                                env=env, capture_output=True, text=True)  # fmt: skip
        seconds = time.perf_counter() - began
        if result.returncode not in (0, 1):
            raise SystemExit(result.stdout + result.stderr)
        execution = json.loads(result.stdout)
    print(
        f"monitoring job over {execution['records']:,} captured records of {len(FEATURES)} "
        f"features: {seconds:.1f} s, {execution['status']} "
        f"(capture written beforehand in {written:.0f} s)"
    )


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "watchkeeper", *args]


def _parquet(table: pa.Table, folder: Path) -> str:
    import pyarrow.parquet as pq

    path = folder / "training.parquet"
    pq.write_table(table, path)
    return str(path)


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    throughput(4 if args.quick else 10, 1 if args.quick else 3)
    job(100_000 if args.quick else 1_000_000)


if __name__ == "__main__":
    main()
