"""read_capture: windows of capture files back as rows, output fields first."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from capturing import T0, Clock, csv_record, json_record, utc, write_records

from watchkeeper.capture import CaptureWriter, capture_record, read_capture, record_line
from watchkeeper.errors import UsageError

MONITOR = Path(__file__).parents[1] / "data" / "sagemaker" / "monitor"
HOUR = "churn/AllTraffic/2024/05/01/10"
METADATA = ["__event_id", "__inference_id", "__inference_time"]


def window(root, start="2024-05-01T10:00:00", end="2024-05-01T11:00:00", **kwargs):
    return read_capture(root, "churn", start=utc(start), end=utc(end), **kwargs)


def features(table: pa.Table) -> list[dict]:
    return table.drop_columns(METADATA).to_pylist()


def test_csv_round_trip_through_the_writer(tmp_path):
    clock = Clock(T0 + 61)
    with CaptureWriter(tmp_path, "churn", clock=clock) as writer:
        writer.capture(
            b"5,red,2.5", "text/csv", b"0.9", "text/csv", event_id="a", inference_id="r1"
        )
        clock.advance(1)
        writer.capture(b"7,blue,", "text/csv", b"0.1", "text/csv", event_id="b")
    result = window(tmp_path)
    assert (result.records, result.corrupt_lines, result.files) == (2, 0, 1)
    table = result.table
    assert table.column_names == ["_c0", "_c1", "_c2", "_c3", *METADATA]
    types = [table.schema.field(name).type for name in table.column_names[:4]]
    assert types == [pa.float64(), pa.int64(), pa.string(), pa.float64()]  # output first
    assert features(table) == [
        {"_c0": 0.9, "_c1": 5, "_c2": "red", "_c3": 2.5},
        {"_c0": 0.1, "_c1": 7, "_c2": "blue", "_c3": None},
    ]
    assert table["__event_id"].to_pylist() == ["a", "b"]
    assert table["__inference_id"].to_pylist() == ["r1", None]
    assert table.schema.field("__inference_time").type == pa.timestamp("s", tz="UTC")
    assert table["__inference_time"].to_pylist() == [utc("2024-05-01T10:01:01"),
                                                     utc("2024-05-01T10:01:02")]  # fmt: skip


def test_multi_row_csv_payloads_are_rows(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        csv_record("1,2\r\n3,4\n5,6\n", "0.1\n0.2\n0.3", T0),  # one prediction per row
        csv_record("7,8\n9,10", "1", T0),  # one answer for the whole request: repeated
    ])  # fmt: skip
    result = window(tmp_path)
    assert features(result.table) == [
        {"_c0": 0.1, "_c1": 1, "_c2": 2},
        {"_c0": 0.2, "_c1": 3, "_c2": 4},
        {"_c0": 0.3, "_c1": 5, "_c2": 6},
        {"_c0": 1.0, "_c1": 7, "_c2": 8},
        {"_c0": 1.0, "_c1": 9, "_c2": 10},
    ]
    assert result.records == 2 and result.mismatched_records == 0
    ids = result.table["__event_id"].to_pylist()
    assert ids[0] == ids[1] == ids[2] != ids[3] == ids[4]


def test_quoted_csv_fields_keep_their_commas(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        csv_record('1,"Paris, France"', "0.5", T0), csv_record("2,Lyon", "0.7", T0),
    ])  # fmt: skip
    assert features(window(tmp_path).table) == [
        {"_c0": 0.5, "_c1": 1, "_c2": "Paris, France"},
        {"_c0": 0.7, "_c1": 2, "_c2": "Lyon"},
    ]


def test_rows_that_do_not_pair_up_are_padded_and_counted(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [csv_record("1\n2\n3", "0.1\n0.2", T0)])
    result = window(tmp_path)
    assert result.mismatched_records == 1
    assert features(result.table) == [
        {"_c0": 0.1, "_c1": 1}, {"_c0": 0.2, "_c1": 2}, {"_c0": None, "_c1": 3},
    ]  # fmt: skip


def test_json_named_features_and_an_object_answer(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"age": 41, "plan": "gold", "usage": {"calls": 3}},
                    {"prediction": 1, "probabilities": [0.2, 0.8]}, T0),
        json_record({"age": 29, "plan": "free", "usage": {"calls": 0}},
                    {"prediction": 0, "probabilities": [0.9, 0.1]}, T0),
    ])  # fmt: skip
    table = window(tmp_path).table
    assert table.column_names == [
        "prediction", "probabilities_0", "probabilities_1", "age", "plan", "usage.calls",
        *METADATA,
    ]  # fmt: skip
    assert features(table)[0] == {
        "prediction": 1, "probabilities_0": 0.2, "probabilities_1": 0.8,
        "age": 41, "plan": "gold", "usage.calls": 3,
    }  # fmt: skip


def test_a_list_of_objects_is_rows_and_a_flat_list_one_row(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [json_record([{"x": 1}, {"x": 2}], [0.3, 0.7], T0)])
    assert features(window(tmp_path).table) == [
        {"_c0": 0.3, "_c1": 0.7, "x": 1}, {"_c0": 0.3, "_c1": 0.7, "x": 2},
    ]  # fmt: skip


def test_instances_and_predictions_are_rows(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"instances": [[5, 6], [7, 8]]}, {"predictions": [0.5, 0.6]}, T0),
        json_record({"instances": [{"a": 1}]}, {"predictions": [{"label": "no"}]}, T0),
    ])  # fmt: skip
    assert features(window(tmp_path).table) == [
        {"predictions": 0.5, "label": None, "_c1": 5, "_c2": 6, "a": None},
        {"predictions": 0.6, "label": None, "_c1": 7, "_c2": 8, "a": None},
        {"predictions": None, "label": "no", "_c1": None, "_c2": None, "a": 1},
    ]


def test_a_request_of_lists_is_positioned_after_the_prediction_alone(tmp_path):
    answer = {"predictions": [2], "probabilities": [[0.1, 0.2, 0.7]], "classes": [0, 1, 2]}
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"instances": [[6.9, 3.1]]}, answer, T0),
        csv_record("6.5,3.0", "2", T0),
    ])  # fmt: skip
    # as in the CSV record, whose answer is _c0: the request's fields are _c1 and _c2
    assert features(window(tmp_path).table) == [
        {"predictions": 2, "probabilities_0": 0.1, "probabilities_1": 0.2,
         "probabilities_2": 0.7, "_c0": None, "_c1": 6.9, "_c2": 3.1},
        {"predictions": None, "probabilities_0": None, "probabilities_1": None,
         "probabilities_2": None, "_c0": 2, "_c1": 6.5, "_c2": 3.0},
    ]  # fmt: skip


def test_answers_are_named_as_they_name_themselves(tmp_path):
    answer = {"predictions": [1, 0], "probabilities": [[0.2, 0.8], [0.9, 0.1]],
              "classes": [0, 1]}  # fmt: skip
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record([{"x": 1.5}, {"x": 2.5}], answer, T0),
        json_record({"x": 3.5}, {"predictions": [[1, 2]]}, T0),
    ])  # fmt: skip
    assert features(window(tmp_path).table) == [
        {"predictions": 1, "probabilities_0": 0.2, "probabilities_1": 0.8,
         "predictions_0": None, "predictions_1": None, "x": 1.5},
        {"predictions": 0, "probabilities_0": 0.9, "probabilities_1": 0.1,
         "predictions_0": None, "predictions_1": None, "x": 2.5},
        {"predictions": None, "probabilities_0": None, "probabilities_1": None,
         "predictions_0": 1, "predictions_1": 2, "x": 3.5},
    ]  # fmt: skip


def test_positional_input_after_a_named_answer_continues_the_numbering(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [capture_record(
        b"3,4", "text/csv", json.dumps({"label": "churn", "score": 0.8}), "application/json",
        inference_time_seconds=T0,
    )])  # fmt: skip
    assert features(window(tmp_path).table) == [
        {"label": "churn", "score": 0.8, "_c2": 3, "_c3": 4}
    ]


def test_a_number_answer_and_date_like_strings(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"signup": "2024-01-31", "seen": "2024-02-01T10:00:00"}, 0.25, T0),
    ])  # fmt: skip
    assert features(window(tmp_path).table) == [
        {"_c0": 0.25, "signup": "2024-01-31", "seen": "2024-02-01T10:00:00"}
    ]


def test_objects_read_together_match_objects_read_one_by_one(tmp_path):
    rows = [({"a": i, "b": f"v{i}", "c": [i, i + 1], "d": {"e": None}}, {"p": i / 10})
            for i in range(5)]  # fmt: skip
    write_records(tmp_path / "together" / HOUR / "a.jsonl",
                  [json_record(x, y, T0) for x, y in rows])  # fmt: skip
    # A list payload among them sends the whole lot down the record-by-record path.
    write_records(
        tmp_path / "one-by-one" / HOUR / "a.jsonl",
        [json_record(x, y, T0) for x, y in rows] + [json_record([9], 9, T0)],
    )
    together = window(tmp_path / "together").table
    one_by_one = window(tmp_path / "one-by-one").table
    assert one_by_one.slice(0, 5).select(together.column_names[:-3]) == together.drop_columns(
        METADATA
    )


def test_base64_payloads(tmp_path):
    text = base64.b64encode(b"1,2").decode()
    record = capture_record(b"\x89PNG", "image/png", b"0.5", "text/csv", inference_time_seconds=T0)
    csv_as_base64 = csv_record("x", "0.1", T0)
    csv_as_base64["captureData"]["endpointInput"].update(data=text, encoding="BASE64")
    write_records(tmp_path / HOUR / "a.jsonl", [record, csv_as_base64])
    result = window(tmp_path)
    assert features(result.table) == [{"_c0": 0.5, "_c1": None, "_c2": None},
                                      {"_c0": 0.1, "_c1": 1, "_c2": 2}]  # fmt: skip
    assert result.corrupt_lines == 0


def test_window_spans_hour_folders_and_filters_by_inference_time(tmp_path):
    clock = Clock()
    times = ["09:59:59", "10:00:00", "10:30:00", "10:59:59", "11:00:00"]
    with CaptureWriter(tmp_path, "churn", clock=clock) as writer:
        for moment in times:
            clock.set(utc(f"2024-05-01T{moment}").timestamp())
            writer.capture(b"1", "text/csv", b"2", "text/csv", event_id=moment)
    result = window(tmp_path)
    assert result.table["__event_id"].to_pylist() == ["10:00:00", "10:30:00", "10:59:59"]
    # Folder 09 is read in case it holds 10:00 records; 10 has a file a minute, as written.
    assert result.files == 1 + 3
    wide = window(tmp_path, "2024-05-01T09:00:00", "2024-05-01T12:00:00")
    assert wide.records == 5 and wide.files == 5


def test_a_late_rotated_file_in_the_previous_hour_is_read(tmp_path):
    # A file named for 09:59 whose writer went on into 10:00
    write_records(tmp_path / "churn/AllTraffic/2024/05/01/09/59-58-000-x.jsonl", [
        csv_record("1", "0", T0 - 2, event_id="early"),
        csv_record("2", "0", T0 + 3, event_id="late"),
    ])  # fmt: skip
    write_records(tmp_path / "churn/AllTraffic/2024/05/01/08/00-00-000-y.jsonl",
                  [csv_record("3", "0", T0, event_id="too-far")])  # fmt: skip
    result = window(tmp_path)
    assert result.table["__event_id"].to_pylist() == ["late"]
    assert result.files == 1


def test_variants(tmp_path):
    for variant in ("A", "B"):
        with CaptureWriter(tmp_path, "churn", variant, clock=Clock()) as writer:
            writer.capture(b"1", "text/csv", b"2", "text/csv", event_id=variant)
    assert window(tmp_path).table["__event_id"].to_pylist() == ["A", "B"]
    assert window(tmp_path, variant="B").table["__event_id"].to_pylist() == ["B"]


def test_sagemaker_sdk_csv_capture(tmp_path):
    text = (MONITOR / "capture.jsonl").read_text()
    lines = text.splitlines()
    timed = "\n".join(
        line.replace("{%s}", f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z")
        for i, line in enumerate(lines)
    )
    (tmp_path / HOUR).mkdir(parents=True)
    (tmp_path / HOUR / "12-00-000-sdk.jsonl").write_text(timed)  # no newline at the end
    result = window(tmp_path)
    assert (result.records, result.corrupt_lines) == (len(lines), 0) == (44, 0)
    table = result.table
    assert table.column_names == [f"_c{i}" for i in range(8)] + METADATA
    assert features(table)[0] == dict(zip(
        [f"_c{i}" for i in range(8)], [0.302709460258, 9, 45, 45, 42, 7, 5, 0], strict=True
    ))  # fmt: skip
    assert table["__event_id"][0].as_py() == "74b0dd56-e7c8-368e-94b1-14a138a96000"
    # Whole numbers stay integers (Integral, as in the baseline); the score is Fractional.
    assert [field.type for field in table.schema][:8] == [pa.float64()] + [pa.int64()] * 7


def test_sagemaker_sdk_json_capture(tmp_path):
    (tmp_path / "churn/AllTraffic/2019/11/24/07").mkdir(parents=True)
    data = (MONITOR / "captured-data.jsonl").read_bytes()
    (tmp_path / "churn/AllTraffic/2019/11/24/07/30-50-000-sdk.jsonl").write_bytes(data)
    result = window(tmp_path, "2019-11-24T07:00:00", "2019-11-24T08:00:00")
    assert result.records == 2
    assert features(result.table) == [
        {"predictions": 3.5, "_c1": 1.0}, {"predictions": 4.0, "_c1": 2.0},
        {"predictions": 5.5, "_c1": 5.0},
    ] * 2  # fmt: skip
    assert result.table.schema.field("_c1").type == pa.float64()  # JSON wrote 1.0, not 1
    assert result.table["__inference_time"][0].as_py() == utc("2019-11-24T07:30:50")


def test_corrupt_lines_are_skipped_and_counted(tmp_path):
    good = [csv_record(f"{i},1", "0.5", T0, event_id=f"g{i}") for i in range(3)]
    bad_base64 = csv_record("1", "0.5", T0)
    bad_base64["captureData"]["endpointInput"].update(data="%%%", encoding="BASE64")
    bad_json = json_record({"a": 1}, 1, T0)
    bad_json["captureData"]["endpointOutput"]["data"] = "{not json"
    no_time = csv_record("1", "0.5", T0)
    del no_time["eventMetadata"]["inferenceTime"]
    extra = b"".join([
        b"not json at all\n", b'{"eventVersion":"0"}\n', b"[1, 2]\n",
        record_line(bad_base64), record_line(bad_json), record_line(no_time),
        b'{"captureData": {"endpointInput": {"data": 5}}}\n',
        b"\n",  # a blank line is not a record, nor corrupt
        record_line(good[0])[:40],  # cut short, as by a crash mid-write
    ])  # fmt: skip
    write_records(tmp_path / HOUR / "a.jsonl", good[:2], extra=extra)
    write_records(tmp_path / HOUR / "b.jsonl", good[2:])
    result = window(tmp_path)
    assert result.corrupt_lines == 8
    assert result.records == 3
    assert result.table["__event_id"].to_pylist() == ["g0", "g1", "g2"]


def test_an_empty_window(tmp_path):
    result = window(tmp_path)
    assert (result.records, result.files, result.table.num_rows) == (0, 0, 0)
    assert result.table.column_names == METADATA


def test_naive_times_are_utc_and_the_window_must_not_be_empty(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [csv_record("1", "2", T0 + 5)])
    naive = read_capture(tmp_path, "churn", start=datetime(2024, 5, 1, 10),
                         end=datetime(2024, 5, 1, 10, 0, 6))  # fmt: skip
    assert naive.records == 1
    with pytest.raises(UsageError, match=re.escape("must be before end")):
        window(tmp_path, "2024-05-01T11:00:00", "2024-05-01T10:00:00")


def test_window_bounds_need_not_be_whole_seconds(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        csv_record("1", "0", T0 + 1, event_id="at-1s"),
        csv_record("2", "0", T0 + 2, event_id="at-2s"),
    ])  # fmt: skip
    result = window(tmp_path, "2024-05-01T10:00:00.500", "2024-05-01T10:00:02.500")
    assert result.table["__event_id"].to_pylist() == ["at-1s", "at-2s"]
    result = window(tmp_path, "2024-05-01T10:00:01.500", "2024-05-01T10:00:02")
    assert result.records == 0
