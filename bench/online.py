"""The online store: latency of ``get`` (SQLite and Redis, 10,000 random gets) and, with
``--ingest``, the whole ingest of 1M rows × 20 features with the online store on.

    .venv/bin/python bench/online.py            # gets: 100,000 records per store
    .venv/bin/python bench/online.py --records 20000
    .venv/bin/python bench/online.py --ingest   # ingest: 1,000,000 rows
    .venv/bin/python bench/online.py --ingest --rows 200000 --before ../main/src --repeat 3

Gets: each store receives the same records (an id, ten features and an event time) in
batches of 1,000, then answers 10,000 ``get`` calls for ids drawn at random (seeded), one
at a time from one thread; each call is timed on its own and the p50, p99 and maximum are
printed. SQLite runs on a file in a temporary folder; Redis on Debian's ``redis-server``
started on a free port of 127.0.0.1 without persistence (installed with apt-get when
missing). Target: p99 under 2 ms on both.

Ingest: the frame of ``bench/featurestore.py`` (an integer id, an ISO-8601 event time, 16
floats, 2 integers, 2 strings), its ids repeating (``rows / 2`` ids, as there) or all
distinct (every row reaches the online store). Each measurement runs in a fresh process:
``fg.ingest(frame, max_workers=4)`` as the README shows (the call timed, peak RSS of the
process), and ``watchkeeper fs ingest`` on the frame as a Parquet file (the whole
process timed, start-up and reading included), with the online store on SQLite, on
Redis, and off. ``--before SRC`` runs the same measurements with another source tree on
``PYTHONPATH`` (the code before a change), alternating with this tree's in the same run;
``--repeat N`` runs everything N times and keeps each figure's best, which on a shared
machine is the one least slowed by others. Target: under 10 s on SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
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


def _cpu_seconds() -> float:
    """CPU time of all the process's threads: steadier than wall time on a shared machine
    (a Redis server's own work is not in it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ingest_call(folder: Path, rows: int, distinct: bool, online: str | None) -> dict:
    """``fg.ingest`` of the benchmark frame, in this process (run in a fresh one)."""
    from featurestore import ingest_frame
    from watchkeeper.featurestore import FeatureStore

    frame = ingest_frame(rows)
    if distinct:
        frame["id"] = range(rows)
    fs = FeatureStore(folder / "store", online=online)
    fg = fs.feature_group("ingest")
    fg.load_feature_definitions(frame)
    fg.create("id", "event_time", enable_online_store=online is not None)
    started, cpu = time.perf_counter(), _cpu_seconds()
    report = fg.ingest(frame, max_workers=4)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    assert report.ingested == rows, report.rejected[:3]
    fs.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mib": round(peak)}


def _child_env(source: str, folder: Path) -> dict:
    return {**os.environ, "PYTHONPATH": source, "WATCHKEEPER_HOME": str(folder / "home")}


def ingest_cli(source: str, folder: Path, data: Path, online: str) -> float:
    """Wall time of the whole ``watchkeeper fs ingest`` process; the group made first."""
    env = _child_env(source, folder)
    where = ["--uri", str(folder / "store"), "--online", online]
    create = ["fs", "create", "ingest", str(data), "--record-identifier", "id",
              "--event-time", "event_time", *where]  # fmt: skip
    subprocess.run([sys.executable, "-m", "watchkeeper", *create], env=env, check=True,
                   capture_output=True)  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "watchkeeper", "fs", "ingest", "ingest", str(data), *where],
        env=env,
        check=True,
        capture_output=True,
    )
    return round(time.perf_counter() - started, 2)


def _flush(url: str) -> None:
    subprocess.run(["redis-cli", "-u", url, "flushall"], check=True, capture_output=True)


