"""Which captured columns a data-quality job judges, under which names."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

import watchkeeper
from watchkeeper.capture import CaptureWriter, read_capture
from watchkeeper.monitor.data_quality_job import features_of

START = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)
T0 = START.timestamp() + 60


def baseline(tmp_path, columns):
    table = pa.table({name: [1.0, 2.0, 3.0] for name in columns})
    return watchkeeper.suggest_baseline(table, tmp_path / "baseline")


def test_csv_and_json_rows_fill_the_baselines_columns(tmp_path):
    with CaptureWriter(tmp_path / "capture", "loans", clock=lambda: T0) as writer:
        writer.capture(b"2.5,7", "text/csv", b"0", "text/csv")
        answer = {"predictions": [1], "probabilities": [[0.2, 0.8]], "classes": [0, 1]}
        writer.capture(json.dumps({"income": 3.5, "debt": 9}), "application/json",
                       json.dumps(answer), "application/json")  # fmt: skip
    window = read_capture(tmp_path / "capture", "loans", start=START, end=END).table
    judged = features_of(window, baseline(tmp_path, ["approved", "income", "debt"]))
    assert judged.to_pylist() == [
        {"approved": 0, "income": 2.5, "debt": 7},
        {"approved": 1, "income": 3.5, "debt": 9},
    ]


def test_rows_wider_than_the_baseline_keep_their_positions(tmp_path):
    window = pa.table({"_c0": [0], "_c1": [2.5], "_c2": [7], "_c3": [1.0]})
    judged = features_of(window, baseline(tmp_path, ["income", "debt", "age"]))
    assert judged.column_names == ["_c0", "_c1", "_c2", "_c3"]
