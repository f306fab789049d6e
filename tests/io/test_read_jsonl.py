"""JSON Lines: values, long lines, keys and types that change along the file."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pytest

from watchkeeper.io import read_batches
from watchkeeper.io.jsonl import CHUNK_BYTES


def lines(*records: object) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def test_values_and_nested_objects(write):
    path = write("a.jsonl", lines({"a": 1, "b": "x", "c": {"d": [1, 2]}}, {"a": 2, "b": None}))
    batches = list(read_batches(path))
    assert pa.Table.from_batches(batches).to_pylist() == [
        {"a": 1, "b": "x", "c": {"d": [1, 2]}},
        {"a": 2, "b": None, "c": None},
    ]


@pytest.mark.parametrize("name", ["a.jsonl", "a.ndjson", "a.json", "a.jsonl.gz"])
def test_extensions(write, name):
    content = lines({"a": 1}, {"a": 2}).encode()
    path = write(name, gzip.compress(content) if name.endswith(".gz") else content)
    assert pa.Table.from_batches(read_batches(path)).to_pydict() == {"a": [1, 2]}


def test_bom_crlf_and_blank_lines(write):
    path = write("a.jsonl", b'\xef\xbb\xbf{"a": 1}\r\n\r\n\n{"a": 2}\r\n')
    assert pa.Table.from_batches(read_batches(path)).to_pydict() == {"a": [1, 2]}


def test_one_megabyte_strings_between_short_lines(write):
    big = "x" * (1 << 20)
    records = [{"i": i, "s": big if i % 3 == 1 else "short"} for i in range(7)]
    path = write("a.jsonl", lines(*records))
    table = pa.Table.from_batches(read_batches(path))
    assert table.to_pylist() == records


def test_line_longer_than_a_chunk(write):
    huge = "y" * (CHUNK_BYTES + 1000)
    path = write("a.jsonl", lines({"s": "a"}, {"s": huge}, {"s": "b"}))
    table = pa.Table.from_batches(read_batches(path))
    assert table.column("s").to_pylist() == ["a", huge, "b"]


def test_key_that_first_appears_late_in_the_file_is_read(write):
    filler = lines(*({"a": i} for i in range(CHUNK_BYTES // 10)))
    path = write("a.jsonl", filler + lines({"a": -1, "late": "here"}))
    batches = list(read_batches(path))
    assert "late" not in batches[0].schema.names
    assert batches[-1].to_pylist()[-1] == {"a": -1, "late": "here"}
    assert sum(b.num_rows for b in batches) == CHUNK_BYTES // 10 + 1


def test_key_mixing_types_is_read_as_text(write):
    path = write(
        "a.jsonl", lines({"v": 1}, {"v": "abc"}, {"v": True}, {"v": None}, {"v": {"x": 1}})
    )
    table = pa.Table.from_batches(read_batches(path))
    assert table.schema.field("v").type == pa.string()
    assert table.column("v").to_pylist() == ["1", "abc", "true", None, '{"x": 1}']


def test_integers_and_floats_share_a_number_column(write):
    table = pa.Table.from_batches(read_batches(write("a.jsonl", lines({"v": 1}, {"v": 2.5}))))
    assert table.column("v").to_pylist() == [1.0, 2.5]


def test_no_batch_exceeds_batch_rows(write):
    path = write("a.jsonl", lines(*({"i": i} for i in range(5000))))
    batches = list(read_batches(path, batch_rows=300))
    assert max(b.num_rows for b in batches) <= 300
    assert pa.Table.from_batches(batches).column("i").to_pylist() == list(range(5000))
