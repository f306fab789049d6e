"""Text given as Arrow dictionaries (Parquet's dictionary pages, categoricals) profiles
exactly as the same text given as strings: the same bytes, whatever the encoding."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from watchkeeper.errors import InputError
from watchkeeper.io import read_batches
from watchkeeper.profile import DatasetProfile, build_profile, profile_to_bytes


def profile_bytes(*arrays: pa.Array) -> bytes:
    profile = DatasetProfile()
    for array in arrays:
        profile.track(pa.record_batch({"s": array}))
    return profile_to_bytes(profile)


def as_dictionary(texts: list[str | None], order: list[str | None]) -> pa.DictionaryArray:
    """``texts`` encoded against the dictionary ``order`` (which may hold more values)."""
    position = {value: index for index, value in enumerate(order)}
    indices = pa.array([None if t is None else position[t] for t in texts], pa.int32())
    return pa.DictionaryArray.from_arrays(indices, pa.array(order, pa.string()))


def test_a_dictionary_in_another_order_gives_the_bytes_of_the_decoded_text():
    # more distinct values than the frequent-items map holds, all equally frequent:
    # which ones the sketch keeps depends on the order it sees them in
    values = [f"v{i}" for i in range(3000)]
    texts = [*values, *values[:1000]]
    order = [*reversed(values), "never used"]
    encoded = as_dictionary(texts, order)
    assert profile_bytes(encoded) == profile_bytes(pa.array(texts, pa.string()))


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (["b", None, "a", "b", "12", "true"], ["true", "12", "a", "b", "unused"]),
        (["x", "y", "x", None], ["y", None, "x"]),  # a null inside the dictionary
        (["x", "y", "x"], ["y", "x", "y"]),  # a dictionary repeating a value
        ([None, None], ["a"]),
        ([], ["a", "b"]),
    ],
)
def test_dictionary_arrays_profile_as_their_decoded_text(texts, order):
    encoded = as_dictionary(texts, order)
    decoded = encoded.cast(pa.string())
    assert profile_bytes(encoded, encoded) == profile_bytes(decoded, decoded)


def categorical_parquet(path, rows: int, row_group: int) -> None:
    rng = np.random.default_rng(5)
    words = np.array([f"w{i}" if i % 5 else f"{i}.25" for i in range(3000)], dtype=object)
    few = np.array(["red", "green", "blue", None], dtype=object)
    table = pa.table(
        {
            "many": pa.array(words[rng.integers(0, 3000, rows)].tolist(), pa.string()),
            "few": pa.array(few[rng.integers(0, 4, rows)].tolist(), pa.string()),
            "ids": pa.array([f"id-{i}" for i in rng.permutation(rows).tolist()]),
            "x": rng.normal(size=rows),
        }
    )
    pq.write_table(table, path, row_group_size=row_group)


def test_a_parquet_file_read_as_dictionaries_profiles_as_read_as_text(tmp_path):
    path = tmp_path / "categories.parquet"
    categorical_parquet(path, rows=49_152, row_group=16_384)
    first = next(iter(read_batches(path, batch_rows=4096, dictionaries=True)))
    assert pa.types.is_dictionary(first.schema.field("many").type)
    assert pa.types.is_dictionary(first.schema.field("few").type)
    assert first.schema.field("ids").type == pa.string()  # plain pages: read as text
    fast = build_profile(path, batch_rows=4096)
    as_text = build_profile(path, batch_rows=4096, observers=[lambda batch: None])
    assert profile_to_bytes(fast) == profile_to_bytes(as_text)
    assert profile_to_bytes(fast, "json") == profile_to_bytes(as_text, "json")


def test_row_groups_that_batches_straddle_are_read_as_text(tmp_path):
    # Arrow would end a batch of dictionaries at each row group; the batches, and so
    # the moments summed batch by batch, would differ from those of text
    path = tmp_path / "categories.parquet"
    categorical_parquet(path, rows=30_000, row_group=10_000)
    kinds = {
        batch.schema.field("few").type
        for batch in read_batches(path, batch_rows=4096, dictionaries=True)
    }
    assert kinds == {pa.string()}


def test_text_stays_text_unless_the_reader_is_asked_for_dictionaries(tmp_path):
    path = tmp_path / "categories.parquet"
    categorical_parquet(path, rows=8192, row_group=8192)
    first = next(iter(read_batches(path)))
    assert first.schema.field("few").type == pa.string()


def test_invalid_utf8_in_a_dictionary_column_names_its_row(tmp_path):
    raw = pa.array([b"ok", b"fine", b"\xff bad"], pa.binary())
    text = pa.Array.from_buffers(pa.string(), 3, raw.buffers())
    indices = pa.array([0, 1] * 3000 + [2] + [0] * 1000, pa.int32())
    column = pa.DictionaryArray.from_arrays(indices, text).cast(pa.string())
    pq.write_table(pa.table({"s": column}), tmp_path / "bad.parquet", row_group_size=8192)
    with pytest.raises(InputError) as caught:
        build_profile(tmp_path / "bad.parquet", batch_rows=4096)
    assert str(caught.value) == (
        f"{tmp_path / 'bad.parquet'}: column 's' holds text that is not valid UTF-8 (row 6001)"
        "; Parquet text must be UTF-8: fix the writer, or store the column as binary"
    )
