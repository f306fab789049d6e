"""What checking each landed file in a child process costs the watcher, per file.

    .venv/bin/python bench/watch_isolation.py              # 200 small files, 3 rounds
    .venv/bin/python bench/watch_isolation.py --files 50   # a smoke run

The same folder of small CSV files (200 rows × 6 columns; one in ten breaks a rule) is
checked by ``watcher(..., isolate=False).run_once()`` and by
``watcher(..., isolate=True).run_once()``, each on a fresh catalog, alternately, best of
``--rounds``. The per-file overhead is the difference of the per-file times. The first
isolated round also starts the fork server (once per watcher process): it is timed
separately. A last figure is a child that does nothing (``ChildProcess().run(int)``), the
floor of the overhead: a fork from the server, the pipe and the wait.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from watch import RULES, small_file  # noqa: E402  (the watcher benchmark's inputs)
from watchkeeper.watch import watcher  # noqa: E402
from watchkeeper.watch.isolation import ChildProcess  # noqa: E402


def one_pass(folder: Path, rules: Path, scratch: Path, isolate: bool, run: int) -> float:
    running = watcher(
        folder,
        rules=str(rules),
        database=f"sqlite:///{scratch}/catalog-{isolate}-{run}.db",
        settle=0.0,
        isolate=isolate,
    )
    started = time.perf_counter()
    records = running.run_once()
    seconds = time.perf_counter() - started
    assert all(record.status == "done" for record in records), records
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        folder = scratch / "landing"
        folder.mkdir()
        for seed in range(options.files):
            (folder / f"part-{seed:05d}.csv").write_bytes(small_file(options.rows, seed))
        rules = scratch / "rules.yaml"
        rules.write_text(RULES)
        old = time.time() - 60  # settled long ago
        for path in folder.iterdir():
            os.utime(path, (old, old))
        started = time.perf_counter()
        ChildProcess().run(int, "1")
        print(f"fork server start (once per watcher): {time.perf_counter() - started:.2f} s")
        timings: dict[bool, list[float]] = {False: [], True: []}
        for run in range(options.rounds):
            for isolate in (False, True):
                timings[isolate].append(one_pass(folder, rules, scratch, isolate, run))
    per_file = {key: min(values) / options.files * 1000 for key, values in timings.items()}
    print(f"in process: {per_file[False]:.1f} ms per file (best of {options.rounds})")
    print(f"child per file: {per_file[True]:.1f} ms per file (best of {options.rounds})")
    print(f"overhead of isolation: {per_file[True] - per_file[False]:.1f} ms per file")
    child = ChildProcess()
    started = time.perf_counter()
    for _ in range(100):
        child.run(int, "1")
    print(f"an empty child: {(time.perf_counter() - started) * 10:.1f} ms")


if __name__ == "__main__":
    main()
