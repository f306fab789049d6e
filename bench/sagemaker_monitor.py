"""``watchkeeper sagemaker-monitor`` over a window of captured records, with and without
SageMaker's record preprocessor.

    .venv/bin/python bench/sagemaker_monitor.py              # 100,000 records
    .venv/bin/python bench/sagemaker_monitor.py --records 20000

The captures (JSON requests of 20 features, a JSON answer, one file a minute) are written
once under a temporary ``dataset_source``; then the container's command runs as SageMaker
runs it, against a baseline of the same traffic: plain (the payloads' own fields), and
with a preprocessor that parses each record's JSON and returns one row. Wall time from
start to exit, best of three each; the difference per record is what the script costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from watchkeeper.capture import capture_record, record_line

START = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
FEATURES = [f"f{i}" for i in range(20)]
PREPROCESSOR = """
import json


def preprocess_handler(inference_record):
    row = json.loads(inference_record.endpoint_input.data)
    row["score"] = json.loads(inference_record.endpoint_output.data)["score"]
    return row
"""


def write_window(source: Path, records: int) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(records, len(FEATURES))).round(4)
    scores = rng.uniform(size=records).round(4)
    per_minute = -(-records // 60)
    for minute in range(60):
        rows = range(minute * per_minute, min(records, (minute + 1) * per_minute))
        folder = source / "bench" / "AllTraffic" / f"{START:%Y/%m/%d/%H}"
        folder.mkdir(parents=True, exist_ok=True)
        moment = START + dt.timedelta(minutes=minute, seconds=1)
        with open(folder / f"{minute:02d}-01-000.jsonl", "wb") as out:
            out.write(b"".join(
                record_line(capture_record(
                    json.dumps(dict(zip(FEATURES, values[i].tolist(), strict=True))),
                    "application/json", json.dumps({"score": float(scores[i])}),
                    "application/json", inference_time_seconds=moment.timestamp(),
                ))
                for i in rows
            ))  # fmt: skip


def run(env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "watchkeeper", "sagemaker-monitor"],
                          env={**os.environ, **env}, capture_output=True, text=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    records = parser.parse_args().records
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_window(root / "capture", records)
        (root / "pre.py").write_text(PREPROCESSOR)
        env = {
            "dataset_format": '{"sagemakerCaptureJson": {}}',
            "dataset_source": str(root / "capture"),
            "sagemaker_endpoint_name": "bench",
            "sagemaker_monitoring_schedule_name": "bench-hourly",
            "start_time": f"{START:%Y-%m-%dT%H:%M:%SZ}",
            "end_time": f"{START + dt.timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
            "WATCHKEEPER_SAGEMAKER_METRICS_DIR": str(root / "metrics"),
            "WATCHKEEPER_SAGEMAKER_MESSAGE": str(root / "message"),
            "WATCHKEEPER_SAGEMAKER_JOB_CONFIG": str(root / "none.json"),
        }
        run({**env, "output_path": str(root / "baseline")})
        judged = {
            **env, "output_path": str(root / "out"),
            "baseline_statistics": str(root / "baseline" / "statistics.json"),
            "baseline_constraints": str(root / "baseline" / "constraints.json"),
        }  # fmt: skip
        scripted = {**judged, "record_preprocessor_script": str(root / "pre.py")}
        plain = min(run(judged) for _ in range(3))
        with_script = min(run(scripted) for _ in range(3))
    print(f"{records:,} records, 20 features: plain {plain:.2f} s, with a record "
          f"preprocessor {with_script:.2f} s; the script costs "
          f"{(with_script - plain) / records * 1e6:.1f} µs a record")  # fmt: skip


if __name__ == "__main__":
    main()
