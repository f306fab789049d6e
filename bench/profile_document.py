"""Profile files, JSON against binary: size, and time to read (``profile_from_bytes``:
parsing and validating) and to write (``profile_to_bytes``).

Every loader of profile files validates them, including the dashboard's merger, which
reads each stored batch before merging into it; this measures what that costs in each
form. The profiles:

* ``mixed 500``: the first 500 rows of the mixed 1M × 20 benchmark table (8 floats,
  4 ints, 6 strings of 3 to ~1M distinct values, a bool, a timestamp);
* ``mixed 1M``: the whole table;
* ``merged 100``: the table profiled in 100 batches of 10,000 rows, merged (as the
  dashboard merges the profiles it receives into a batch);

and with ``--more`` the older documents: ``numeric`` (200 float columns of 1M rows),
``text`` (50 text columns of 200k rows, 20k distinct values each), ``wide`` (5,000
float columns of 1,000 rows). Each read is repeated ``--repeat`` times, JSON and binary
in turn (runs of ``--batch`` reads of one form), best time kept::

    .venv/bin/python bench/profile_document.py
    .venv/bin/python bench/profile_document.py --more --repeat 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import _datagen
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes


def _profiled(table: pa.Table, batches: int = 1) -> DatasetProfile:
    rows = table.num_rows
    merged = None
    for start in range(0, rows, -(-rows // batches)):
        part = DatasetProfile()
        part.track(table.slice(start, -(-rows // batches)))
        merged = part if merged is None else merged.merge(part)
    return merged


def profiles(more: bool) -> dict[str, Callable[[], DatasetProfile]]:
    table = pq.read_table(_datagen.mixed(_datagen.FULL.mixed_rows).path("parquet"))
    chosen = {
        "mixed 500": lambda: _profiled(table.slice(0, 500)),
        "mixed 1M": lambda: _profiled(table),
        "merged 100": lambda: _profiled(table, batches=100),
    }
    if more:
        rng = np.random.default_rng(7)
        pool = np.array([f"value-{i}" for i in range(20_000)])
        chosen["numeric"] = lambda: _profiled(
            pa.table({f"x{i}": rng.normal(size=1_000_000) for i in range(200)}), batches=4
        )
        chosen["text"] = lambda: _profiled(
            pa.table({f"s{i}": rng.choice(pool, 200_000) for i in range(50)})
        )
        chosen["wide"] = lambda: _profiled(
            pa.table({f"w{i}": rng.normal(size=1000) for i in range(5000)})
        )
    return chosen


def _timed(action: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    action(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--more", action="store_true", help="also the numeric/text/wide files")
    parser.add_argument("--batch", type=int, default=5, help="reads of one form in a row")
    args = parser.parse_args()
    print(f"{dt.date.today()}  load {'{:.2f} {:.2f} {:.2f}'.format(*os.getloadavg())}")
    print(
        f"{'profile':<11} {'JSON KiB':>9} {'binary KiB':>10} {'smaller':>8} "
        f"{'read JSON ms':>12} {'read bin ms':>11} {'faster':>7} "
        f"{'write JSON ms':>13} {'write bin ms':>12}"
    )
    for name, make in profiles(args.more).items():
        profile = make()
        text, binary = profile_to_bytes(profile, "json"), profile_to_bytes(profile)
        assert profile_to_bytes(profile_from_bytes(binary), "json") == text
        read_json = read_binary = write_json = write_binary = float("inf")
        # runs of --batch reads of one form, the forms in turn (so that other work on the
        # machine hits both); the best single read is kept. A reader such as the dashboard
        # reads many stored profiles of one form in a row: --batch 1 puts a read of the
        # other form, and the caches it leaves, before every read.
        for _ in range(args.repeat):
            for _ in range(args.batch):
                read_json = min(read_json, _timed(profile_from_bytes, text))
            for _ in range(args.batch):
                read_binary = min(read_binary, _timed(profile_from_bytes, binary))
        for _ in range(max(3, args.repeat // 3)):
            write_json = min(write_json, _timed(profile_to_bytes, profile, "json"))
            write_binary = min(write_binary, _timed(profile_to_bytes, profile))
        print(
            f"{name:<11} {len(text) / 1024:9.1f} {len(binary) / 1024:10.1f} "
            f"{len(text) / len(binary):7.2f}x {read_json * 1e3:12.2f} {read_binary * 1e3:11.2f} "
            f"{read_json / read_binary:6.2f}x {write_json * 1e3:13.2f} {write_binary * 1e3:12.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
