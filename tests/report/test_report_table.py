"""The per-feature table and its CSV and JSON forms, against NumPy on generated data."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.profile import DatasetProfile
from watchkeeper.report import FEATURE_FIELDS, feature_table, table_csv, table_json

ROWS = 1500
COLOURS = ["red", "green", "blue", 'comma, "quote"\nnewline', "<script>alert(1)</script>"]


def generated() -> tuple[pa.Table, dict[str, np.ndarray]]:
    """A table with numeric, text, boolean and empty columns, and the masks of its nulls."""
    rng = np.random.default_rng(20240611)
    masks = {
        name: rng.random(ROWS) < share
        for name, share in [("price", 0.1), ("units", 0.25), ("colour", 0.05), ("flag", 0.5)]
    }
    price = rng.lognormal(3.0, 1.0, ROWS)
    units = rng.integers(-40, 40, ROWS)
    colour = rng.choice(COLOURS, ROWS, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    flag = rng.random(ROWS) < 0.3
    table = pa.table(
        {
            "price": pa.array(np.where(masks["price"], np.nan, price)),
            "units": pa.array(units, mask=masks["units"]),
            "colour": pa.array(colour.tolist(), mask=masks["colour"]),
            "flag": pa.array(flag, mask=masks["flag"]),
            "empty": pa.nulls(ROWS, pa.float64()),
        }
    )
    values = {"price": price, "units": units, "colour": colour, "flag": flag}
    return table, {name: (values[name], masks[name]) for name in values}


def profile_of(table: pa.Table) -> DatasetProfile:
    profile = DatasetProfile()
    for batch in table.to_batches(max_chunksize=400):  # several batches, merged as they come
        profile.track(batch)
    return profile


@pytest.fixture(scope="module")
def data():
    table, columns = generated()
    return table, columns, {row["feature"]: row for row in feature_table(profile_of(table))}


def test_rows_have_the_public_fields_in_column_order(data):
    table, _, rows = data
    assert list(rows) == table.column_names
    assert all(tuple(row) == FEATURE_FIELDS for row in rows.values())


@pytest.mark.parametrize("name", ["price", "units"])
def test_numeric_figures_equal_numpy(data, name):
    _, columns, rows = data
    values, mask = columns[name]
    present = values[~mask].astype(np.float64)
    row = rows[name]
    assert row["rows"] == ROWS
    assert row["missing"] == int(mask.sum())
    assert row["missing_pct"] == pytest.approx(100.0 * mask.mean(), rel=1e-12)
    assert row["mean"] == pytest.approx(np.mean(present), rel=1e-12)
    assert row["std"] == pytest.approx(np.std(present, ddof=0), rel=1e-12)
    assert row["min"] == np.min(present)
    assert row["max"] == np.max(present)
    assert row["distinct"] == len(np.unique(present))
    # below 2,050 values the sketch keeps every value: the median is exact
    assert row["p50"] == np.quantile(present, 0.5, method="inverted_cdf")
    assert row["top_value"] is None
    assert row["type"] == ("Fractional" if name == "price" else "Integral")


@pytest.mark.parametrize("name", ["colour", "flag"])
def test_categorical_figures_equal_numpy(data, name):
    _, columns, rows = data
    values, mask = columns[name]
    present = values[~mask]
    texts = np.char.lower(present.astype(str)) if name == "flag" else present
    distinct, counts = np.unique(texts, return_counts=True)
    row = rows[name]
    assert row["missing_pct"] == pytest.approx(100.0 * mask.mean(), rel=1e-12)
    assert row["distinct"] == len(distinct)
    assert row["top_value"] == distinct[np.argmax(counts)]
    assert row["mean"] is row["std"] is row["min"] is row["max"] is row["p50"] is None
    assert row["type"] == ("String" if name == "colour" else "Boolean")


def test_an_all_null_column_has_no_statistics(data):
    row = data[2]["empty"]
    assert row["missing"] == ROWS and row["missing_pct"] == 100.0
    assert row["type"] == "Unknown" and row["distinct"] == 0
    assert all(row[key] is None for key in ("mean", "std", "min", "max", "p50", "top_value"))


def test_csv_parses_back_to_the_same_values(data):
    rows = list(data[2].values())
    parsed = list(csv.DictReader(io.StringIO(table_csv(rows))))
    assert len(parsed) == len(rows)
    for row, back in zip(rows, parsed, strict=True):
        assert list(back) == list(FEATURE_FIELDS)
        for key, value in row.items():
            cell = back[key]
            if value is None:
                assert cell == ""
            elif isinstance(value, float):
                assert float(cell) == value  # exactly: printed in round-trip form
            elif isinstance(value, int):
                assert int(cell) == value
            else:
                assert cell == value


def test_json_is_strict_and_equal_to_the_rows(data):
    rows = list(data[2].values())

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    assert json.loads(table_json(rows), parse_constant=refuse) == rows


def test_equal_profiles_give_equal_bytes():
    first, second = profile_of(generated()[0]), profile_of(generated()[0])
    assert table_json(feature_table(first)) == table_json(feature_table(second))
    assert table_csv(feature_table(first)) == table_csv(feature_table(second))


def test_infinities_are_kept_in_csv_and_null_in_json():
    profile = DatasetProfile()
    profile.track(pa.table({"x": [1.0, math.inf, -math.inf]}))
    rows = feature_table(profile)
    assert rows[0]["max"] == math.inf and rows[0]["min"] == -math.inf
    back = next(csv.DictReader(io.StringIO(table_csv(rows))))
    assert float(back["max"]) == math.inf
    document = json.loads(table_json(rows))
    assert document[0]["max"] is None and document[0]["min"] is None


def test_an_empty_profile_gives_a_header_only():
    rows = feature_table(DatasetProfile())
    assert rows == []
    assert table_csv(rows) == ",".join(FEATURE_FIELDS) + "\n"
    assert json.loads(table_json(rows)) == []


def test_zero_rows_keep_their_columns():
    profile = DatasetProfile()
    # a table without rows has no batches; a reader hands over an empty batch
    empty = {"x": pa.array([], pa.float64()), "s": pa.array([], pa.string())}
    profile.track(pa.record_batch(empty))
    rows = feature_table(profile)
    assert [(row["feature"], row["rows"], row["missing_pct"]) for row in rows] == [
        ("x", 0, 0.0),
        ("s", 0, 0.0),
    ]


FORMULAS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", "\t=1", "\r=1", "=HYPERLINK(\"x\")"]


@pytest.mark.parametrize("name", FORMULAS)
def test_text_a_spreadsheet_would_run_is_marked_as_text_in_csv_only(name):
    profile = DatasetProfile()
    profile.track(pa.table({name: ["a"], "n": [1]}))
    rows = feature_table(profile)
    cells = list(csv.DictReader(io.StringIO(table_csv(rows), newline="")))
    assert cells[0]["feature"] == "'" + name
    assert json.loads(table_json(rows))[0]["feature"] == name  # exact in JSON


def test_negative_numbers_stay_numbers_and_top_values_are_escaped():
    profile = DatasetProfile()
    profile.track(
        pa.table(
            {
                "delta": [-1.5, -2.5, -1.5],
                "code": ["-7", "-7", "x"],
                "formula": ["=A1*2", "=A1*2", "b"],
                "date": ["-2024-01", "-2024-01", "x"],
            }
        )
    )
    cells = {
        row["feature"]: row
        for row in csv.DictReader(io.StringIO(table_csv(feature_table(profile)), newline=""))
    }
    assert (cells["delta"]["min"], cells["delta"]["mean"]) == ("-2.5", "-1.8333333333333333")
    assert cells["code"]["top_value"] == "-7"  # a plain number, which no spreadsheet runs
    assert cells["formula"]["top_value"] == "'=A1*2"
    assert cells["date"]["top_value"] == "'-2024-01"


def test_a_carriage_return_in_a_name_stays_inside_its_cell():
    profile = DatasetProfile()
    profile.track(pa.table({"a\rb": [1], "c\r\nd": ["x"], "e": [2]}))
    text = table_csv(feature_table(profile))
    assert text.endswith("\n") and "\r\n" not in text.replace('"c\r\nd"', "")
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["feature"] for row in parsed] == ["a\rb", "c\r\nd", "e"]
