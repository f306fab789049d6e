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
