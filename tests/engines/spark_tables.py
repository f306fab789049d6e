"""Test data and comparisons shared by the Spark engine's tests.

``write_parquet_folder`` writes a multi-file Parquet folder holding every column kind
the readers produce; ``assert_same_statistics`` applies the rule a profile computed on
Spark must meet against the local one: counts, minima and maxima exact, means, sums and
deviations to 1e-9 relative, quantile buckets within the two sketches' rank error and
distinct counts within the theta sketch's bounds.
"""

from __future__ import annotations

import datetime
import decimal
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

needs_java = pytest.mark.skipif(
    shutil.which("java") is None,
    reason="Java is not installed: the Spark engine's tests need a JVM (openjdk-17-jre-headless)",
)

RELATIVE = 1e-9
# distinct values in one column: beyond the 4,096 kept exactly, so the estimate is tested
MANY = 6_000


def mixed_table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    floats = rng.normal(10.0, 3.0, rows)
    floats[rng.random(rows) < 0.05] = np.nan
    return pa.table(
        {
            "price": pa.array(floats, mask=rng.random(rows) < 0.05),
            "count": pa.array(rng.integers(-50, 5_000, rows), type=pa.int64()),
            "small": pa.array(rng.integers(0, 9, rows), type=pa.int32()),
            "colour": pa.array(rng.choice(["red", "green", "blue", "teal"], rows)),
            "ident": pa.array([f"id-{value}" for value in rng.integers(0, MANY * 2, rows)]),
            "flag": pa.array(rng.random(rows) < 0.3),
            "seen": pa.array(
                [start + datetime.timedelta(minutes=int(m)) for m in rng.integers(0, 500, rows)],
                type=pa.timestamp("us", tz="UTC"),
            ),
            "day": pa.array(
                [
                    datetime.date(2024, 3, 1) + datetime.timedelta(days=int(d) % 40)
                    for d in rng.integers(0, 40, rows)
                ]
            ),
            "amount": pa.array(
                [decimal.Decimal(int(c)) / 100 for c in rng.integers(0, 100_000, rows)],
                type=pa.decimal128(12, 2),
            ),
            "nothing": pa.nulls(rows, pa.string()),
        }
    )


def write_parquet_folder(folder: Path, files: int = 3, rows: int = 6_000, seed: int = 0) -> Path:
    """``files`` Parquet files of ``rows`` rows, in row groups small enough to split."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        table = mixed_table(rows, seed + index)
        pq.write_table(table, folder / f"part-{index}.parquet", row_group_size=1_500)
    return folder


def assert_same_statistics(
    expected: dict, actual: dict, rank_error: float, typed_text: bool = True
) -> None:
    """``actual`` (a statistics.json document) agrees with ``expected`` per the rule.

    ``rank_error`` is the sum of both sides' KLL rank-error bounds (a share of rows).
    ``typed_text=False`` leaves out the whole-number hint (``integral_valued``) that only
    a reader that typed text as floating point has (CSV on Spark stays text).
    """
    assert actual["dataset"] == expected["dataset"]
    assert [f["name"] for f in actual["features"]] == [f["name"] for f in expected["features"]]
    for want, got in zip(expected["features"], actual["features"], strict=True):
        name = want["name"]
        assert got["inferred_type"] == want["inferred_type"], name
        kind = next(key for key in want if key.endswith("_statistics"))
        _same_statistics(want[kind], got[kind], rank_error, name)
    extension, theirs = expected["watchkeeper"]["features"], actual["watchkeeper"]["features"]
    for name, mine in extension.items():
        other = theirs[name]
        assert other["type_counts"] == mine["type_counts"], name
        if typed_text:
            assert other["integral_valued"] == mine["integral_valued"], name
        if "moments" in mine:
            _same_moments(mine["moments"], other["moments"], name)
        if "categories" in mine and "exact" in mine["categories"]:
            assert dict(map(tuple, other["categories"]["exact"])) == dict(
                map(tuple, mine["categories"]["exact"])
            ), name


def _same_statistics(want: dict, got: dict, rank_error: float, name: str) -> None:
    assert got["common"] == want["common"], name
    present = want["common"]["num_present"]
    for key in ("min", "max"):
        if key in want:
            assert got[key] == want[key], (name, key)
    for key in ("mean", "sum", "std_dev"):
        if key in want:
            scale = max(abs(want.get("min", 0.0)), abs(want.get("max", 0.0)), 1e-300)
            assert math.isclose(got[key], want[key], rel_tol=RELATIVE, abs_tol=1e-12 * scale), (
                name,
                key,
                got[key],
                want[key],
            )
    if "distinct_count" in want:
        _same_distinct(want["distinct_count"], got["distinct_count"], name)
    distribution = want.get("distribution", {})
    if "kll" in distribution:
        mine, theirs = distribution["kll"]["buckets"], got["distribution"]["kll"]["buckets"]
        assert len(theirs) == len(mine), name
        for a, b in zip(mine, theirs, strict=True):
            assert math.isclose(a["lower_bound"], b["lower_bound"], rel_tol=RELATIVE)
            assert math.isclose(a["upper_bound"], b["upper_bound"], rel_tol=RELATIVE)
            # a bucket's count is a difference of two ranks, each within the bound
            assert abs(a["count"] - b["count"]) <= 2 * rank_error * present + 1, (name, a, b)
    if "categorical" in distribution:
        mine = {b["value"]: b["count"] for b in distribution["categorical"]["buckets"]}
        theirs = {b["value"]: b["count"] for b in got["distribution"]["categorical"]["buckets"]}
        if len(mine) <= 1000 and want.get("distinct_count", 0) <= 1000:
            assert theirs == mine, name


def _same_distinct(want: float, got: float, name: str) -> None:
    if want <= 4096:
        assert got == want, name  # exact below the sketch's nominal size
    else:
        # two standard deviations of a theta sketch with 2**17 entries, on each side
        assert abs(got - want) <= 2 * 2 * want / math.sqrt(2**17), (name, got, want)


def _same_moments(want: dict[str, Any], got: dict[str, Any], name: str) -> None:
    for key in ("n", "min", "max"):
        assert got[key] == want[key], (name, key)
    n = max(want["n"], 1)
    spread = math.sqrt(max(want["m2"], 0.0) / n) or 1.0
    for key, power in (("total", 0), ("mean", 0), ("m2", 2), ("m3", 3), ("m4", 4)):
        scale = n * spread**power if power else max(abs(want["min"]), abs(want["max"]), 1.0)
        assert math.isclose(got[key], want[key], rel_tol=RELATIVE, abs_tol=1e-11 * scale), (
            name,
            key,
            got[key],
            want[key],
        )


def drifted_table(rows: int, seed: int) -> pa.Table:
    """A day unlike the training data: prices shifted, new colours, malformed ids."""
    table = mixed_table(rows, seed)
    rng = np.random.default_rng(seed)
    price = pa.compute.add(table["price"], 4.0)
    colours = rng.choice(["red", "green", "purple", "black"], rows)
    idents = np.array(table["ident"].to_pylist(), dtype=object)
    idents[rng.random(rows) < 0.02] = "broken"
    idents[:3] = ["bad-1", "bad-2", "bad-1"]
    table = table.set_column(0, "price", price)
    table = table.set_column(3, "colour", pa.array(colours))
    return table.set_column(4, "ident", pa.array(idents.tolist(), type=pa.string()))


RULES = """\
rows: {min: 10}
defaults: {max_missing: 0.5}
columns:
  ident: {regex: '^id-[0-9]+$'}
  count: {min: 0, max: 4000}
  colour: {allowed: [red, green, blue, teal]}
