"""Capture files nobody should write, read all the same: every bad line counted, never a
crash of the reading process."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap

import pyarrow as pa
import pytest
from capturing import T0, csv_record, json_record, utc, write_records

from watchkeeper.capture import read_capture, record_line
from watchkeeper.capture.layout import check_name
from watchkeeper.capture.payloads import JSON_BLOCK
from watchkeeper.errors import UsageError

HOUR = "churn/AllTraffic/2024/05/01/10"
METADATA = ["__event_id", "__inference_id", "__inference_time"]


def window(root):
    return read_capture(root, "churn", start=utc("2024-05-01T10:00:00"),
                        end=utc("2024-05-01T11:00:00"))  # fmt: skip


def read_in_a_process(root) -> tuple[int, int]:
    """Records and corrupt lines of the window, read by a separate Python process: a
    reader that crashes must fail this test, not end the test run."""
    script = textwrap.dedent(f"""
        from datetime import UTC, datetime
        from watchkeeper.capture import read_capture
        window = read_capture({str(root)!r}, "churn", start=datetime(2024, 5, 1, 10, tzinfo=UTC),
                              end=datetime(2024, 5, 1, 11, tzinfo=UTC))
        print(window.records, window.corrupt_lines)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    records, corrupt = map(int, done.stdout.split())
    return records, corrupt


def test_a_file_that_starts_with_null_is_read(tmp_path):
    good = [csv_record(f"{i},1", "0.5", T0) for i in range(3)]
    write_records(tmp_path / HOUR / "a.jsonl", good, extra=b"null\n")
    (tmp_path / HOUR / "b.jsonl").write_bytes(b"null\n" + b"".join(map(record_line, good)))
    (tmp_path / HOUR / "c.jsonl").write_bytes(b"  null\n\n")
    assert read_in_a_process(tmp_path) == (6, 3)


def test_null_at_the_start_of_a_later_block_is_read(tmp_path):
    # Arrow parses blocks of JSON_BLOCK bytes, each starting after the last line break
    # of the one before: the null line below straddles the first block's end.
    line = record_line(csv_record("1,2,3", "0.5", T0))
    lines = (JSON_BLOCK - 50) // len(line) - 1
    padding = JSON_BLOCK - 50 - lines * len(line) - len(line)
    last = line[:-1] + b" " * padding + b"\n"  # whitespace after a record is allowed
    text = line * lines + last + b"null" + b" " * 100 + b"\n" + line * 5
    assert len(line * lines + last) < JSON_BLOCK < len(line * lines + last) + 105
    write_records(tmp_path / HOUR / "a.jsonl", [], extra=text)
    assert read_in_a_process(tmp_path) == (lines + 6, 1)


def test_text_that_is_not_utf8_is_a_corrupt_line(tmp_path):
    good = csv_record("1,2", "0.5", T0)
    bad = record_line(good).replace(b'"1,2"', b'"1,\xff"')
    lone = record_line(good).replace(b'"1,2"', b'"1,\\ud800"')
    write_records(tmp_path / HOUR / "a.jsonl", [good], extra=bad + lone)
    result = window(tmp_path)
    assert (result.records, result.corrupt_lines) == (1, 2)


def test_json_payloads_with_text_that_is_not_utf8_are_corrupt(tmp_path):
    good = json_record({"a": 1}, 0.5, T0)
    lone = json_record({"a": 1}, 0.5, T0)
    lone["captureData"]["endpointInput"]["data"] = '{"a": "\\ud800"}'
    named = json_record({"a": 1}, 0.5, T0)
    named["captureData"]["endpointInput"]["data"] = '{"\\udc00": 1}'
    write_records(tmp_path / HOUR / "a.jsonl", [good, lone, named])
    result = window(tmp_path)
    assert (result.records, result.corrupt_lines) == (1, 2)


def test_lists_that_start_with_null_keep_their_places(tmp_path):
    # Arrow's JSON reader drops the leading nulls of such a list and builds an array
    # whose offsets point past its values.
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"a": [None, 1], "b": [None, None, 2.5]}, 0.5, T0),
        json_record({"a": [3, None], "b": [1.5]}, 0.5, T0),
    ])  # fmt: skip
    table = window(tmp_path).table
    assert table.drop_columns(METADATA).to_pylist() == [
        {"_c0": 0.5, "a_0": None, "a_1": 1, "b_0": None, "b_1": None, "b_2": 2.5},
        {"_c0": 0.5, "a_0": 3, "a_1": None, "b_0": 1.5, "b_1": None, "b_2": None},
    ]


def test_payloads_without_fields_still_give_rows(tmp_path):
    empty = json_record({}, {}, T0, event_id="e1")
    del empty["captureData"]["endpointInput"]
    write_records(tmp_path / HOUR / "a.jsonl", [empty])
    result = window(tmp_path)
    assert (result.records, result.corrupt_lines) == (1, 0)
    assert result.table.column_names == METADATA
    assert result.table["__event_id"].to_pylist() == ["e1"]


def test_a_name_that_only_looks_positional_is_a_name(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"b": 1, "_c0\n": 2, "_c٣": 3}, 0.5, T0),
    ])  # fmt: skip
    table = window(tmp_path).table
    assert table.column_names == ["_c0", "b", "_c0\n", "_c٣", *METADATA]
    assert table.schema.field("_c0\n").type == pa.int64()


@pytest.mark.parametrize("name", ["churn\n", "churn/../x", "", " churn", "churn\x00"])
def test_folder_names_match_whole(name):
    with pytest.raises(UsageError, match="cannot name a capture folder"):
        check_name("endpoint", name)


def test_a_payload_field_cannot_pose_as_the_records_own_ids(tmp_path):
    write_records(tmp_path / HOUR / "a.jsonl", [
        json_record({"a": 1, "__inference_id": "forged", "__event_id": "forged"}, 0.5, T0,
                    event_id="e1", inference_id="i1"),
    ])  # fmt: skip
    table = window(tmp_path).table
    assert table.column_names == ["_c0", "a", "__inference_id_payload", "__event_id_payload",
                                  *METADATA]  # fmt: skip
    assert (table["__event_id"][0].as_py(), table["__inference_id"][0].as_py()) == ("e1", "i1")


def test_any_line_break_ends_a_csv_row_and_long_fields_are_fields(tmp_path):
    long = "x" * 200_000  # beyond the csv module's field size limit
    encoded = csv_record("0", "0.5", T0)
    encoded["captureData"]["endpointInput"].update(
        data=base64.b64encode(f'1,"{long}",3'.encode()).decode(), encoding="BASE64"
    )
    write_records(tmp_path / HOUR / "a.jsonl", [
        csv_record('1,"a\rb",3\r4,5,6', "0.5", T0),  # a lone \r, quoted or not, ends a row
        csv_record(f'1,"{long}",3', "0.5", T0),
        encoded,
        csv_record(f'1,"a,{long}",3', "0.5", T0),  # a quoted comma: read line by line
    ])  # fmt: skip
    result = window(tmp_path)
    assert (result.records, result.corrupt_lines) == (4, 0)
    rows = result.table.drop_columns(METADATA).to_pylist()
    assert [row["_c1"] for row in rows] == ["1", 'b"', "4", "1", "1", "1"]
    assert [len(row["_c2"]) for row in rows] == [1, 1, 1, 200_000, 200_000, 200_002]
    assert rows[3] == rows[4]  # the same payload, as text or as base64
    assert rows[5]["_c2"].startswith("a,x") and rows[5]["_c3"] == 3
