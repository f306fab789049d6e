"""Capture records field by field, as FORMATS.md §1 describes them."""

from __future__ import annotations

import base64
import json
import re
import uuid

from capturing import T0, Clock, records_in

from watchkeeper.capture import CaptureWriter, capture_record, record_line
from watchkeeper.capture.record import encode_payload, inference_time

Z_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_csv_record_has_exactly_the_sagemaker_fields():
    record = capture_record(
        b"132,10,182.9", "text/csv", b"0.0363", "text/csv; charset=utf-8",
        inference_time_seconds=T0,
    )  # fmt: skip
    assert list(record) == ["captureData", "eventMetadata", "eventVersion"]
    assert list(record["captureData"]) == ["endpointInput", "endpointOutput"]
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "text/csv",
        "mode": "INPUT",
        "data": "132,10,182.9",
        "encoding": "CSV",
    }
    assert record["captureData"]["endpointOutput"] == {
        "observedContentType": "text/csv; charset=utf-8",
        "mode": "OUTPUT",
        "data": "0.0363",
        "encoding": "CSV",
    }
    assert record["eventVersion"] == "0"
    metadata = record["eventMetadata"]
    assert list(metadata) == ["eventId", "inferenceTime"]  # no inferenceId unless given
    assert uuid.UUID(metadata["eventId"]).version == 4
    assert metadata["inferenceTime"] == "2024-05-01T10:00:00Z"


def test_json_payload_stays_escaped_text():
    body = '{"instances": [1.0, 2.0, 5.0]}'
    record = capture_record(body, "application/json", b"[3.5]", "application/json")
    assert record["captureData"]["endpointInput"]["data"] == body
    assert record["captureData"]["endpointInput"]["encoding"] == "JSON"
    assert record["captureData"]["endpointOutput"]["data"] == "[3.5]"
    line = record_line(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert b'\\"instances\\"' in line  # the payload is a JSON string, not an object
    assert line == json.dumps(record, separators=(",", ":")).encode() + b"\n"  # compact
    assert json.loads(line) == record


def test_other_content_types_are_base64():
    png = b"\x89PNG\r\n\x1a\n\x00"
    record = capture_record(png, "image/png", b"cat", "text/plain")
    side = record["captureData"]["endpointInput"]
    assert side["encoding"] == "BASE64"
    assert base64.b64decode(side["data"]) == png
    assert record["captureData"]["endpointOutput"]["encoding"] == "BASE64"


def test_csv_that_is_not_utf8_is_kept_as_base64():
    data, encoding = encode_payload("é,1".encode("latin-1"), "text/csv")
    assert encoding == "BASE64"
    assert base64.b64decode(data) == "é,1".encode("latin-1")


def test_configured_content_types_decide_the_encoding():
    csv_types, json_types = ("text/plain",), ("application/jsonlines",)
    assert encode_payload(b"1,2", "Text/Plain", csv_types, json_types) == ("1,2", "CSV")
    assert encode_payload(b'{"a":1}', "application/jsonlines", csv_types, json_types) == (
        '{"a":1}',
        "JSON",
    )
    assert encode_payload(b"1,2", "text/csv", csv_types, json_types)[1] == "BASE64"


def test_ids_are_written_when_given():
    record = capture_record(
        b"1", "text/csv", b"2", "text/csv", event_id="event-1", inference_id="req-7"
    )
    assert record["eventMetadata"]["eventId"] == "event-1"
    assert record["eventMetadata"]["inferenceId"] == "req-7"


def test_inference_time_is_utc_whole_seconds():
    assert inference_time(1713399708.999) == "2024-04-18T00:21:48Z"  # cut, not rounded
    assert Z_SECONDS.match(inference_time(0))


def test_writer_lines_are_records(tmp_path):
    clock = Clock(T0 + 12.5)
    with CaptureWriter(tmp_path, "churn", clock=clock) as writer:
        assert writer.capture(b"1,2", "text/csv", b"0.5", "text/csv", inference_id="abc")
        assert writer.capture('{"a": 1}', "application/json", "[0.5]", "application/json")
    first, second = records_in(tmp_path)
    assert first["eventMetadata"]["inferenceTime"] == "2024-05-01T10:00:12Z"
    assert first["eventMetadata"]["inferenceId"] == "abc"
    assert "inferenceId" not in second["eventMetadata"]
    assert second["captureData"]["endpointInput"]["encoding"] == "JSON"
    assert first["eventMetadata"]["eventId"] != second["eventMetadata"]["eventId"]
    raw = next(tmp_path.rglob("*.jsonl")).read_bytes()
    assert raw == b"".join(record_line(r) for r in (first, second))
