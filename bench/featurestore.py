"""Feature store: ingest of 1M rows × 20 features, and a point-in-time join of 1M entity
rows against 3 groups totalling 100 features.

    .venv/bin/python bench/featurestore.py                 # 1,000,000 rows
    .venv/bin/python bench/featurestore.py --rows 200000

Each measured step runs in its own process, which reports its wall time and its peak
resident memory (``resource.getrusage``), so one step's memory does not count against
the next. Data are random (seeded) and generated inside the process, outside the timing.

* ingest: ``ingest(frame, max_workers=4)`` of ``rows`` rows (an integer id, an ISO-8601
  event time, 20 features: 16 floats, 2 integers, 2 strings) into a group with the
  online store (SQLite) enabled; then the same into a group without an online store.
* query: three SQL queries through ``query`` over the offline-only group of the ingest
  step (``rows`` rows in one Parquet file per event date and writer): an aggregate over
  every row, the latest row of each id (a window function) and the rows of one id; each
  run three times, the best time kept.
* point in time: three groups (34, 33 and 33 float features) of ``rows`` rows each
  (``rows / 10`` ids with 10 events each, 20 deletions), offline only,
  set up first; then ``point_in_time`` of ``rows`` entity rows against the three.

Targets: each under 60 s; the point-in-time join's peak RSS under 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from watchkeeper.featurestore import FeatureStore

ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")
SPAN_SECONDS = 90 * 86_400


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ingest_frame(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, SPAN_SECONDS, rows)
    frame = {
        "id": rng.integers(0, rows // 2, rows),
        "event_time": (ORIGIN + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    for j in range(16):
        frame[f"f{j}"] = rng.normal(size=rows)
    for j in range(2):
        frame[f"n{j}"] = rng.integers(0, 1000, rows)
    for j in range(2):
        frame[f"s{j}"] = pd.Series(rng.choice(["a", "b", "c", "d"], rows), dtype="str")
    return pd.DataFrame(frame)


def step_ingest(folder: str, rows: int) -> dict:
    frame = ingest_frame(rows)
    fs = FeatureStore(folder)
    result = {}
    for name, online in (("online", True), ("offline", False)):
        fg = fs.feature_group(f"ingest_{name}")
        fg.load_feature_definitions(frame)
        fg.create("id", "event_time", enable_online_store=online)
        started, cpu = time.perf_counter(), _cpu_seconds()
        report = fg.ingest(frame, max_workers=4)
        result[f"ingest_{name}_seconds"] = round(time.perf_counter() - started, 2)
        # CPU time of all threads: steadier than wall time on a shared machine
        result[f"ingest_{name}_cpu_seconds"] = round(_cpu_seconds() - cpu, 2)
        assert report.ingested == rows, report.n_rejected
    fs.close()
    result["peak_rss_mib"] = round(_peak_rss_mib())
    return result


QUERIES = {
    "aggregate": 'SELECT count(*) AS n, avg(f0) AS f0, sum(n0) AS n0 FROM "ingest_offline"',
    "latest_per_id": (
        'SELECT count(*) AS n FROM (SELECT *, row_number() OVER (PARTITION BY id '
        'ORDER BY event_time DESC, write_time DESC) AS rn FROM "ingest_offline") WHERE rn = 1'
    ),
    "one_id": 'SELECT * FROM "ingest_offline" WHERE id = 12345',
}


def step_query(folder: str, rows: int) -> dict:
    fs = FeatureStore(folder, monitor=False)
    result = {}
    for name, sql in QUERIES.items():
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            fs.query(sql)
            best = min(best, time.perf_counter() - started)
        result[f"query_{name}_seconds"] = round(best, 3)
    result["peak_rss_mib"] = round(_peak_rss_mib())
    return result


def step_setup(folder: str, rows: int) -> dict:
    fs = FeatureStore(folder)
    started = time.perf_counter()
    ids = rows // 10
    for index, width in enumerate((34, 33, 33)):
        rng = np.random.default_rng(100 + index)
        seconds = rng.integers(0, SPAN_SECONDS, rows)
        frame = {
            "id": np.repeat(np.arange(ids), 10)[:rows],
            "event_time": (ORIGIN + pd.to_timedelta(seconds, unit="s")).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
        for j in range(width):
            frame[f"g{index}_f{j}"] = rng.normal(size=rows)
        frame = pd.DataFrame(frame)
        fg = fs.feature_group(f"group{index}")
        fg.load_feature_definitions(frame)
        fg.create("id", "event_time", enable_online_store=False)
        fg.ingest(frame, max_workers=4)
        # 20 deletions spread over the group
        for record in frame.iloc[:: max(rows // 20, 1)][["id", "event_time"]].to_dict("records"):
            fg.delete_record(record["id"], record["event_time"])
    return {"setup_seconds": round(time.perf_counter() - started, 2)}


def step_point_in_time(folder: str, rows: int) -> dict:
    rng = np.random.default_rng(5)
    entity = pd.DataFrame(
        {
            "id": rng.integers(0, rows // 10 + 1000, rows),
            "when": ORIGIN + pd.to_timedelta(rng.integers(0, SPAN_SECONDS, rows), unit="s"),
        }
    )
    fs = FeatureStore(folder)
    started = time.perf_counter()
    result = fs.point_in_time(
        entity, ["group0", "group1", "group2"], event_time_column="when", memory_limit="2GB"
    )
    seconds = time.perf_counter() - started
    assert len(result) == rows and result.shape[1] == 102
    return {
        "point_in_time_seconds": round(seconds, 2),
        "point_in_time_peak_rss_mib": round(_peak_rss_mib()),
        "non_null_fraction": round(float(result["g0_f0"].notna().mean()), 3),
    }


STEPS = {
    "ingest": step_ingest,
    "query": step_query,
    "setup": step_setup,
    "point_in_time": step_point_in_time,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--step", choices=sorted(STEPS))
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(STEPS[args.step](args.folder, args.rows)))
        return
    figures: dict = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as folder:
        for step in ("ingest", "query", "setup", "point_in_time"):
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--step",
                    step,
                    "--folder",
                    folder,
                    "--rows",
                    str(args.rows),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            figures |= {
                (f"{step}_{key}" if key == "peak_rss_mib" else key): value
                for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items()
            }
    for key, value in figures.items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
