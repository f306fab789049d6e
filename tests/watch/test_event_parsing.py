"""parse_event: each record of an S3 event names an object or gives one plain reason."""

from __future__ import annotations

import json

import pytest

from watchkeeper.watch.events import EventObject, parse_event


def record(bucket="landing", **details):
    return {"s3": {"bucket": {"name": bucket}, "object": {"key": "day.csv", **details}}}


def test_a_put_record_names_its_object():
    found, problems = parse_event({"Records": [record(eTag='"abc"', size=12)]})
    assert (found, problems) == ([EventObject("landing", "day.csv", '"abc"', 12)], [])


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (record(eTag=["abc"]), "record 1: s3.object.eTag is a list; expected text"),
        (record(eTag='""'), "record 1: s3.object.eTag is '\"\"'; expected text"),
        (record(size=True), "record 1: s3.object.size is True; expected a number of bytes"),
        (record(size=-1), "record 1: s3.object.size is -1; expected a number of bytes"),
        (record(size=1.5), "record 1: s3.object.size is 1.5; expected a number of bytes"),
        (record(bucket="landing\n"), "record 1: s3.bucket.name is 'landing\\n'; expected an S3"),
        (record(bucket="a/b"), "record 1: s3.bucket.name is 'a/b'; expected an S3 bucket name"),
        ({"s3": {"bucket": [], "object": {}}}, "record 1: s3.bucket is missing or not an object"),
        ({"s3": {"bucket": {"name": "b"}}}, "record 1: s3.object is missing or not an object"),
        ("text", "record 1: s3 is missing or not an object"),
    ],
)
def test_a_bad_record_gives_one_reason_and_the_others_still_count(bad, reason):
    found, problems = parse_event({"Records": [bad, record()]})
    assert [named.key for named in found] == ["day.csv"]
    [problem] = problems
    assert problem.startswith(reason) and "\n" not in problem


def test_keys_are_url_decoded_and_must_name_something():
    found, problems = parse_event({"Records": [
        {"s3": {"bucket": {"name": "b"}, "object": {"key": "a+b%2Bc.csv"}}},
        {"s3": {"bucket": {"name": "b"}, "object": {"key": ""}}},
        {"s3": {"bucket": {"name": "b"}, "object": {"key": 5}}},
    ]})  # fmt: skip
    assert [named.key for named in found] == ["a b+c.csv"]
    assert problems == [
        "record 2: s3.object.key is ''; expected an object key",
        "record 3: s3.object.key is 5; expected an object key",
    ]


@pytest.mark.parametrize("form", [str, str.encode])
def test_events_nested_too_deeply_are_one_reason(form):
    text = '{"Records": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert parse_event(form(text)) == ([], ["the event is not readable JSON (nested too deeply)"])


def test_text_and_dict_events_agree():
    event = {"Records": [record(size=3), record(size=-3)]}
    assert parse_event(json.dumps(event)) == parse_event(event)
