"""Latency of the online store's ``get``: SQLite and Redis, 10,000 random gets.

    .venv/bin/python bench/online.py            # 100,000 records per store
    .venv/bin/python bench/online.py --records 20000

Each store receives the same records (an id, ten features and an event time) in batches
of 1,000, then answers 10,000 ``get`` calls for ids drawn at random (seeded), one at a
time from one thread; each call is timed on its own and the p50, p99 and maximum are
printed. SQLite runs on a file in a temporary folder; Redis on Debian's ``redis-server``
started on a free port of 127.0.0.1 without persistence (installed with apt-get when
missing). Target: p99 under 2 ms on both.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from watchkeeper.featurestore.online import RedisOnlineStore, SQLiteOnlineStore

GROUP = "bench"


def records(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "id": f"customer-{i}",
            **{f"f{j}": round(rng.gauss(0, 1), 6) for j in range(8)},
            "segment": rng.choice(["a", "b", "c", "d"]),
            "active": rng.random() < 0.7,
            "event_time": 1_714_000_000 + rng.randrange(86_400),
        }
        for i in range(count)
    ]


def measure(store, rows: list[dict], gets: int, seed: int = 11) -> dict[str, float]:
    started = time.perf_counter()
    for start in range(0, len(rows), 1000):
        store.write(GROUP, rows[start : start + 1000], "id", "event_time")
    load = time.perf_counter() - started
    rng = random.Random(seed)
    ids = [rows[rng.randrange(len(rows))]["id"] for _ in range(gets)]
    for record_id in ids[:200]:  # warm up
        store.get(GROUP, record_id)
    times = []
    for record_id in ids:
        begun = time.perf_counter_ns()
        found = store.get(GROUP, record_id)
        times.append(time.perf_counter_ns() - begun)
        assert found is not None
    times.sort()
    return {
        "load_s": load,
        "p50_ms": statistics.median(times) / 1e6,
        "p99_ms": times[int(len(times) * 0.99) - 1] / 1e6,
        "max_ms": times[-1] / 1e6,
    }


def redis_server(folder: Path) -> tuple[subprocess.Popen, str]:
    executable = shutil.which("redis-server")
    if executable is None:
        if os.geteuid() == 0:
            subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True)
        else:
            sys.exit("redis-server is missing: apt-get install redis-server")
        executable = shutil.which("redis-server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, url
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                sys.exit("redis-server did not start")
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=10_000)
    args = parser.parse_args()
    rows = records(args.records)
    print(f"load average {os.getloadavg()[0]:.2f}; {args.records:,} records, {args.gets:,} gets")
    with tempfile.TemporaryDirectory() as folder:
        results = {}
        store = SQLiteOnlineStore(Path(folder) / "online.db")
        results["sqlite"] = measure(store, rows, args.gets)
        store.close()
        process, url = redis_server(Path(folder))
        try:
            store = RedisOnlineStore(url)
            results["redis"] = measure(store, rows, args.gets)
            store.close()
        finally:
            process.terminate()
            process.wait()
    print(f"{'store':8} {'load s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in results.items():
        print(
            f"{name:8} {r['load_s']:8.2f} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['max_ms']:8.2f}"
        )


if __name__ == "__main__":
    main()
