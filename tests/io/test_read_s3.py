"""S3 through fsspec, against a local S3 server (moto) on 127.0.0.1."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import InputError
from watchkeeper.io import list_files, read_batches


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


@pytest.fixture
def prefix(s3_bucket):
    s3_bucket.put("landing/b.csv", b"id\n2\n")
    s3_bucket.put("landing/a.csv", b"id\n1\n")
    s3_bucket.put("landing/2024/c.jsonl.gz", gzip.compress(b'{"id": 3}\n'))
    s3_bucket.put("landing/d.parquet", parquet_bytes(pa.table({"id": [4]})))
    s3_bucket.put("landing/_SUCCESS", b"")
    return s3_bucket


def test_prefix_lists_and_reads_every_data_file(prefix):
    options = prefix.storage_options
    expected = [
        prefix.url(f"landing/{key}") for key in ("2024/c.jsonl.gz", "a.csv", "b.csv", "d.parquet")
    ]
    assert list_files(prefix.url("landing/"), storage_options=options) == expected
    values = [
        v
        for b in read_batches(prefix.url("landing/"), storage_options=options)
        for v in b.column("id").to_pylist()
    ]
    assert values == [3, 1, 2, 4]


def test_single_object_and_glob(prefix):
    options = prefix.storage_options
    batches = list(read_batches(prefix.url("landing/a.csv"), storage_options=options))
    assert pa.Table.from_batches(batches).to_pydict() == {"id": [1]}
    assert list_files(prefix.url("landing/*.csv"), storage_options=options) == [
        prefix.url("landing/a.csv"),
        prefix.url("landing/b.csv"),
    ]


def test_new_objects_are_seen_by_the_next_listing(prefix):
    options = prefix.storage_options
    assert len(list_files(prefix.url("landing/"), storage_options=options)) == 4
    prefix.put("landing/e.csv", b"id\n5\n")
    assert len(list_files(prefix.url("landing/"), storage_options=options)) == 5


def test_progress_counts_bytes_from_s3(prefix):
    calls: list[tuple[int, int]] = []
    url = prefix.url("landing/a.csv")
    for _ in read_batches(
        url, storage_options=prefix.storage_options, progress=lambda *c: calls.append(c)
    ):
        pass
    assert calls[-1] == (len(b"id\n1\n"), len(b"id\n1\n"))


def test_missing_key_and_missing_prefix(s3_bucket):
    options = s3_bucket.storage_options
    with pytest.raises(InputError, match=r"nope\.csv: no such file or folder"):
        read_batches(s3_bucket.url("nope.csv"), storage_options=options)
    with pytest.raises(InputError, match="no files match"):
        read_batches(s3_bucket.url("nothing/*.csv"), storage_options=options)


def test_empty_object_is_an_input_error(s3_bucket):
    url = s3_bucket.put("empty.csv", b"")
    with pytest.raises(InputError, match=r"empty\.csv: the file is empty"):
        list(read_batches(url, storage_options=s3_bucket.storage_options))
