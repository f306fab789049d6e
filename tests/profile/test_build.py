"""Profiling a file in a fresh process: the memory one batch frees serves the next."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

COUNT_FAULTS = """
import resource, sys
from watchkeeper.profile import build_profile
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
build_profile(sys.argv[1])
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_batches_reuse_freed_memory_instead_of_faulting_in_fresh_pages(tmp_path):
    rng = np.random.default_rng(0)
    rows = 400_000
    columns = {f"x{i}": rng.normal(size=rows) for i in range(6)}
    columns["small"] = rng.integers(0, 100, rows)
    columns["ids"] = pa.array([f"id{i}" for i in rng.integers(0, rows, rows).tolist()])
    path = tmp_path / "data.parquet"
    pq.write_table(pa.table(columns), path)
    env = {**os.environ, "WATCHKEEPER_THREADS": "2"}
    found = subprocess.run(
        [sys.executable, "-c", COUNT_FAULTS, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    faults = int(found.stdout)
    # Freshly mapped pages for every batch's temporaries cost 16,000-26,000 faults here;
    # reused memory is faulted in about once: fewer pages than the decoded table holds.
    decoded_pages = rows * len(columns) * 8 // 4096
    assert faults < decoded_pages


def test_columns_that_took_longest_start_first_in_the_next_batch(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from watchkeeper.profile import DatasetProfile
    from watchkeeper.profile import dataset as dataset_module

    rows = 20_000
    rng = np.random.default_rng(1)
    columns = {f"flag{i}": rng.integers(0, 2, rows).astype(bool) for i in range(5)}
    columns["ids"] = pa.array([f"id-{i}" for i in rng.permutation(rows).tolist()])
    batch = pa.RecordBatch.from_pydict(columns)
    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(dataset_module, "_pool", lambda: pool)
    started: list[str] = []
    update = dataset_module._update

    def recorded(column, array):
        started.append(str(array.type))
        update(column, array)

    monkeypatch.setattr(dataset_module, "_update", recorded)
    profile = DatasetProfile()
    profile.track(batch)
    profile.track(batch)
    pool.shutdown()
    assert sorted(started[:6]) == ["bool"] * 5 + ["string"]
    assert started.index("string") >= 4  # the first batch goes in the table's order
    # the string column took longest, so it is one of the two the threads start with
    assert started.index("string", 6) <= 7
    assert profile.rows == 2 * rows


def test_profiling_text_and_numbers_does_not_import_numpy_masked_arrays(tmp_path):
    path = tmp_path / "data.parquet"
    table = pa.table(
        {
            "s": ["a", "bb", "ccc", "é", None] * 2000,
            "x": [1.5, 2.0, None, 3.0, 1.0] * 2000,
            "n": list(range(10_000)),
        }
    )
    pq.write_table(table, path)
    code = (
        "import sys; from watchkeeper.profile import build_profile;"
        "build_profile(sys.argv[1]); print('numpy.ma' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"  # numpy.ma costs 25 ms of start-up
