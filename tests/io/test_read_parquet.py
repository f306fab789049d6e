"""Parquet: values, row groups against batch_rows, empty files."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.io import read_batches


def test_values_round_trip(tmp_path):
    table = pa.table({"a": [1, 2, None], "b": ["x", None, "z"], "c": [0.5, 1.5, 2.5]})
    pq.write_table(table, tmp_path / "t.parquet")
    assert pa.Table.from_batches(read_batches(tmp_path / "t.parquet")) == table


def test_batches_are_bounded_across_row_groups(tmp_path):
    table = pa.table({"i": list(range(10_000))})
    pq.write_table(table, tmp_path / "t.pq", row_group_size=3_000)
    batches = list(read_batches(tmp_path / "t.pq", batch_rows=1_000))
    assert max(b.num_rows for b in batches) <= 1_000
    assert pa.Table.from_batches(batches).column("i").to_pylist() == list(range(10_000))


def test_empty_parquet_yields_an_empty_batch_with_the_columns(tmp_path):
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    pq.write_table(schema.empty_table(), tmp_path / "e.parquet")
    batches = list(read_batches(tmp_path / "e.parquet"))
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].schema == schema


@pytest.mark.parametrize("format", ["parquet", "pq"])
def test_format_option_reads_a_file_without_extension(tmp_path, format):
    pq.write_table(pa.table({"a": [1]}), tmp_path / "part-00000")
    batches = list(read_batches(tmp_path / "part-00000", format=format))
    assert pa.Table.from_batches(batches).to_pydict() == {"a": [1]}


def test_progress_reaches_the_file_size(tmp_path):
    pq.write_table(
        pa.table({"i": list(range(50_000))}), tmp_path / "t.parquet", row_group_size=10_000
    )
    size = (tmp_path / "t.parquet").stat().st_size
    calls: list[tuple[int, int]] = []
    for _ in read_batches(
        tmp_path / "t.parquet", batch_rows=10_000, progress=lambda *c: calls.append(c)
    ):
        pass
    assert calls[-1] == (size, size)
    assert all(0 <= done <= total == size for done, total in calls)
