"""The baseline's row sample: bounded, seeded, uniform over the whole input."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.errors import FormatError
from watchkeeper.multivariate import RowSample, sample_bytes, sample_from_bytes


def _batches(rows: int, batch_rows: int):
    for start in range(0, rows, batch_rows):
        stop = min(start + batch_rows, rows)
        index = np.arange(start, stop)
        yield pa.record_batch(
            {
                "row": index.astype(np.int64),
                "flag": index % 2 == 0,
                "colour": pa.array(np.array(["red", "green", "blue"])[index % 3]),
                "id": pa.array([f"id-{i}" for i in index]),
                "when": pa.array(index, pa.timestamp("s")),
            }
        )


def _sampled(rows: int, batch_rows: int, size: int, seed: int) -> pa.Table:
    sample = RowSample(size=size, seed=seed)
    for batch in _batches(rows, batch_rows):
        sample.observe(batch)
    assert sample.rows_seen == rows
    return sample.table()


def test_the_sample_is_bounded_and_keeps_numbers_and_few_categories():
    table = _sampled(50_000, 4_096, 1_000, 0)
    assert table.num_rows == 1_000
    # the identifier (a value per row) and the timestamps are left out
    assert table.column_names == ["row", "flag", "colour"]
    assert table.schema.field("row").type == pa.float64()
    assert table.schema.field("flag").type == pa.float64()
    rows = table["row"].to_numpy()
    assert len(np.unique(rows)) == 1_000
    # the booleans and categories are those of the rows kept
    assert np.array_equal(table["flag"].to_numpy(), (rows % 2 == 0).astype(float))
    colours = np.array(table["colour"].to_pylist())
    assert np.array_equal(colours, np.array(["red", "green", "blue"])[rows.astype(int) % 3])


def test_the_sample_is_uniform_over_the_whole_input_whatever_the_batches():
    rows, size, runs = 2_000, 200, 200
    kept = np.zeros(rows)
    for seed in range(runs):
        kept[_sampled(rows, 300 + seed, size, seed)["row"].to_numpy().astype(int)] += 1
    share = kept / runs
    # each row is kept with probability size / rows = 0.1, the early ones as the late ones
    assert abs(share.mean() - 0.1) < 1e-12
    quarters = share.reshape(4, -1).mean(axis=1)
    assert np.all(np.abs(quarters - 0.1) < 0.006), quarters
    assert share.max() < 0.2


def test_the_same_seed_gives_the_same_sample():
    first = _sampled(20_000, 1_000, 500, 7)
    assert first.equals(_sampled(20_000, 1_000, 500, 7))
    assert not first.equals(_sampled(20_000, 1_000, 500, 8))


def test_a_short_input_is_kept_whole():
    table = _sampled(30, 7, 1_000, 0)
    assert sorted(table["row"].to_pylist()) == list(range(30))


def test_a_column_whose_values_change_kind_keeps_its_first_kind():
    sample = RowSample(size=10)
    sample.observe(pa.record_batch({"x": [1.0, 2.0]}))
    sample.observe(pa.record_batch({"x": ["three", "four"]}))
    table = sample.table()
    assert table.schema.field("x").type == pa.float64()
    assert table["x"].to_pylist() == [1.0, 2.0, None, None]


def test_merged_samples_of_parts_are_uniform_over_the_whole_input():
    # four parts of very different sizes, sampled apart (a seed each) and merged in order
    sizes, size, runs = [100, 300, 600, 1_000], 200, 200
    starts = np.cumsum([0, *sizes])
    kept = np.zeros(starts[-1])
    for run in range(runs):
        merged = RowSample(size=size, seed=run)
        for part, (start, stop) in enumerate(itertools.pairwise(starts)):
            sample = RowSample(size=size, seed=[run, part])
            sample.observe(pa.record_batch({"row": np.arange(start, stop)}))
            merged.merge(sample)
        table = merged.table()
        assert table.num_rows == size and merged.rows_seen == starts[-1]
        kept[table["row"].to_numpy().astype(int)] += 1
    shares = [kept[start:stop].mean() / runs for start, stop in itertools.pairwise(starts)]
    # every row is kept with probability 200 / 2,000, in the small parts as in the large
    assert np.allclose(shares, 0.1, atol=0.012), shares


def test_a_merged_column_read_as_another_kind_is_left_null():
    numbers, text = RowSample(size=10, seed=[0, 0]), RowSample(size=10, seed=[0, 1])
    numbers.observe(pa.record_batch({"x": [1.0, 2.0], "y": [1.0, 1.0]}))
    text.observe(pa.record_batch({"x": ["three", "four"], "y": [2.0, 2.0]}))
    numbers.merge(text)
    table = numbers.table()
    assert table.schema.field("x").type == pa.float64()
    assert table["x"].to_pylist() == [1.0, 2.0, None, None]
    assert table["y"].to_pylist() == [1.0, 1.0, 2.0, 2.0]


def test_the_sample_file_reads_back_and_a_bad_one_is_refused(tmp_path):
    table = _sampled(5_000, 1_000, 100, 0)
    assert sample_from_bytes(sample_bytes(table), "s.parquet").equals(table)
    with pytest.raises(FormatError, match=r"^s\.parquet: not a readable Parquet sample"):
        sample_from_bytes(b"PAR1 not really", "s.parquet")
    odd = sample_bytes(pa.table({"when": pa.array([0], pa.timestamp("s"))}))
    with pytest.raises(FormatError, match="column 'when' is timestamp"):
        sample_from_bytes(odd, "s.parquet")
