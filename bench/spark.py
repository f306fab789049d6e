"""The Spark engine against the local engine, each run as a whole `watchkeeper` process.

    .venv/bin/python bench/spark.py            # 10M x 20 on local[2] vs local; 100k x 10,000
    .venv/bin/python bench/spark.py --quick    # 1M x 20 and 10k x 2,000, a few minutes
    .venv/bin/python bench/spark.py --wide-only  # 100k x 10,000 alone

Every run is `watchkeeper profile FILE -o OUT [--engine spark --spark-master local[2]]`
in a fresh process. Its wall time is measured around the process; memory is sampled
from /proc every 0.2 s over the whole process tree: the Python driver alone (what
collects and merges the partitions' profiles), the JVM (Spark's driver and, in local
mode, its executors) and the tree (driver, JVM and the Python workers).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import _datagen

MASTER = "local[2]"
SAMPLE_SECONDS = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    label: str
    seconds: float
    driver_mib: float
    jvm_mib: float
    tree_mib: float
    status: int


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _is_jvm(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip() == "java"
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
    except OSError:
        pass
    return found


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        queue += _children(current)
    return pids


def run(label: str, args: list[str]) -> Run:
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "watchkeeper", "profile", *args, "-o", f"{out}/p"]
        started = time.perf_counter()
        # run from elsewhere: bench/profile.py would shadow the standard library's module
        process = subprocess.Popen(
            command, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        driver = jvm = tree = 0
        while process.poll() is None:
            driver = max(driver, _rss(process.pid))
            pids = _tree(process.pid)
            jvm = max(jvm, sum(_rss(pid) for pid in pids if _is_jvm(pid)))
            tree = max(tree, sum(_rss(pid) for pid in pids))
            time.sleep(SAMPLE_SECONDS)
        seconds = time.perf_counter() - started
        if process.returncode:
            print(process.stderr.read().decode()[-2000:], file=sys.stderr)
    result = Run(label, seconds, driver / 2**20, jvm / 2**20, tree / 2**20, process.returncode)
    print(
        f"  {label:<44} {seconds:8.1f} s  driver {result.driver_mib:6.0f} MiB  "
        f"JVM {result.jvm_mib:6.0f} MiB  tree {result.tree_mib:6.0f} MiB  "
        f"exit {process.returncode}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement")
    parser.add_argument("--skip-wide", action="store_true", help="only the long table")
    parser.add_argument("--wide-only", action="store_true", help="only the wide table")
    parser.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE",
        help="passed on to every Spark run (repeatable)",
    )  # fmt: skip
    options = parser.parse_args()
    rows, wide_rows, wide_columns = (
        (1_000_000, 10_000, 2_000) if options.quick else (10_000_000, 100_000, 10_000)
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    spark = ["--engine", "spark", "--spark-master", MASTER]
    for setting in options.spark_conf:
        spark += ["--spark-conf", setting]
    if not options.wide_only:
        long = _datagen.mixed_parquet(rows)
        path = str(long.path("parquet"))
        results: list[Run] = []
        for _ in range(options.repeat):
            results.append(run(f"local engine, {rows:,} x 20", [path]))
            results.append(run(f"spark {MASTER}, {rows:,} x 20", [path, *spark]))
        best = {
            label: min(r.seconds for r in results if r.label == label)
            for label in dict.fromkeys(r.label for r in results)
        }
        local, remote = best.values()
        print(f"spark / local time: {remote / local:.2f}x")
    if not options.skip_wide:
        wide = _datagen.wide_parquet(wide_rows, wide_columns)
        run(
            f"spark {MASTER}, {wide_rows:,} x {wide_columns:,}",
            [str(wide.path("parquet")), *spark],
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