"""


def violation_rows(violations) -> list[tuple[str, str]]:
    return [(v.feature_name, v.constraint_check_type) for v in violations]


def assert_same_violations(expected, actual, tolerance: float = 0.0) -> None:
    """The same checks broken, with the same texts; figures a sketch estimates (drift
    distances, shares read from a quantile sketch) within ``tolerance``."""
    assert violation_rows(actual) == violation_rows(expected)
    for want, got in zip(expected, actual, strict=True):
        if tolerance and want.observed is not None:
            assert got.observed == pytest.approx(want.observed, abs=tolerance), want
        else:
            assert got.to_dict() == want.to_dict()


def rank_error_of(*documents: dict) -> float:
    """The sum of the documents' largest KLL rank-error bounds (statistics.json)."""
    total = 0.0
    for document in documents:
        bounds = [
            feature["kll"]["error_weight"] / feature["moments"]["n"]
            for feature in document["watchkeeper"]["features"].values()
            if "kll" in feature and feature["moments"]["n"]
        ]
        total += max(bounds, default=0.0)
    return total


def write_csv(path: Path, table: pa.Table, delimiter: str) -> Path:
    """``table`` as CSV text with missing values spelt ``NA``."""
    columns = [name for name in table.column_names if name != "seen"]
    lines = [delimiter.join(columns)]
    rows = table.select(columns).to_pylist()
    for row in rows:
        lines.append(delimiter.join("NA" if row[c] is None else str(row[c]) for c in columns))
    path.write_text("\n".join(lines) + "\n")
    return path


def assert_same_verdicts(local: list[dict], spark: list[dict]) -> None:
    """Two ``--json`` lists of violations: the same checks broken, regex mismatches
    counted exactly, figures read from sketches within 0.02."""
    assert [(v["feature_name"], v["constraint_check_type"]) for v in spark] == [
        (v["feature_name"], v["constraint_check_type"]) for v in local
    ]
    for want, got in zip(local, spark, strict=True):
        if want["constraint_check_type"] == "regex_check":
            assert got["details"]["mismatched"] == want["details"]["mismatched"]
        elif want["observed"] is not None:
            assert got["observed"] == pytest.approx(want["observed"], abs=0.02)
