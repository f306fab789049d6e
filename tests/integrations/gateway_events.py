"""API Gateway events as AWS sends them to a Lambda proxy integration: the HTTP API's
payload format 2.0 and the REST API's (payload format 1.0), with every field AWS
documents, so the handler meets what a real deployment gives it."""

from __future__ import annotations

import base64
from typing import Any

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SETOSA = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
VIRGINICA = {"sepal_length": 6.9, "sepal_width": 3.1, "petal_length": 5.4, "petal_width": 2.1}
SETOSA_CSV = "5.1,3.5,1.4,0.2"
VIRGINICA_CSV = "6.9,3.1,5.4,2.1"
SOURCE_IP = "203.0.113.7"
HOST = "r3pmxmplak.execute-api.us-east-2.amazonaws.com"


def http_api_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    base64_body: bool = False,
    stage: str = "$default",
) -> dict[str, Any]:
    """An HTTP API event, payload format 2.0 (``$default`` route, as a proxy sends)."""
    text, encoded = _body(body, base64_body)
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "content-length": str(len(text or "")),
            "host": HOST,
            "user-agent": "python-requests/2.32.3",
            "x-amzn-trace-id": "Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",
            "x-forwarded-for": SOURCE_IP,
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **{name.lower(): value for name, value in (headers or {}).items()},
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "r3pmxmplak",
            "domainName": HOST,
            "domainPrefix": "r3pmxmplak",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": SOURCE_IP,
                "userAgent": "python-requests/2.32.3",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": stage,
            "time": "10/Mar/2020:05:16:23 +0000",
            "timeEpoch": 1583817383220,
        },
        **({"body": text} if text is not None else {}),
        "isBase64Encoded": encoded,
    }


def rest_api_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A REST API proxy event (``/{proxy+}`` resource, stage ``prod``), payload format 1.0."""
    text, encoded = _body(body, base64_body)
    sent = {
        "Accept": "*/*",
        "Host": HOST,
        "User-Agent": "python-requests/2.32.3",
        "X-Amzn-Trace-Id": "Root=1-5e66d96f-7491f09xmpl79d18acf3d050",
        "X-Forwarded-For": SOURCE_IP,
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": sent,
        "multiValueHeaders": {name: [value] for name, value in sent.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "1234567890",
            "domainName": HOST,
            "extendedRequestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "sourceIp": SOURCE_IP,
                "user": None,
                "userAgent": "python-requests/2.32.3",
                "userArn": None,
            },
            "path": f"/prod{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "09/Apr/2015:12:34:56 +0000",
            "requestTimeEpoch": 1428582896000,
            "resourceId": "123456",
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


EVENTS = {"http-api": http_api_event, "rest-api": rest_api_event}


def _body(body: str | bytes | None, base64_body: bool) -> tuple[str | None, bool]:
    if body is None:
        return None, False
    if isinstance(body, bytes) and not base64_body:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            base64_body = True  # what is not text API Gateway sends as base64
    if base64_body:
        raw = body.encode() if isinstance(body, str) else body
        return base64.b64encode(raw).decode("ascii"), True
    return body, False
