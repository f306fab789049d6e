"""Values that Arrow copies without checking or converts by recursion: text that is not
UTF-8 in Parquet files and Arrow tables, and Python values nested thousands of levels
deep. Each is named in one line or read as text; none reaches the profile broken."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import watchkeeper
from watchkeeper.errors import InputError
from watchkeeper.io import read_batches
from watchkeeper.io.jsontext import json_text, nesting


def unchecked_text(values: list[bytes]) -> pa.Array:
    """A string array over raw bytes, as a careless writer produces it."""
    raw = pa.array(values, pa.binary())
    return pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())


def failure(source: object) -> str:
    with pytest.raises(InputError) as caught:
        for _ in read_batches(source, batch_rows=2):
            pass
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_invalid_utf8_in_a_parquet_text_column_names_column_and_row(tmp_path):
    text = unchecked_text([b"ok", b"fine", b"also ok", b"\xff\xfe bad", b"last"])
    pq.write_table(pa.table({"n": [1, 2, 3, 4, 5], "s": text}), tmp_path / "bad.parquet")
    message = failure(tmp_path / "bad.parquet")
    assert f"{tmp_path / 'bad.parquet'}: column 's' holds text that is not valid UTF-8 (row 4)" in (
        message
    )
    assert "Parquet text must be UTF-8" in message


def test_invalid_utf8_inside_a_nested_parquet_column_names_the_column(tmp_path):
    items = pa.ListArray.from_arrays(
        pa.array([0, 1, 2], pa.int32()), unchecked_text([b"a", b"\xc3"])
    )
    pq.write_table(pa.table({"tags": items}), tmp_path / "bad.parquet")
    assert "column 'tags' holds text that is not valid UTF-8;" in failure(tmp_path / "bad.parquet")


def test_invalid_utf8_in_an_arrow_table_is_named_before_profiling():
    table = pa.table({"s": unchecked_text([b"a", b"b", b"c\xff"])})
    assert failure(table) == "pyarrow Table: column 's' holds text that is not valid UTF-8 (row 3)"
    with pytest.raises(InputError):
        watchkeeper.profile(table.to_batches()[0])


def test_the_profile_of_a_parquet_file_is_unchanged_by_the_check(tmp_path):
    table = pa.table({"s": ["é", "ü", None, "日本"], "t": [["a"], None, ["b", "c"], []]})
    pq.write_table(table, tmp_path / "ok.parquet")
    profile = watchkeeper.profile(tmp_path / "ok.parquet")
    assert profile.columns["s"].categories.as_dict() == {"é": 1, "ü": 1, "日本": 1}


def deep_dict(depth: int) -> dict:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("depth", [1_500, 50_000])
def test_records_nested_beyond_any_stack_are_profiled_as_text(depth):
    # pyarrow's conversion of 20,000 levels ends the process; json.dumps of 1,000 raises
    value = deep_dict(depth)
    profile = watchkeeper.profile([{"x": value, "n": 1}, {"x": None, "n": 2}])
    column = profile.columns["x"]
    assert (column.inferred_type, column.null_count, column.distinct_count()) == ("String", 1, 1)
    assert profile.columns["n"].mean == 1.5


def test_object_columns_of_a_dataframe_nested_deeply_are_profiled_as_text():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"x": [deep_dict(30_000), {"b": 1}, None], "n": [1, 2, 3]})
    profile = watchkeeper.profile(frame)
    assert profile.columns["x"].present == 2
    assert profile.columns["n"].mean == 2.0


def test_an_arrow_column_of_structs_deeper_than_the_limit_is_profiled_as_json_text():
    # deeper than MAX_NESTING; pyarrow itself takes seconds to build much deeper tables
    value = deep_dict(200)
    column = watchkeeper.profile(pa.table({"x": pa.array([value, None])})).columns["x"]
    assert (column.inferred_type, column.present) == ("String", 1)
    assert column.distinct.estimate() == 1


def test_json_text_is_json_dumps_at_any_depth():
    shallow = {"b": [1, 2.5, None, "x", {"c": True}], "a": {"z": [], "y": {}}, "é": "ü\n"}
    assert json_text(shallow) == json.dumps(shallow, default=str, sort_keys=True)
    deep = deep_dict(100_000)
    text = json_text(deep)
    assert text.startswith('{"a": {"a": ') and len(text) == 100_000 * 7 + 1
    assert nesting(deep, limit=64) == 65


def test_a_parquet_footer_whose_column_names_are_not_utf8_is_damaged(tmp_path):
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"zzzzzz": [1, 2]}), sink)
    data = sink.getvalue().to_pybytes().replace(b"zzzzzz", b"\xff\xfe\xfd\xfc\xfb\xfa")
    (tmp_path / "names.parquet").write_bytes(data)
    assert "names.parquet: damaged or truncated Parquet file" in failure(tmp_path / "names.parquet")
