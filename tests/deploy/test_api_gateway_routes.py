"""The predict function as the SAM template deploys it: its environment evaluated from the
template (the model and the captures in a bucket on moto's S3 server), and each route of
the template's HTTP API called with the event API Gateway sends for it (payload format
2.0), through the handler the function's image runs. Every answered request is captured
where the function's policy lets it write, outside the prefix that starts the file
checker."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from deploy_files import DEPLOY, Stack, allowed, dockerfile, exec_form, handler_of, template

FLOWER = {"sepal_length": 6.3, "sepal_width": 3.3, "petal_length": 6.0, "petal_width": 2.5}


def http_api_event(method: str, route: str, path: str, body: str | None, content_type: str):
    """The event an HTTP API sends a Lambda integration (payload format version 2.0)."""
    parameters = {"name": path.split("/")[2]} if "{name}" in route else None
    event = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "content-length": str(len(body or "")),
            "content-type": content_type,
            "host": "abc123defg.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "python-requests/2.32.3",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123defg",
            "domainName": "abc123defg.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123defg",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "python-requests/2.32.3",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "07/Dec/2026:00:15:42 +0000",
            "timeEpoch": 1796602542000,
        },
        "isBase64Encoded": False,
    }
    if parameters:
        event["pathParameters"] = parameters
    if body is not None:
        event["body"] = body
    return event


@pytest.fixture
def function(s3_bucket, models, tmp_path, monkeypatch):
    stack = Stack(template(), BucketName=s3_bucket.name)
    environment = stack.environment("PredictFunction")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "watchkeeper-PredictFunction")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_bucket.endpoint_url)
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "tmp" / ".watchkeeper"))
    s3_bucket.put(stack.values["ModelKey"], models["sklearn"].read_bytes())
    metadata = stack.resource("PredictFunction")["Metadata"]
    image = (DEPLOY / metadata["DockerContext"] / metadata["Dockerfile"]).resolve()
    [command] = exec_form(dockerfile(image).cmd)
    return SimpleNamespace(stack=stack, handler=handler_of(command), bucket=s3_bucket)


def routes(stack: Stack) -> dict[str, tuple[str, str]]:
    events = stack.resource("PredictFunction")["Properties"]["Events"]
    return {
        name: (event["Properties"]["Method"], event["Properties"]["Path"])
        for name, event in events.items()
    }


def test_every_route_of_the_api_answers_and_is_captured_where_the_policy_allows(function):
    stack, bucket = function.stack, function.bucket
    endpoint = stack.values["EndpointName"]
    calls = {
        "Predict": ("/api/v1/predict", json.dumps(FLOWER), "application/json"),
        "Invocations": (f"/endpoints/{endpoint}/invocations", "6.3,3.3,6.0,2.5\n", "text/csv"),
        "Health": ("/api/v1/health", None, "application/json"),
    }
    assert set(calls) == set(routes(stack))
    answers = {}
    for name, (method, route) in routes(stack).items():
        path, body, content_type = calls[name]
        event = http_api_event(method, route, path, body, content_type)
        answers[name] = function.handler(event, SimpleNamespace(aws_request_id=name))
        assert answers[name]["statusCode"] == 200, answers[name]
    assert json.loads(answers["Predict"]["body"])["predictions"] == [2]
    assert answers["Invocations"]["body"].strip() == "2"
    assert json.loads(answers["Health"]["body"])["model"] == endpoint

    written = sorted(path.removeprefix(f"{bucket.name}/") for path in bucket.fs.find(bucket.name))
    captured = [key for key in written if key != stack.values["ModelKey"]]
    assert captured, "nothing was captured"
    records = [
        json.loads(line)
        for key in captured
        for line in bucket.fs.cat(f"{bucket.name}/{key}").decode().splitlines()
    ]
    assert len(records) == 2  # the two predictions; the health check is not traffic
    for key in captured:
        assert key.startswith(f"capture/{endpoint}/AllTraffic/"), key
        arn = f"arn:aws:s3:::{bucket.name}/{key}"
        assert allowed(stack, "PredictFunction", "s3:PutObject", arn), key
        assert not key.startswith(stack.values["LandingPrefix"])
