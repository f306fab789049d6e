"""Model monitoring end to end: serve a model with data capture, judge each day's traffic.

    python examples/iris/demo.py [OUTPUT]     (what `make demo` runs)

1. Train a support-vector classifier on the iris flowers (scikit-learn ships the data).
2. Build a baseline from the training data and the model's predictions on it.
3. Serve the model (`watchkeeper serve`) with 100% data capture.
4. Send three "days" of traffic: day 1 the 150 flowers unchanged, day 2 the same flowers
   with 30 of them given an outlier sepal width, day 3 unchanged again.
5. Run the monitoring job over each day's window (`watchkeeper monitor run`) and print
   the executions and their violations: day 2 flags `sepal_width` (and the rows as a
   whole: multivariate drift); days 1 and 3 are clean.
6. Log the three days' traffic from Python (`watchkeeper.log`, as an app would, one
   profile per day), import the profiles into the dashboard's catalog with the training
   data as baseline, and say how to open the dashboard on it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import joblib
import numpy as np
import pyarrow as pa
from sklearn.datasets import load_iris
from sklearn.svm import SVC

from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import DatasetService, default_notify
from watchkeeper.logger import Logger

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def main(output: Path) -> None:
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    env = {**os.environ, "WATCHKEEPER_HOME": str(output / "workspace"), "NO_COLOR": "1"}

    print("1. training a classifier on the iris flowers")
    flowers, species = load_iris(return_X_y=True)
    model = SVC(random_state=0).fit(_named(flowers), species)
    joblib.dump(model, output / "model.joblib")

    print("2. baseline from the training data and the model's predictions on it")
    training = pa.table({"prediction": model.predict(_named(flowers)), **_columns(flowers)})
    data = _save(training, output / "training.parquet")
    _run(env, "baseline", data, "-o", str(output / "baseline"), quiet=True)

    print("3. serving the model with 100% data capture")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", "serve", str(output / "model.joblib"),
         "--name", "iris", "--capture", str(output / "capture"), "--sampling-percent", "100",
         "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=(output / "server.log").open("wb"),
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_up(url, server)
        rng = np.random.default_rng(3)
        outliers = rng.choice(len(flowers), 30, replace=False)
        day2_rows = flowers.copy()
        day2_rows[outliers, 1] = rng.uniform(9.0, 12.0, 30)  # sepal widths no iris has
        windows = []
        for day, traffic in enumerate((flowers, day2_rows, flowers), start=1):
            start = _next_second()
            _send(url, traffic)
            time.sleep(1.5)  # the capture writer flushes every second
            end = _next_second()
            windows.append((day, start, end))
            print(f"   day {day}: sent {len(traffic)} requests")
    finally:
        server.terminate()  # a clean stop: everything captured is on disk
        server.wait(timeout=30)

    print("4. a monitoring schedule for the endpoint, and a job for each day")
    _run(env, "schedule", "create", "--name", "iris-daily", "--endpoint", "iris",
         "--baseline", str(output / "baseline"), "--capture", str(output / "capture"),
         "--report", str(output / "monitoring"), "--cron", "0 0 * * *", quiet=True)  # fmt: skip
    executions = []
    # alerts go where WATCHKEEPER_NOTIFY says (apprise URLs, e.g. a Slack webhook)
    notify = [arg for url in os.environ.get("WATCHKEEPER_NOTIFY", "").split()
              for arg in ("--notify", url)]  # fmt: skip
    for day, start, end in windows:
        window = f"{start:%Y-%m-%dT%H:%M:%S}/{end:%Y-%m-%dT%H:%M:%S}"
        result = _run(env, "monitor", "run", "--schedule", "iris-daily",
                      "--window", window, "--json", *notify, check=False)  # fmt: skip
        execution = json.loads(result.stdout)
        executions.append(execution)
        print(f"\n   day {day}: {execution['records']} records, {execution['exit_message']}")
        violations = Path(execution["artifacts"]["violations"])
        for violation in json.loads(violations.read_text())["violations"]:
            print(f"     - {violation['feature_name']} ({violation['constraint_check_type']}):"
                  f" {violation['description']}")  # fmt: skip

    print("\n5. the executions, as `watchkeeper executions list` shows them:")
    print(_run(env, "executions", "list").stdout)
    day2 = Path(
        json.loads(_run(env, "executions", "describe", "2", "--json").stdout)["artifacts"]["html"]
    )
    print(f"open {day2} for day 2's report (distributions against the baseline)")

    print("\n6. the same three days logged from Python, one profile a day, for the dashboard")
    profiles = output / "workspace" / "profiles"
    today = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    with Logger("iris-traffic", to=profiles, rotation="1h") as logger:
        for day, traffic in enumerate((flowers, day2_rows, flowers), start=1):
            rows = pa.table({"prediction": model.predict(_named(traffic)), **_columns(traffic)})
            logger.log(rows, timestamp=today - dt.timedelta(days=3 - day))
    _run(env, "datasets", "baseline", "iris-traffic", data, quiet=True)
    _run(env, "datasets", "import", "iris-traffic", str(profiles), quiet=True)
    service = DatasetService(
        Catalog(f"sqlite:///{output.resolve()}/workspace/catalog.db"), notify=default_notify()
    )
    service.refresh("iris-traffic")
    for batch in service.batches("iris-traffic"):
        flagged = sorted({v["feature_name"] for v in batch.violations}) or ["nothing flagged"]
        print(f"   {batch.start:%Y-%m-%d}: {batch.rows} rows, {', '.join(flagged)}")
    print(
        "\nthe dashboard: WATCHKEEPER_HOME="
        f"{output / 'workspace'} .venv/bin/watchkeeper ui\n"
        "then open http://127.0.0.1:8082/datasets/iris-traffic/features/sepal_width "
        "(and /executions for the three jobs)"
    )


def _named(values: np.ndarray):
    import pandas as pd

    return pd.DataFrame(values, columns=FEATURES)


def _columns(values: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values[:, i] for i, name in enumerate(FEATURES)}


def _save(table: pa.Table, path: Path) -> str:
    import pyarrow.parquet as pq

    pq.write_table(table, path)
    return str(path)


def _send(url: str, rows: np.ndarray) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        for row in rows:
            flower = dict(zip(FEATURES, map(float, row), strict=True))
            client.post("/api/v1/predict", json=flower).raise_for_status()


def _next_second() -> dt.datetime:
    """The start of the next whole second (capture times are whole seconds)."""
    now = dt.datetime.now(dt.UTC)
    moment = now.replace(microsecond=0) + dt.timedelta(seconds=1)
    time.sleep((moment - now).total_seconds())
    return moment


def _run(
    env: dict, *args: str, quiet: bool = False, check: bool = True
) -> subprocess.CompletedProcess:
    """``watchkeeper ARGS``; exit status 1 (violations found) is an answer, not a failure,
    when ``check`` is False."""
    command = [sys.executable, "-m", "watchkeeper", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode not in ((0,) if check else (0, 1)):
        raise SystemExit(f"watchkeeper {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server stopped; see server.log in the demo's folder")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within a minute")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output/iris"))
