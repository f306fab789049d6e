"""What shipping a profile to MLflow costs, beside shipping it to a folder.

    .venv/bin/python bench/mlflow_log.py                      # 10, 100 and 1000 columns
    .venv/bin/python bench/mlflow_log.py --columns 50 --repeat 5

For each width, the profile of 10,000 rows is shipped as a logger ships it (its
destination's ``send``): to a folder, to the active run, and to a new run of its own,
in a local file store (``MLFLOW_TRACKING_URI=file:...``; a tracking server adds its
network round trips: one per 1000 metrics and one per artifact). Each figure is the
best of ``--repeat`` shipments. The first shipment of the process (MLflow's import and
its store's first use) is reported apart.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from watchkeeper.logger.mlflow_runs import MlflowDestination
from watchkeeper.logger.shipping import StorageDestination
from watchkeeper.profile import DatasetProfile


def table(columns: int, rows: int = 10_000) -> pa.Table:
    rng = np.random.default_rng(7)
    return pa.table({f"f{i:04d}": rng.normal(i, 1.0, rows) for i in range(columns)})


def shipment(destination, profile: DatasetProfile) -> float:
    started = time.perf_counter()
    outcome = destination.send(profile, 0)
    elapsed = time.perf_counter() - started
    assert outcome.status == "shipped", outcome.detail
    return elapsed


def best(repeat: int, destination, profile: DatasetProfile) -> str:
    seconds = min(shipment(destination, profile) for _ in range(repeat))
    return f"{seconds * 1000:,.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, nargs="*", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    # this folder's profile.py would stand in for the standard library's, which MLflow imports
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    with tempfile.TemporaryDirectory() as work:
        os.environ["MLFLOW_TRACKING_URI"] = Path(work, "mlruns").as_uri()
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        started = time.perf_counter()
        import mlflow

        shipment(MlflowDestination("bench"), profile_of(table(1, 10)))
        print(f"first MLflow shipment of the process: {time.perf_counter() - started:.2f} s")
        folder = StorageDestination(str(Path(work, "profiles")), "bench", None)
        print("| columns | metrics | to a folder | to the active run | to a new run |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        with mlflow.start_run() as run:
            in_run = MlflowDestination("bench", run.info.run_id)
            new_runs = MlflowDestination("bench")
            for columns in options.columns:
                profile = profile_of(table(columns))
                figures = [
                    best(options.repeat, where, profile) for where in (folder, in_run, new_runs)
                ]
                print(f"| {columns:,} | {columns * 7 + 1:,} | {' | '.join(figures)} |")


def profile_of(data: pa.Table) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(data)
    return profile


if __name__ == "__main__":
    main()
