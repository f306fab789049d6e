"""Deterministic benchmark inputs, generated once and cached under bench/data/.

Every column draws from its own child of one seed sequence, so a column's values do not
depend on which other columns exist or in what order they are built. A dataset is
complete when its ``.json`` sidecar exists: the sidecar is written last, and every file
is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

DATA_DIR = Path(__file__).resolve().parent / "data"
SEED = 20_240_601
# Bump when a generator changes so that stale cached files are not reused.
GENERATOR_VERSION = 1

NULL_FRACTION = 0.05
CHUNK_ROWS = 1_000_000  # rows per generated chunk and per Parquet row group
TIME_ORIGIN = np.datetime64("2024-01-01T00:00:00", "us")
SECONDS_PER_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Dataset:
    """One cached benchmark input: its files and what is known about it."""

    name: str
    rows: int
    columns: int
    files: dict[str, Path]  # format ("csv" / "parquet") -> path
    arrow_bytes: int  # in-memory size of the whole table as Arrow

    def path(self, fmt: str) -> Path:
        return self.files[fmt]


@dataclass(frozen=True)
class Sizes:
    mixed_rows: int
    wide_rows: int
    wide_columns: int
    big_rows: int


FULL = Sizes(mixed_rows=1_000_000, wide_rows=100_000, wide_columns=1000, big_rows=10_000_000)
QUICK = Sizes(mixed_rows=100_000, wide_rows=10_000, wide_columns=200, big_rows=1_000_000)


# --- column generators -------------------------------------------------------------


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([SEED, GENERATOR_VERSION, *key]))


def _with_nulls(values: np.ndarray, rng: np.random.Generator) -> pa.Array:
    return pa.array(values, mask=rng.random(values.size) < NULL_FRACTION)


def _categories(cardinality: int, rows: int, rng: np.random.Generator) -> pa.Array:
    """Strings from a pool of ``cardinality`` values with a mildly skewed frequency."""
    pool = pa.array([f"c{cardinality}_{i}" for i in range(cardinality)], pa.string())
    weights = 1.0 / np.arange(1, cardinality + 1) ** 0.8
    codes = rng.choice(cardinality, size=rows, p=weights / weights.sum())
    return pool.take(pa.array(codes))


def _unique_strings(rows: int, rng: np.random.Generator) -> pa.Array:
    """Identifiers drawn from 9e11 values: almost all distinct, never parse as numbers."""
    digits = pc.cast(pa.array(rng.integers(10**11, 10**12, size=rows)), pa.string())
    return pc.binary_join_element_wise("id-", digits, "")


def _timestamps(rows: int, rng: np.random.Generator) -> pa.Array:
    offsets = rng.integers(0, SECONDS_PER_YEAR, size=rows).astype("timedelta64[s]")
    return pa.array(TIME_ORIGIN + offsets)


# name -> generator(rows, rng); the order here is the column order in the files.
ColumnMaker = Callable[[int, np.random.Generator], pa.Array]

MIXED_COLUMNS: dict[str, ColumnMaker] = {
    "f_normal": lambda n, r: pa.array(r.normal(0.0, 1.0, n)),
    "f_lognormal": lambda n, r: pa.array(r.lognormal(3.0, 1.0, n)),
    "f_uniform": lambda n, r: pa.array(r.uniform(-1000.0, 1000.0, n)),
    "f_exponential": lambda n, r: pa.array(r.exponential(50.0, n)),
    "f_bimodal": lambda n, r: pa.array(
        np.where(r.random(n) < 0.3, r.normal(-5.0, 1.0, n), r.normal(10.0, 2.0, n))
    ),
    "f_heavy_tail": lambda n, r: pa.array(r.standard_t(2.0, n)),
    "f_nullable_normal": lambda n, r: _with_nulls(r.normal(100.0, 15.0, n), r),
    "f_nullable_gamma": lambda n, r: _with_nulls(r.gamma(2.0, 2.0, n), r),
    "i_small": lambda n, r: pa.array(r.integers(0, 100, n)),
    "i_large": lambda n, r: pa.array(r.integers(-(10**12), 10**12, n)),
    "i_poisson": lambda n, r: pa.array(r.poisson(3.0, n)),
    "i_id": lambda n, r: pa.array(r.permutation(n)),
    "s_card3": lambda n, r: _categories(3, n, r),
    "s_card10": lambda n, r: _categories(10, n, r),
    "s_card50": lambda n, r: _categories(50, n, r),
    "s_card500": lambda n, r: _categories(500, n, r),
    "s_card5000": lambda n, r: _categories(5000, n, r),
    "s_unique": lambda n, r: _unique_strings(n, r),
    "b_flag": lambda n, r: pa.array(r.random(n) < 0.3),
    "t_event": lambda n, r: _timestamps(n, r),
}

BIG_COLUMNS: dict[str, ColumnMaker] = {
    "f_normal": MIXED_COLUMNS["f_normal"],
    "f_lognormal": MIXED_COLUMNS["f_lognormal"],
    "f_nullable_normal": MIXED_COLUMNS["f_nullable_normal"],
    "i_small": MIXED_COLUMNS["i_small"],
    "i_large": MIXED_COLUMNS["i_large"],
    "s_card10": MIXED_COLUMNS["s_card10"],
    "s_card1000": lambda n, r: _categories(1000, n, r),
    "s_card100k": lambda n, r: _categories(100_000, n, r),
    "s_unique": MIXED_COLUMNS["s_unique"],
    "t_event": MIXED_COLUMNS["t_event"],
}


def _table(makers: dict[str, ColumnMaker], rows: int, *key: int) -> pa.Table:
    arrays = {name: make(rows, _rng(*key, i)) for i, (name, make) in enumerate(makers.items())}
    return pa.table(arrays)


def _wide_table(rows: int, columns: int) -> pa.Table:
    arrays = {}
    for j in range(columns):
        rng = _rng(3, j)
        arrays[f"x{j:04d}"] = pa.array(
            rng.normal(rng.uniform(-100, 100), rng.uniform(0.1, 50), rows)
        )
    return pa.table(arrays)


# --- writing and caching -------------------------------------------------------------


def _sidecar(stem: Path) -> Path:
    return stem.with_suffix(".json")


def _load(stem: Path) -> Dataset | None:
    sidecar = _sidecar(stem)
    if not sidecar.exists():
        return None
    meta = json.loads(sidecar.read_text())
    files = {fmt: stem.with_suffix(f".{fmt}") for fmt in meta["formats"]}
    if not all(path.exists() for path in files.values()):
        return None
    return Dataset(meta["name"], meta["rows"], meta["columns"], files, meta["arrow_bytes"])


def _save_sidecar(dataset: Dataset, stem: Path) -> None:
    meta = {
        "name": dataset.name,
        "rows": dataset.rows,
        "columns": dataset.columns,
        "arrow_bytes": dataset.arrow_bytes,
        "formats": sorted(dataset.files),
        "seed": SEED,
        "generator_version": GENERATOR_VERSION,
    }
    tmp = _sidecar(stem).with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, _sidecar(stem))


def _write_chunks(
    chunks: Iterator[pa.Table], stem: Path, formats: tuple[str, ...], dictionary: bool
) -> tuple:
    """Stream chunks into each format; returns (rows, columns, arrow_bytes)."""
    tmp = {fmt: stem.with_suffix(f".{fmt}.tmp") for fmt in formats}
    writers: dict[str, pq.ParquetWriter | pacsv.CSVWriter] = {}
    rows = columns = nbytes = 0
    try:
        for chunk in chunks:
            if not writers:
                if "parquet" in formats:
                    writers["parquet"] = pq.ParquetWriter(
                        tmp["parquet"], chunk.schema, use_dictionary=dictionary
                    )
                if "csv" in formats:
                    writers["csv"] = pacsv.CSVWriter(tmp["csv"], chunk.schema)
            for fmt, writer in writers.items():
                if fmt == "parquet":
                    writer.write_table(chunk, row_group_size=CHUNK_ROWS)
                else:
                    writer.write_table(chunk)
            rows += chunk.num_rows
            columns = chunk.num_columns
            nbytes += chunk.nbytes
    finally:
        for writer in writers.values():
            writer.close()
    for fmt in formats:
        os.replace(tmp[fmt], stem.with_suffix(f".{fmt}"))
    return rows, columns, nbytes


def _ensure(
    name: str,
    stem: Path,
    formats: tuple[str, ...],
    chunks: Callable[[], Iterator[pa.Table]],
    dictionary: bool = True,
) -> Dataset:
    cached = _load(stem)
    if cached is not None:
        return cached
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    print(f"generating {stem.name} ({', '.join(formats)}) ...", flush=True)
    started = time.perf_counter()
    rows, columns, nbytes = _write_chunks(chunks(), stem, formats, dictionary)
    dataset = Dataset(name, rows, columns, {f: stem.with_suffix(f".{f}") for f in formats}, nbytes)
    _save_sidecar(dataset, stem)
    print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
    return dataset


def _chunked(makers: dict[str, ColumnMaker], rows: int, key: int) -> Iterator[pa.Table]:
    for index, start in enumerate(range(0, rows, CHUNK_ROWS)):
        yield _table(makers, min(CHUNK_ROWS, rows - start), key, index)


def mixed(rows: int) -> Dataset:
    """``rows`` x 20 mixed columns, as CSV and Parquet."""
    stem = DATA_DIR / f"mixed_{rows}x{len(MIXED_COLUMNS)}_v{GENERATOR_VERSION}"
    return _ensure("mixed", stem, ("csv", "parquet"), lambda: _chunked(MIXED_COLUMNS, rows, 1))


def wide(rows: int, columns: int) -> Dataset:
    """``rows`` x ``columns`` float64 columns, as Parquet."""
    stem = DATA_DIR / f"wide_{rows}x{columns}_v{GENERATOR_VERSION}"
    # Random doubles never fit a dictionary: trying one first only adds a page per column.
    return _ensure(
        "wide", stem, ("parquet",), lambda: iter([_wide_table(rows, columns)]), dictionary=False
    )


def big(rows: int) -> Dataset:
    """``rows`` x 10 mixed columns, as Parquet, generated one chunk at a time."""
    stem = DATA_DIR / f"big_{rows}x{len(BIG_COLUMNS)}_v{GENERATOR_VERSION}"
    return _ensure("big", stem, ("parquet",), lambda: _chunked(BIG_COLUMNS, rows, 2))


def mixed_parquet(rows: int) -> Dataset:
    """``rows`` x 20 mixed columns (as :func:`mixed`), as Parquet only: at ten million
    rows the CSV would take gigabytes that no Spark measurement reads."""
    stem = DATA_DIR / f"mixed_{rows}x{len(MIXED_COLUMNS)}_parquet_v{GENERATOR_VERSION}"
    return _ensure("mixed", stem, ("parquet",), lambda: _chunked(MIXED_COLUMNS, rows, 1))


WIDE_CHUNK_ROWS = 2_000


def wide_parquet(rows: int, columns: int) -> Dataset:
    """``rows`` x ``columns`` float64 columns of a thousand values each, as Parquet,
    written ``WIDE_CHUNK_ROWS`` rows at a time so that ten thousand columns fit in memory
    (and, dictionary-encoded, on disk)."""
    stem = DATA_DIR / f"wide_{rows}x{columns}_chunked_v{GENERATOR_VERSION}"

    def chunks() -> Iterator[pa.Table]:
        for index, start in enumerate(range(0, rows, WIDE_CHUNK_ROWS)):
            count = min(WIDE_CHUNK_ROWS, rows - start)
            yield pa.table(
                {
                    f"x{j:05d}": pa.array(_rng(4, index, j).integers(0, 1000, count) / 10.0)
                    for j in range(columns)
                }
            )

    return _ensure("wide", stem, ("parquet",), chunks)
