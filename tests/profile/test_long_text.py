"""Long text costs time by its bytes: a 32 MB field profiles in about a second
of work (it took minutes while long strings were hashed 16 bytes per Python turn), in
every format, and its distinct count stays exact."""

from __future__ import annotations

import json
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import watchkeeper
from watchkeeper.io import read_batches

FIELD_BYTES = 32 << 20
# About 0.6 s of work here (minutes while long text was hashed in a Python loop): the
# bound only has to tell the two apart on a busy machine.
BOUND_SECONDS = 20


def words(size: int, seed: int = 0) -> str:
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz    ", dtype=np.uint8)
    codes = letters[np.random.default_rng(seed).integers(0, len(letters), size)]
    return codes.tobytes().decode("ascii")


def write(tmp_path, fmt: str, texts: list[str]):
    table = pa.table({"id": list(range(len(texts))), "text": texts})
    path = tmp_path / f"data.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path)
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_a_32_megabyte_field_profiles_in_time_following_its_bytes(tmp_path, fmt):
    big = words(FIELD_BYTES)
    path = write(tmp_path, fmt, ["short", big, "short", big[:100]])
    started = time.perf_counter()
    profile = watchkeeper.profile(path)
    assert time.perf_counter() - started < BOUND_SECONDS
    column = profile.columns["text"]
    assert (column.inferred_type, column.present, column.distinct_count()) == ("String", 4, 3)
    # long free text is not a category: only values up to 1 KiB are counted
    assert column.categories.as_dict() == {"short": 2, big[:100]: 1}


def test_a_long_csv_field_is_read_as_text_whatever_it_spells(tmp_path):
    # a row longer than Arrow's blocks, whose type Arrow would infer at 50 ns a byte
    digits = "1" + "0" * (3 << 20)
    path = write(tmp_path, "csv", [digits, "2"])
    table = pa.Table.from_batches(read_batches(path))
    assert table.column("text").type == pa.string()
    assert table.column("text").to_pylist() == [digits, "2"]
    column = watchkeeper.profile(path).columns["text"]
    # text that spells a number is still counted as one, as Deequ counts it
    assert column.type_counts["Integral"] == 2 and column.max == float("inf")


def test_distinct_counts_of_long_text_are_exact(tmp_path):
    texts = [words(300, seed) for seed in range(5_000)] * 2
    column = watchkeeper.profile(pa.table({"text": texts})).columns["text"]
    assert column.distinct_count() == pytest.approx(5_000, rel=0.03)
    exact = watchkeeper.profile(pa.table({"text": texts[:1_000]})).columns["text"]
    assert exact.distinct_count() == 1_000