def measure_ingest(
    source: str, run: Path, rows: int, distinct: bool, online: str | None, data: Path
) -> tuple[dict, float | str]:
    """One ``fg.ingest`` call in a fresh process, then one ``watchkeeper fs ingest``."""
    step = [sys.executable, __file__, "--ingest-step", str(run), "--rows", str(rows),
            "--online", online or "-", *(["--distinct"] if distinct else [])]  # fmt: skip
    done = subprocess.run(step, env=_child_env(source, run), capture_output=True, text=True)
    if done.returncode:  # a figure of its own: say why, go on
        failure = done.stderr.strip().splitlines()[-1][:60]
        call = {"seconds": float("nan"), "cpu_seconds": float("nan"), "peak_rss_mib": failure}
    else:
        call = json.loads(done.stdout.strip().splitlines()[-1])
    cli: float | str = "-"
    if online is not None:
        if online.startswith("redis"):
            _flush(online)
        try:
            cli = ingest_cli(source, run / "cli", data, online)
        except subprocess.CalledProcessError as exc:
            cli = f"failed ({exc.stderr.decode().strip()[-60:]})"
    shutil.rmtree(run, ignore_errors=True)
    return call, cli


def _best(first, second):
    """The faster of two measurements (a failure never wins)."""
    if isinstance(first, str) or first != first:  # a failure, or NaN
        return second
    if isinstance(second, str) or second != second:
        return first
    return min(first, second)


def ingest_main(args: argparse.Namespace) -> None:
    from featurestore import ingest_frame

    here = Path(__file__).resolve().parent
    sources = {"this tree": str(here.parent / "src")}
    if args.before:
        sources["before"] = str(Path(args.before).resolve())
    print(f"load average {os.getloadavg()[0]:.2f}; {args.rows:,} rows × 20 features, "
          f"best of {args.repeat}")  # fmt: skip
    best: dict[tuple, list] = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        process, url = redis_server(scratch)
        try:
            data = {}
            for distinct in (False, True):
                frame = ingest_frame(args.rows)
                if distinct:
                    frame["id"] = range(args.rows)
                data[distinct] = scratch / f"frame-{distinct}.parquet"
                frame.to_parquet(data[distinct])
                del frame
            # sources alternate inside each round, so that both see the same machine
            for _ in range(args.repeat):
                for distinct in (False, True):
                    for store in args.stores.split(","):
                        if store == "off" and distinct:
                            continue  # the offline side does not depend on the ids
                        for name, source in sources.items():
                            run = scratch / "run"
                            online = {"sqlite": f"sqlite:///{run}/online.db", "redis": url,
                                      "off": None}[store]  # fmt: skip
                            if store == "redis":
                                _flush(url)
                            call, cli = measure_ingest(
                                source, run, args.rows, distinct, online, data[distinct]
                            )
                            figures = [call["seconds"], call["cpu_seconds"],
                                       call["peak_rss_mib"], cli]  # fmt: skip
                            key = ("all distinct" if distinct else "repeating", name, store)
                            print(*key, *figures, sep="  ", flush=True)
                            earlier = best.get(key, figures)
                            best[key] = [_best(*two) for two in zip(earlier, figures, strict=True)]
        finally:
            process.terminate()
            process.wait()
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    print(f"{'ids':13} {'code':10} {'online':7} {'ingest s':>9} {'CPU s':>7} {'peak MiB':>9}"
          f" {'CLI s':>7}")  # fmt: skip
    for (ids, name, store), (seconds, cpu, peak, cli) in best.items():
        print(f"{ids:13} {name:10} {store:7} {seconds:9.2f} {cpu:7.2f} {peak!s:>9} {cli!s:>7}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--gets", type=int, default=10_000)
    parser.add_argument("--ingest", action="store_true", help="measure the whole ingest")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--before", help="another source tree to measure in the same run")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the best kept")
    parser.add_argument("--stores", default="sqlite,redis,off", help="online stores measured")
    parser.add_argument("--ingest-step", help=argparse.SUPPRESS)
    parser.add_argument("--online", help=argparse.SUPPRESS)
    parser.add_argument("--distinct", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_step:
        online = None if args.online == "-" else args.online
        step = ingest_call(Path(args.ingest_step), args.rows, args.distinct, online)
        print(json.dumps(step))
        return
    if args.ingest:
        ingest_main(args)
        return
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
