"""Where data comes from: files, folders, globs, URIs and in-memory tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import list_files, read_batches


def read_table(source: object, **kwargs: object) -> pa.Table:
    return pa.Table.from_batches(list(read_batches(source, **kwargs)))


@pytest.fixture
def landing(tmp_path, write) -> Path:
    """A folder as Spark and people leave them: nested, with markers and hidden files."""
    write("landing/b.csv", "id\n2\n")
    write("landing/a.csv", "id\n1\n")
    write("landing/2024/01/c.csv", "id\n3\n")
    write("landing/reports/d.csv", "id\n4\n")
    write("landing/_SUCCESS", "")
    write("landing/.a.csv.crc", "garbage")
    write("landing/.hidden/e.csv", "id\n99\n")
    write("landing/_temporary/f.csv", "id\n98\n")
    write("landing/README.md", "# not data")
    return tmp_path / "landing"


def test_folder_lists_data_files_recursively_sorted_skipping_hidden(landing):
    root = str(landing)
    assert list_files(landing) == [
        f"{root}/2024/01/c.csv",
        f"{root}/a.csv",
        f"{root}/b.csv",
        f"{root}/reports/d.csv",
    ]


def test_folder_reads_its_files_in_sorted_order(landing):
    assert read_table(landing).column("id").to_pylist() == [3, 1, 2, 4]


def test_glob(landing):
    assert read_table(f"{landing}/*.csv").column("id").to_pylist() == [1, 2]
    assert list_files(f"{landing}/**/c.csv") == [f"{landing}/2024/01/c.csv"]


def test_glob_matching_folders_expands_them(landing):
    assert list_files(f"{landing}/20*") == [f"{landing}/2024/01/c.csv"]


def test_glob_skips_hidden_and_non_data_files_as_a_folder_does(landing):
    assert list_files(f"{landing}/*") == list_files(landing)


def test_a_file_named_explicitly_is_listed_whatever_its_name(landing):
    assert list_files(landing / "_SUCCESS") == [f"{landing}/_SUCCESS"]


def test_file_uri(landing):
    assert read_table(f"file://{landing}/a.csv").column("id").to_pylist() == [1]
    assert len(list_files(f"file://{landing}")) == 4


def test_single_file_as_str_and_path(landing):
    assert list_files(str(landing / "b.csv")) == [str(landing / "b.csv")]
    assert read_table(landing / "b.csv").column("id").to_pylist() == [2]


def test_mixed_formats_in_one_folder(tmp_path, write):
    write("mix/a.csv", "x\n1\n")
    write("mix/b.jsonl", '{"x": 2}\n')
    pq.write_table(pa.table({"x": [3]}), tmp_path / "mix" / "c.parquet")
    values = [v for b in read_batches(tmp_path / "mix") for v in b.column("x").to_pylist()]
    assert values == [1, 2, 3]


def test_format_option_reads_files_without_extension_in_a_folder(tmp_path, write):
    write("spark/part-00000", "1,2\n")
    write("spark/part-00001", "3,4\n")
    write("spark/_SUCCESS", "")
    table = read_table(tmp_path / "spark", format="csv")
    assert table.to_pydict() == {"_c0": [1, 3], "_c1": [2, 4]}


def test_progress_spans_all_files_of_a_folder(landing):
    calls: list[tuple[int, int]] = []
    for _ in read_batches(landing, progress=lambda *c: calls.append(c)):
        pass
    total = sum(Path(p).stat().st_size for p in list_files(landing))
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# In-memory sources


def test_pandas_dataframe_drops_the_index_and_keeps_nulls():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", None, "z"]}, index=[10, 11, 12])
    table = read_table(frame, batch_rows=2)
    assert table.to_pydict() == {"a": [1, 2, 3], "b": ["x", None, "z"]}
    assert [b.num_rows for b in read_batches(frame, batch_rows=2)] == [2, 1]


def test_pandas_object_column_mixing_types_becomes_text():
    frame = pd.DataFrame({"o": [1, "x", None, 2.5], 3: [1.0, 2.0, 3.0, 4.0]})
    table = read_table(frame)
    assert table.column_names == ["o", "3"]
    assert table.column("o").to_pylist() == ["1", "x", None, "2.5"]


def test_pandas_duplicate_column_names_are_made_unique():
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    assert read_table(frame).to_pydict() == {"a": [1], "a_1": [2]}


def test_empty_pandas_dataframe_yields_an_empty_batch():
    batches = list(read_batches(pd.DataFrame({"a": pd.Series([], dtype="int64")})))
    assert [b.num_rows for b in batches] == [0]
    assert batches[0].schema.names == ["a"]


def test_dataframe_subclasses_are_recognised():
    class Frame(pd.DataFrame):
        pass

    assert read_table(Frame({"a": [1, 2]})).to_pydict() == {"a": [1, 2]}


def test_polars_dataframe():
    frame = pl.DataFrame({"a": list(range(5)), "b": ["p", "q", None, "r", "s"]})
    batches = list(read_batches(frame, batch_rows=2))
    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert pa.Table.from_batches(batches).to_pydict() == frame.to_dict(as_series=False)


def test_polars_lazy_frame_must_be_collected():
    with pytest.raises(UsageError, match="collect"):
        read_batches(pl.LazyFrame({"a": [1]}))


def test_arrow_table_batch_and_reader():
    table = pa.table({"a": list(range(7))})
    assert [b.num_rows for b in read_batches(table, batch_rows=3)] == [3, 3, 1]
    batch = table.to_batches()[0]
    assert [b.num_rows for b in read_batches(batch, batch_rows=4)] == [4, 3]
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    assert read_table(reader, batch_rows=5).column("a").to_pylist() == list(range(7))


def test_arrow_duplicate_names_are_made_unique():
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"])
    assert read_table(table).column_names == ["a", "a_1"]


def test_list_of_dicts_takes_every_key():
    records = [{"a": 1}, {"a": 2, "b": "x"}, {"b": "y"}]
    assert read_table(records).to_pylist() == [
        {"a": 1, "b": None},
        {"a": 2, "b": "x"},
        {"a": None, "b": "y"},
    ]


def test_list_of_dicts_mixing_types_reads_that_key_as_text():
    table = read_table([{"a": 1, "b": 1}, {"a": "x", "b": 2}])
    assert table.to_pydict() == {"a": ["1", "x"], "b": [1, 2]}


def test_empty_list_is_an_input_error():
    with pytest.raises(InputError, match="list of records"):
        list(read_batches([]))


def test_in_memory_progress_counts_rows():
    calls: list[tuple[int, int]] = []
    for _ in read_batches(
        pa.table({"a": list(range(10))}), batch_rows=4, progress=lambda *c: calls.append(c)
    ):
        pass
    assert calls == [(4, 10), (8, 10), (10, 10), (10, 10)]


@pytest.mark.parametrize("source", [42, {"a": [1]}, [1, 2], b"a,b\n"])
def test_unsupported_sources_are_usage_errors(source):
    with pytest.raises(UsageError, match="cannot read a"):
        read_batches(source)


def test_list_files_wants_a_path():
    with pytest.raises(UsageError, match="a path must be text"):
        list_files(pd.DataFrame({"a": [1]}))


@pytest.mark.parametrize(
    "kwargs",
    [{"batch_rows": 0}, {"batch_rows": 1.5}, {"format": "xlsx"}, {"csv": {"header": True}}],
)
def test_invalid_arguments_are_usage_errors(kwargs):
    with pytest.raises(UsageError):
        read_batches(pa.table({"a": [1]}), **kwargs)


def test_importing_the_readers_does_not_import_pandas_or_polars():
    code = "import sys, watchkeeper.io; print('pandas' in sys.modules, 'polars' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
