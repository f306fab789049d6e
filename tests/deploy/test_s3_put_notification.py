"""The file checker as the SAM template deploys it: the function's environment evaluated
from the template, a file put under the landing prefix of a bucket on moto's S3 server,
and the notification S3 sends for it (every field, the key URL-encoded, the ETag and the
size of the object) handed to the handler the image runs. What the function writes must
be allowed by its policies and must not start it again."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest
from deploy_files import DEPLOY, Stack, allowed, dockerfile, exec_form, handler_of, template

from s3_events import s3_put_event

RULES = b"""
defaults:
  max_missing: 10%
"""
KEY = "incoming/dt=2026-12-07/orders today.csv"


def orders_csv(rows: int = 500) -> bytes:
    """Three columns; ``discount`` is missing in about 30 % of the rows."""
    rng = np.random.default_rng(7)
    discount = rng.uniform(0, 0.5, rows)
    discount[rng.random(rows) < 0.3] = np.nan
    table = pa.table(
        {
            "order_id": pa.array(np.arange(rows)),
            "amount": pa.array(rng.gamma(2.0, 30.0, rows).round(2)),
            "discount": pa.array(discount, from_pandas=True),
        }
    )
    out = io.BytesIO()
    pv.write_csv(table, out)
    return out.getvalue()


def notification(bucket, key: str) -> dict:
    """The event S3 sends a function when ``key`` was put."""
    info = bucket.fs.info(f"{bucket.name}/{key}")
    return s3_put_event(bucket.name, key, info["size"], info["ETag"].strip('"'))


@pytest.fixture
def function(s3_bucket, database_url, webhook_server, tmp_path, monkeypatch):
    """The deployed function's environment, from the template with this bucket, this
    catalog database and this alert channel as its parameters."""
    stack = Stack(
        template(),
        BucketName=s3_bucket.name,
        DatabaseUrl=database_url,
        NotifyUrls=f"mmost://{webhook_server.address}/slacktoken?image=no",
    )
    for name, value in stack.environment("FileCheckFunction").items():
        monkeypatch.setenv(name, value)
    # what the Lambda runtime and the image set; the image's WATCHKEEPER_HOME is /tmp's
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "watchkeeper-FileCheckFunction")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_bucket.endpoint_url)
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "tmp" / ".watchkeeper"))
    s3_bucket.put("config/rules.yaml", RULES)
    [command] = exec_form(dockerfile(stack_image()).cmd)
    return SimpleNamespace(stack=stack, handler=handler_of(command), bucket=s3_bucket)


def stack_image():
    """The Dockerfile the template builds the function's image from."""
    metadata = template()["Resources"]["FileCheckFunction"]["Metadata"]
    return (DEPLOY / metadata["DockerContext"] / metadata["Dockerfile"]).resolve()


def context() -> SimpleNamespace:
    """The parts of a Lambda context object a handler may read."""
    return SimpleNamespace(
        function_name="watchkeeper-FileCheckFunction",
        aws_request_id="6f2a3c1e-3b2f-4a8e-9d62-0c7f1b5e8a10",
        get_remaining_time_in_millis=lambda: 900_000,
    )


def keys(bucket) -> set[str]:
    return {path.removeprefix(f"{bucket.name}/") for path in bucket.fs.find(bucket.name)}


def test_a_put_notification_is_checked_reported_and_alerted_once(function, webhook_server):
    bucket, stack = function.bucket, function.stack
    bucket.put(KEY, orders_csv())
    before = keys(bucket)
    event = notification(bucket, KEY)

    result = function.handler(event, context())

    assert result["status"] == "ok", result
    [entry] = result["objects"]
    assert entry["object"] == bucket.url(KEY)
    assert entry["status"] == "done" and entry["violations"] == 1
    assert entry["report"] == bucket.url(f"reports/{KEY}/report.html")
    [post] = webhook_server.posts
    assert "discount" in post.json["text"] and "orders today.csv" in post.json["text"]

    written = keys(bucket) - before
    assert f"reports/{KEY}/report.html" in written
    landing = stack.values["LandingPrefix"]
    for key in written:
        arn = f"arn:aws:s3:::{bucket.name}/{key}"
        assert allowed(stack, "FileCheckFunction", "s3:PutObject", arn), key
        assert not key.startswith(landing), f"{key} would start the function again"

    # S3 delivers a notification at least once: the shared catalog checks the file once
    again = function.handler(notification(bucket, KEY), context())
    assert again == {"status": "ok", "objects": []}
    assert len(webhook_server.posts) == 1
    assert keys(bucket) - before == written


def test_a_notification_for_a_report_checks_nothing_and_writes_nothing(function, webhook_server):
    """Should the trigger's prefix ever be widened to the whole bucket, the function's own
    reports still do not start a check of themselves."""
    bucket = function.bucket
    bucket.put(KEY, orders_csv(50))
    function.handler(notification(bucket, KEY), context())
    before, posts = keys(bucket), len(webhook_server.posts)
    report = f"reports/{KEY}/report.csv"
    assert report in before

    assert function.handler(notification(bucket, report), context()) == {
        "status": "ok",
        "objects": [],
    }
    assert keys(bucket) == before
    assert len(webhook_server.posts) == posts
