"""S3: the classic PUT event through the Lambda handler, URL-encoded keys, bad events, polling.

Everything runs against moto's S3 server on 127.0.0.1 through s3fs, and alerts go to a
recording HTTP server. The Slack-format alert goes through apprise's Mattermost plugin,
which posts Slack's incoming-webhook payload (``{"text": ...}``): apprise's Slack plugin
only ever posts to hooks.slack.com.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest
from poison import write_poison

from watchkeeper.catalog import Catalog
from watchkeeper.integrations import aws_lambda
from watchkeeper.watch import handle_s3_event, watch

RULES = b"""
defaults:
  max_missing: 10%
  single_value: forbid
"""

# An S3 PUT event notification as S3 sends it to a Lambda (bucket name aside).
PUT_EVENT = """{
   "Records":[
      {
         "s3":{
            "bucket":{
               "name":"%s"
            },
            "object":{
               "key":"input-training.csv"
            }
         }
      }
   ]
}"""


def training_csv(rows: int = 1_000) -> bytes:
    """Twelve features; feature_2 and feature_5 have missing values, feature_11 one value."""
    rng = np.random.default_rng(0)
    columns = {}
    for i in range(1, 13):
        values = rng.normal(i, 1.0, rows).round(3)
        if i in (2, 5):
            values[rng.random(rows) < (0.3 if i == 2 else 0.15)] = np.nan
        if i == 11:
            values[:] = 0.0
        columns[f"feature_{i}"] = pa.array(values, from_pandas=True)
    out = io.BytesIO()
    pv.write_csv(pa.table(columns), out)
    return out.getvalue()


@pytest.fixture
def lambda_env(s3_bucket, webhook_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_bucket.endpoint_url)
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WATCHKEEPER_RULES", s3_bucket.put("config/rules.yaml", RULES))
    monkeypatch.setenv(
        "WATCHKEEPER_NOTIFY", f"mmost://{webhook_server.address}/slacktoken?image=no"
    )
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    return s3_bucket


def test_put_event_through_the_lambda_handler(lambda_env, webhook_server):
    bucket = lambda_env
    bucket.put("input-training.csv", training_csv())
    result = aws_lambda.handler(json.loads(PUT_EVENT % bucket.name), context=None)
    assert result["status"] == "ok"
    [entry] = result["objects"]
    assert entry["object"] == bucket.url("input-training.csv")
    assert entry["violations"] == 3
    report = bucket.url("reports/input-training.csv/report.html")
    assert entry["report"] == report
    assert bucket.fs.exists(report)
    assert bucket.fs.exists(bucket.url("reports/input-training.csv/report.csv"))
    [post] = webhook_server.posts
    assert post.path == "/hooks/slacktoken"
    text = post.json["text"]
    for name in ("feature_2", "feature_5", "feature_11"):
        assert name in text
    assert bucket.name in text and "input-training.csv" in text and report in text
    # the same event again (S3 delivers at least once): nothing repeated
    assert aws_lambda.handler(json.loads(PUT_EVENT % bucket.name))["objects"] == []
    assert len(webhook_server.posts) == 1


def test_url_encoded_keys_and_several_records(lambda_env, webhook_server, tmp_path):
    bucket = lambda_env
    bucket.put("project a/input+1.csv", training_csv(100))
    bucket.put("clean.csv", b"x,y\n1,2\n3,4\n")
    event = {
        "Records": [
            {"s3": {"bucket": {"name": bucket.name}, "object": {"key": "project+a/input%2B1.csv"}}},
            {"s3": {"bucket": {"name": bucket.name}, "object": {"key": "clean.csv"}}},
        ]
    }
    records = handle_s3_event(
        event,
        rules=bucket.url("config/rules.yaml"),
        notify=[f"json://{webhook_server.address}/"],
        database=f"sqlite:///{tmp_path / 'c.db'}",
    )
    assert [(r.key, r.status) for r in records] == [
        (bucket.url("project a/input+1.csv"), "done"),
        (bucket.url("clean.csv"), "done"),
    ]
    assert records[0].violations == 3 and records[1].violations == 0
    assert bucket.fs.exists(bucket.url("reports/project a/input+1.csv/report.html"))
    assert len(webhook_server.posts) == 1


def test_bad_events_and_vanished_objects_are_failures_not_crashes(lambda_env, webhook_server):
    bucket = lambda_env
    result = aws_lambda.handler('{"Records": [ this is not json')
    [entry] = result["objects"]
    assert entry["status"] == "failed" and "not valid JSON" in entry["error"]
    event = {
        "Records": [
            {"s3": {"bucket": {"name": bucket.name}, "object": {"key": "gone.csv"}}},
            {"s3": {"object": {"key": "no-bucket.csv"}}},
        ]
    }
    result = aws_lambda.handler(event)
    statuses = sorted((e["object"], e["status"]) for e in result["objects"])
    assert (bucket.url("gone.csv"), "failed") in statuses
    assert len(statuses) == 2
    texts = [post.json["text"] for post in webhook_server.posts]
    assert any(f"could not read {bucket.url('gone.csv')}" in text for text in texts)
    assert any("not valid JSON" in text for text in texts)


def test_polling_a_bucket_prefix(s3_bucket, webhook_server, tmp_path):
    bucket = s3_bucket
    bucket.put("landing/day1.csv", training_csv(200))
    bucket.put("landing/ok.csv", b"a,b\n1,2\n2,3\n")
    bucket.put("elsewhere/other.csv", training_csv(50))
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(RULES)
    options = {
        "rules": str(rules),
        "notify": [f"json://{webhook_server.address}/"],
        "database": f"sqlite:///{tmp_path / 'c.db'}",
        "storage_options": bucket.storage_options,
        "once": True,
    }
    first = watch(bucket.url("landing/"), **options)
    assert sorted(r.key for r in first) == [
        bucket.url("landing/day1.csv"),
        bucket.url("landing/ok.csv"),
    ]
    assert bucket.fs.exists(bucket.url("landing/reports/day1.csv/report.html"))
    assert watch(bucket.url("landing/"), **options) == []  # reports and seen objects skipped
    bucket.put("landing/ok.csv", b"a,b\n1,2\n2,3\n4,5\n")  # replaced: a new ETag
    [again] = watch(bucket.url("landing/"), **options)
    assert again.key == bucket.url("landing/ok.csv")
    assert len(Catalog(options["database"]).objects()) == 3
    assert len(webhook_server.posts) == 1


def test_each_record_of_an_event_is_a_unit_of_failure(lambda_env, webhook_server, tmp_path):
    """Objects that crash or trip a reader are each recorded and alerted by the Lambda
    handler (checking in child processes by default); the other records are checked."""
    bucket = lambda_env
    write_poison(tmp_path / "poison")
    for name in ("null.jsonl", "inf.csv", "deep.jsonl"):
        bucket.put(name, (tmp_path / "poison" / name).read_bytes())
    bucket.put("input-training.csv", training_csv(200))
    keys = ["null.jsonl", "inf.csv", "deep.jsonl", "input-training.csv"]
    event = {
        "Records": [
            {"s3": {"bucket": {"name": bucket.name}, "object": {"key": key}}} for key in keys
        ]
    }
    result = aws_lambda.handler(event)
    assert result["status"] == "ok"
    entries = {entry["object"]: entry for entry in result["objects"]}
    assert set(entries) == {bucket.url(key) for key in keys}
    good = entries[bucket.url("input-training.csv")]
    assert (good["status"], good["violations"]) == ("done", 3)
    texts = [post.json["text"] for post in webhook_server.posts]
    for key in keys[:3]:
        entry = entries[bucket.url(key)]
        if entry["status"] == "failed":
            assert "unexpected" not in entry["error"]
            assert sum(f"could not read {bucket.url(key)}" in text for text in texts) == 1
        else:
            assert entry["report"] and bucket.fs.exists(entry["report"])
    sent = len(webhook_server.posts)
    assert aws_lambda.handler(event)["objects"] == []  # delivered again: nothing repeated
    assert len(webhook_server.posts) == sent


@pytest.mark.parametrize(
    ("variable", "value", "error"),
    [
        ("WATCHKEEPER_ISOLATE", "maybe", "WATCHKEEPER_ISOLATE must be 1 or 0, not 'maybe'"),
        ("WATCHKEEPER_TIME_LIMIT", "soon", "WATCHKEEPER_TIME_LIMIT must be a number, not 'soon'"),
        ("WATCHKEEPER_TIME_LIMIT", "-5", "time limit must be more than zero seconds, not -5.0"),
    ],
)
def test_bad_isolation_settings_are_a_configuration_error(
    lambda_env, monkeypatch, variable, value, error
):
    monkeypatch.setenv(variable, value)
    result = aws_lambda.handler(json.loads(PUT_EVENT % lambda_env.name))
    assert result == {"status": "error", "error": error}
