"""Time reading a profile document (``profile_from_bytes``): parsing and validating.

Every loader of profile documents validates them, including the dashboard's merger,
which reads each stored batch before merging into it; this measures what that costs.
Three documents, each read ``--repeat`` times (best time kept):

* ``numeric``: 200 float columns of 1M rows (KLL sketches of several levels);
* ``text``: 50 text columns of 200k rows, 20k distinct values each (frequent-items and
  theta sketches);
* ``wide``: 5,000 float columns of 1,000 rows.

    .venv/bin/python bench/profile_document.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa

from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes


def documents() -> dict[str, bytes]:
    rng = np.random.default_rng(7)
    numeric = DatasetProfile()
    for _ in range(4):
        numeric.track(pa.table({f"x{i}": rng.normal(size=250_000) for i in range(200)}))
    text = DatasetProfile()
    pool = np.array([f"value-{i}" for i in range(20_000)])
    text.track(pa.table({f"s{i}": rng.choice(pool, 200_000) for i in range(50)}))
    wide = DatasetProfile()
    wide.track(pa.table({f"w{i}": rng.normal(size=1000) for i in range(5000)}))
    return {name: profile_to_bytes(p) for name, p in (("numeric", numeric), ("text", text),
                                                       ("wide", wide))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    for name, data in documents().items():
        best = min(_timed(data) for _ in range(repeat))
        print(f"{name:8} {len(data) / 1e6:7.2f} MB  read in {best * 1000:8.1f} ms")


def _timed(data: bytes) -> float:
    started = time.perf_counter()
    profile_from_bytes(data)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
