"""Landed files for the watcher's tests."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from watchkeeper.catalog import Catalog


def write_csv(path: Path, rows: int = 200, seed: int = 0, missing: float = 0.0) -> Path:
    rng = np.random.default_rng(seed)
    ages = rng.integers(18, 90, rows).astype(float)
    ages[rng.random(rows) < missing] = np.nan
    table = pa.table(
        {
            "id": np.arange(rows),
            "age": pa.array(ages, from_pandas=True),
            "plan": rng.choice(["a", "b", "c"], rows),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pv.write_csv(table, path)
    return path


def wait_for_records(database: str, at_least: int, timeout: float = 120.0) -> None:
    """Wait until the catalog at ``database`` holds ``at_least`` processed objects."""
    catalog = Catalog(database)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if len(catalog.objects()) >= at_least:
                return
            time.sleep(0.05)
    finally:
        catalog.close()
    raise AssertionError(f"fewer than {at_least} files were checked in {timeout} s")
