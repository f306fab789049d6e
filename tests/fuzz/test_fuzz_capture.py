"""Capture files: any bytes give a window of rows (bad lines counted) or one clear error.

Records are SageMaker's JSON Lines with CSV, JSON and base64 payloads, some changed in
a few places, mixed with lines of random bytes; the files lie in the capture layout and
are read as a monitoring job reads them.
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from parser_fuzzing import FUZZ, holds, json_bytes, mutated

from watchkeeper.capture import CaptureWindow, read_capture
from watchkeeper.capture.reader import parse_capture_file

START, END = datetime(2024, 5, 1, 10, tzinfo=UTC), datetime(2024, 5, 1, 11, tzinfo=UTC)
_roots = itertools.count()

_field = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats().map(repr),
    st.text(alphabet=st.characters(exclude_characters=',"\r\n\x00', exclude_categories=["Cs"]),
            max_size=8),
)  # fmt: skip
csv_text = st.lists(st.lists(_field, min_size=1, max_size=5), min_size=1, max_size=3).map(
    lambda rows: "\n".join(",".join(row) for row in rows)
)
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=10,
)  # fmt: skip
json_text = json_value.map(json.dumps)


def _b64(data: str | bytes) -> str:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


# A payload as (encoding, content type, data, whether it always decodes).
payload = st.one_of(
    st.tuples(st.just("CSV"), st.just("text/csv"), csv_text, st.just(True)),
    st.tuples(st.just("JSON"), st.just("application/json"), json_text, st.just(True)),
    st.tuples(st.just("BASE64"), st.just("text/csv"), csv_text.map(_b64), st.just(True)),
    st.tuples(st.just("BASE64"), st.just("application/json"), json_text.map(_b64),
              st.just(True)),
    st.tuples(st.just("BASE64"), st.just("image/png"), st.binary(max_size=30).map(_b64),
              st.just(True)),
    st.tuples(st.sampled_from(["CSV", "JSON", "BASE64", "UTF-16", ""]),
              st.text(max_size=20), st.text(max_size=40), st.just(False)),
)  # fmt: skip
inference_time = st.integers(0, 3599).map(
    lambda second: datetime.fromtimestamp(START.timestamp() + second, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
)


@st.composite
def record_line(draw: st.DrawFn) -> tuple[bytes, bool]:
    """One line of a capture file, and whether it is a sound record inside the window."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=60).filter(lambda b: b"\n" not in b)), False
    sides, sound = {}, True
    for side, mode in (("endpointInput", "INPUT"), ("endpointOutput", "OUTPUT")):
        encoding, content_type, data, decodes = draw(payload)
        sides[side] = {"observedContentType": content_type, "mode": mode, "data": data,
                       "encoding": encoding}  # fmt: skip
        sound = sound and decodes
    record = {
        "captureData": sides,
        "eventMetadata": {"eventId": draw(st.uuids()).hex, "inferenceTime": draw(inference_time)},
        "eventVersion": "0",
    }
    if draw(st.booleans()):
        record, sound = draw(mutated(record, most=2)), False
    return json_bytes(record, ascii_only=draw(st.booleans())), sound


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("capture-fuzz")


@FUZZ
@given(lines=st.lists(record_line(), min_size=1, max_size=8))
def test_capture_files_give_rows_and_counted_bad_lines(folder, lines):
    root = folder / str(next(_roots))
    hour = root / "endpoint" / "AllTraffic" / "2024" / "05" / "01" / "10"
    hour.mkdir(parents=True)
    data = b"".join(line + b"\n" for line, _ in lines)
    (hour / "00-00-000-capture.jsonl").write_bytes(data)
    window = holds(read_capture, root, "endpoint", None, names=[str(root)], start=START, end=END)
    assert isinstance(window, CaptureWindow), window
    written = sum(1 for line in data.splitlines() if line.strip())
    sound = sum(1 for _, good in lines if good)
    assert sound <= window.records and window.records + window.corrupt_lines <= written
    assert window.table.num_rows >= window.records
    assert window.table.column_names[-3:] == ["__event_id", "__inference_id", "__inference_time"]


@FUZZ
@given(data=st.binary(max_size=400) | st.lists(record_line(), max_size=4).map(
    lambda lines: b"\n".join(line for line, _ in lines)))  # fmt: skip
def test_capture_bytes_are_records_or_counted_bad_lines(data):
    table, corrupt = holds(parse_capture_file, data)
    assert corrupt >= 0 and table.num_rows + corrupt <= len(data.splitlines())
