"""S3 event notifications: every record names an object or gives one reason, as dict,
JSON text or bytes, whatever the event holds."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st
from parser_fuzzing import DEEP, FUZZ, assert_one_line, holds, json_bytes, mutated, spoiled

from s3_events import s3_put_event
from watchkeeper.watch.events import EventObject, parse_event

EVENT = s3_put_event("landing-bucket", "daily/2024-05-01/orders (copy).csv", 1024)
BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


def _sound(found, problems) -> None:
    for named in found:
        assert isinstance(named, EventObject)
        assert isinstance(named.bucket, str) and BUCKET.fullmatch(named.bucket)
        assert isinstance(named.key, str) and named.key
        assert named.etag is None or (isinstance(named.etag, str) and named.etag.strip('"'))
        assert named.size is None or (type(named.size) is int and named.size >= 0)
    for problem in problems:
        assert_one_line(problem)


@FUZZ
@given(event=mutated(EVENT), form=st.sampled_from(["dict", "text", "bytes"]))
def test_changed_events_name_objects_or_give_reasons(event, form):
    data = json_bytes(event)
    answer = {"dict": event, "text": data.decode(), "bytes": data}[form]
    found, problems = holds(parse_event, answer)
    _sound(found, problems)
    records = event.get("Records") if isinstance(event, dict) else None
    if isinstance(records, list) and DEEP not in data.decode():
        assert len(found) + len(problems) == len(records)


@FUZZ
@given(data=spoiled(json.dumps(EVENT).encode()))
def test_event_bytes_name_objects_or_give_reasons(data):
    _sound(*holds(parse_event, data))
