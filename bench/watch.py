"""The landing-file watcher under load: a 1 GB CSV, and 1,000 small files arriving.

    .venv/bin/python bench/watch.py            # both measurements
    .venv/bin/python bench/watch.py --quick    # smaller inputs, a smoke run

1. A ~1 GB CSV (the mixed 1M × 20 table of ``bench/profile.py``, four times over) in a
   folder, checked by ``watchkeeper watch FOLDER --rules ... --once`` in a fresh process,
   once in a child process (the default) and once ``--in-process``: wall time and the
   watcher's peak RSS (it must stay under 1 GiB). Only the second holds the check's own
   memory: the child that checks an isolated file is its fork server's, not the watcher's.
2. A watcher started on an empty folder (``watchkeeper watch``, running), then 1,000
   small CSV files written into the folder as fast as they can be: the time from the
   first file written until the catalog holds all 1,000 (drained), and alerts went to a
   local webhook for the files that break a rule.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RULES = "defaults: {max_missing: 10%}\ncolumns:\n  amount: {min: 0}\n"


def big_csv(copies: int) -> Path:
    """The mixed table's CSV repeated ``copies`` times under one header (cached)."""
    sys.path.insert(0, str(HERE))
    from _datagen import FULL, mixed  # the profiling benchmark's generator

    source = mixed(FULL.mixed_rows).path("csv")
    target = DATA / f"mixed_x{copies}.csv"
    if target.exists():
        return target
    with source.open("rb") as head:
        header = head.readline()
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        out.write(header)
        for _ in range(copies):
            with source.open("rb") as part:
                part.readline()
                shutil.copyfileobj(part, out, 16 << 20)
    partial.rename(target)
    return target


def watchkeeper(*args: str) -> list[str]:
    return [sys.executable, "-m", "watchkeeper", *args]


def check_big_file(copies: int, *mode: str) -> None:
    path = big_csv(copies)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch, "landing")
        folder.mkdir()
        os.link(path, folder / path.name)
        rules = Path(scratch, "rules.yaml")
        rules.write_text(RULES)
        command = watchkeeper(
            "watch", str(folder), "--rules", str(rules), "--once", "--settle", "0",
            "--database", f"sqlite:///{scratch}/catalog.db", *mode,
        )  # fmt: skip
        log = Path(scratch, "watch.log").open("w+b")  # noqa: SIM115 - lives as long as the folder
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        # wait4: this child's own peak RSS (RUSAGE_CHILDREN would be the largest of all)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            log.seek(0)
            raise SystemExit(log.read().decode())
        rows = (
            sqlite3.connect(f"{scratch}/catalog.db")
            .execute("select rows, violations, status from watched_objects")
            .fetchone()
        )
    size = path.stat().st_size
    print(
        f"1 GB CSV {' '.join(mode) or '(in a child process)'}: {size / 2**30:.2f} GiB, "
        f"{rows[0]:,} rows, status {rows[2]}, "
        f"{rows[1]} violations: {seconds:.1f} s, peak RSS {usage.ru_maxrss / 1024:.0f} MiB"
    )


def small_file(rows: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    amount = rng.normal(100, 20, rows).round(2)
    if seed % 10 == 0:
        amount[: rows // 5] = np.nan  # one file in ten breaks the missing-values rule
    table = pa.table(
        {
            "id": np.arange(rows),
            "amount": pa.array(amount, from_pandas=True),
            "items": rng.integers(1, 10, rows),
            "channel": rng.choice(["web", "store", "phone"], rows),
            "score": rng.random(rows).round(4),
            "region": rng.choice(["north", "south", "east", "west"], rows),
        }
    )
    out = io.BytesIO()
    pv.write_csv(table, out)
    return out.getvalue()


class Recorder(BaseHTTPRequestHandler):
    posts = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Recorder.posts += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def drain_small_files(count: int, rows: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    payloads = [small_file(rows, seed) for seed in range(count)]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch, "landing")
        folder.mkdir()
        rules = Path(scratch, "rules.yaml")
        rules.write_text(RULES)
        database = Path(scratch, "catalog.db")
        command = watchkeeper(
            "watch", str(folder), "--rules", str(rules), "--settle", "0.5", "--interval", "1",
            "--notify", f"json://127.0.0.1:{server.server_address[1]}/alerts",
            "--database", f"sqlite:///{database}",
        )  # fmt: skip
        # a file, not a pipe: a pipe nobody reads fills up and blocks the watcher
        log = Path(scratch, "watch.log").open("w+b")  # noqa: SIM115 - lives as long as the folder
        watcher = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
        time.sleep(2.0)  # let it start: the clock starts with the first file
        started = time.perf_counter()
        for index, payload in enumerate(payloads):
            (folder / f"part-{index:04d}.csv").write_bytes(payload)
        written = time.perf_counter() - started
        done = 0
        while done < count:
            time.sleep(0.2)
            if watcher.poll() is not None:
                log.seek(0)
                raise SystemExit(log.read().decode())
            done = _count(database)
        drained = time.perf_counter() - started
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(timeout=60)
    server.shutdown()
    print(
        f"{count:,} small CSV files ({rows} rows each) written in {written:.1f} s, "
        f"drained in {drained:.1f} s ({count / drained:.0f} files/s); "
        f"{Recorder.posts} alerts sent for {count // 10} broken files"
    )


def _count(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database) as connection:
            return connection.execute("select count(*) from watched_objects").fetchone()[0]
    except sqlite3.OperationalError:  # the table is being created
        return 0


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    check_big_file(1 if args.quick else 4)
    check_big_file(1 if args.quick else 4, "--in-process")
    drain_small_files(100 if args.quick else 1_000, 200)


if __name__ == "__main__":
    main()
