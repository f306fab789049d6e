"""The prediction API as a Lambda function: API Gateway events (HTTP API and REST API,
JSON, CSV and base64 bodies) through ``predict_handler``, its answers, its errors, and its
configuration from the environment."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from gateway_events import (
    EVENTS,
    IRIS_FEATURES,
    SETOSA,
    SETOSA_CSV,
    VIRGINICA,
    VIRGINICA_CSV,
    http_api_event,
)
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from fuzzing import fuzz_settings
from watchkeeper.integrations.aws_lambda import predict_handler
from watchkeeper.model import load_model

JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def function(monkeypatch, models, tmp_path):
    """The environment of a function serving the iris pipeline as endpoint ``iris``,
    capturing to a folder of its own."""
    monkeypatch.setenv("WATCHKEEPER_MODEL", str(models["sklearn"]))
    monkeypatch.setenv("WATCHKEEPER_ENDPOINT", "iris")
    monkeypatch.setenv("WATCHKEEPER_CAPTURE", str(tmp_path / "capture"))
    for name in ("WATCHKEEPER_VARIANT", "WATCHKEEPER_SAMPLING_PERCENT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "capture"


@pytest.fixture(scope="module")
def expected(models):
    """The iris pipeline's own predictions and probabilities for setosa, virginica."""
    model = load_model(models["sklearn"])
    rows = np.array([[SETOSA[n] for n in IRIS_FEATURES], [VIRGINICA[n] for n in IRIS_FEATURES]])
    return model.predict(rows).tolist(), model.predict_proba(rows).tolist()


def body_of(response: dict) -> dict:
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


@pytest.mark.parametrize("kind", sorted(EVENTS))
@pytest.mark.parametrize("base64_body", [False, True], ids=["text", "base64"])
def test_json_and_csv_bodies_answer_the_models_predictions(function, expected, kind, base64_body):
    event = EVENTS[kind]
    predictions, probabilities = expected
    one = predict_handler(
        event("POST", "/api/v1/predict", json.dumps(SETOSA), JSON, base64_body=base64_body), None
    )
    assert one["statusCode"] == 200
    assert body_of(one)["predictions"] == predictions[:1]
    np.testing.assert_allclose(body_of(one)["probabilities"], probabilities[:1], rtol=1e-9)
    rows = predict_handler(
        event("POST", "/api/v1/predict", json.dumps([SETOSA, VIRGINICA]), JSON,
              base64_body=base64_body),
        None,
    )  # fmt: skip
    assert body_of(rows)["predictions"] == predictions
    csv = predict_handler(
        event("POST", "/api/v1/predict", f"{SETOSA_CSV}\n{VIRGINICA_CSV}\n", CSV,
              base64_body=base64_body),
        None,
    )  # fmt: skip
    assert csv["statusCode"] == 200
    assert body_of(csv)["predictions"] == predictions
    np.testing.assert_allclose(body_of(csv)["probabilities"], probabilities, rtol=1e-9)


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_sagemakers_invocations_route_answers_csv_and_json(function, expected, kind):
    event = EVENTS[kind]
    predictions, _ = expected
    path = "/endpoints/iris/invocations"
    csv = predict_handler(event("POST", path, f"{SETOSA_CSV}\n{VIRGINICA_CSV}", CSV), None)
    assert csv["statusCode"] == 200
    assert csv["headers"]["content-type"].startswith("text/csv")
    assert csv["body"] == "\n".join(map(str, predictions))
    instances = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]})
    answered = predict_handler(event("POST", path, instances, JSON, base64_body=True), None)
    assert body_of(answered)["predictions"] == predictions
    other = predict_handler(event("POST", "/endpoints/roses/invocations", SETOSA_CSV, CSV), None)
    assert other["statusCode"] == 404
    assert body_of(other)["error"] == "no endpoint named 'roses'; this server serves 'iris'"


@pytest.mark.parametrize("kind", sorted(EVENTS))
def test_the_health_route(function, kind, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_VARIANT", "Blue")
    health = predict_handler(EVENTS[kind]("GET", "/api/v1/health"), None)
    assert health["statusCode"] == 200
    described = body_of(health)
    assert (described["status"], described["model"], described["variant"]) == ("ok", "iris", "Blue")
    assert described["features"] == IRIS_FEATURES
    assert described["capture"]["written"] == 0


def test_an_http_api_on_a_named_stage_routes_the_path_without_it(function, expected):
    event = http_api_event("POST", "/api/v1/predict", json.dumps(SETOSA), JSON, stage="prod")
    assert event["rawPath"] == "/prod/api/v1/predict"
    answered = predict_handler(event, None)
    assert answered["statusCode"] == 200
    assert body_of(answered)["predictions"] == expected[0][:1]


MALFORMED = [
    pytest.param('{"sepal_length": 5.1,', JSON, False, 400, "malformed JSON", id="bad-json"),
    pytest.param(json.dumps({"sepal_length": 5.1}), JSON, False, 422,
                 "missing features", id="missing-columns"),
    pytest.param(json.dumps({**SETOSA, "colour": "red"}), JSON, False, 422,
                 "unknown feature", id="unknown-column"),
    pytest.param("5.1,3.5,1.4", CSV, False, 422, "row 1", id="short-csv-row"),
    pytest.param("5.1,3.5,1.4,abc", CSV, False, 422, "row 1", id="text-in-csv"),
    pytest.param("", JSON, False, 400, "the request body is empty", id="empty"),
    pytest.param("", JSON, True, 400, "the request body is empty", id="empty-base64"),
    pytest.param("not base64 at all!", JSON, "raw", 400, "not valid base64", id="bad-base64"),
    pytest.param(b"\xff\xfe5.1", CSV, True, 400, "UTF-8", id="not-utf8"),
    pytest.param(SETOSA_CSV, {"Content-Type": "image/png"}, False, 415, "Content-Type",
                 id="other-type"),
]  # fmt: skip


@pytest.mark.parametrize("kind", sorted(EVENTS))
@pytest.mark.parametrize(("body", "headers", "base64_body", "status", "says"), MALFORMED)
def test_a_malformed_body_is_a_4xx_with_the_problem(
    function, kind, body, headers, base64_body, status, says
):
    if base64_body == "raw":  # marked base64, but sent as it is
        event = EVENTS[kind]("POST", "/api/v1/predict", body, headers)
        event["isBase64Encoded"] = True
    else:
        event = EVENTS[kind]("POST", "/api/v1/predict", body, headers, base64_body=base64_body)
    answered = predict_handler(event, None)
    assert answered["statusCode"] == status
    problem = body_of(answered)
    assert says in problem["error"]
    assert set(problem) == {"error", "detail"}
    if status == 422:
        assert problem["detail"] and all("message" in item for item in problem["detail"])


def test_a_body_missing_from_the_event_is_an_empty_request(function):
    event = http_api_event("POST", "/api/v1/predict", None, JSON)
    assert "body" not in event
    answered = predict_handler(event, None)
    assert answered["statusCode"] == 400
    assert body_of(answered)["error"] == "the request body is empty; send the rows to predict"


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ({"Records": [{"eventSource": "aws:s3"}]}, "the event has no requestContext"),
        ("POST /api/v1/predict", "the event has no requestContext"),
        ({"version": "2.0", "requestContext": {"http": {"method": "POST"}}},
         "the event has no requestContext.http.path"),
        ({"requestContext": {}, "path": "/api/v1/predict"},
         "the event has no version (HTTP API) or resource (REST API)"),
        ({"resource": "/{proxy+}", "requestContext": {}, "path": "/api/v1/health"},
         "the event has no httpMethod"),
    ],
)  # fmt: skip
def test_an_event_that_is_not_an_api_gateway_request_is_a_400(function, event, says):
    answered = predict_handler(event, None)
    assert answered["statusCode"] == 400
    assert body_of(answered) == {"error": f"not an API Gateway request: {says}", "detail": []}


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WATCHKEEPER_MODEL", None, "WATCHKEEPER_MODEL is not set"),
        ("WATCHKEEPER_MODEL", "models/absent.joblib",
         "WATCHKEEPER_MODEL: models/absent.joblib: no such model file"),
        ("WATCHKEEPER_SAMPLING_PERCENT", "half",
         "WATCHKEEPER_SAMPLING_PERCENT must be a number from 0 to 100, not 'half'"),
        ("WATCHKEEPER_SAMPLING_PERCENT", "250",
         "WATCHKEEPER_SAMPLING_PERCENT must be from 0 to 100, not '250'"),
        ("WATCHKEEPER_ENDPOINT", "iris/prod",
         "WATCHKEEPER_ENDPOINT: endpoint 'iris/prod' cannot name a capture folder"),
        ("WATCHKEEPER_VARIANT", "../up",
         "WATCHKEEPER_VARIANT: variant '../up' cannot name a capture folder"),
    ],
)  # fmt: skip
def test_a_configuration_error_is_a_500_naming_the_variable_and_the_log(
    function, monkeypatch, caplog, variable, value, says
):
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    with caplog.at_level(logging.ERROR, logger="watchkeeper"):
        answered = predict_handler(http_api_event("POST", "/api/v1/predict", "{}", JSON), None)
    assert answered["statusCode"] == 500
    message = body_of(answered)["error"]
    assert says in message and message.endswith("; see the function's log")
    assert "\n" not in message
    [logged] = [r for r in caplog.records if r.name.startswith("watchkeeper")]
    assert says in logged.getMessage() and logged.exc_info is None  # one line, no traceback


def test_the_next_invocation_after_a_configuration_error_is_served(function, monkeypatch):
    monkeypatch.delenv("WATCHKEEPER_ENDPOINT")
    event = http_api_event("POST", "/api/v1/predict", json.dumps(SETOSA), JSON)
    failed = predict_handler(event, None)
    assert "WATCHKEEPER_ENDPOINT is not set" in body_of(failed)["error"]
    # on Lambda the function's name is the endpoint's when none is given
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "iris-predict")
    answered = predict_handler(event, None)
    assert answered["statusCode"] == 200
    health = predict_handler(http_api_event("GET", "/api/v1/health"), None)
    assert body_of(health)["model"] == "iris-predict"


def test_sampling_needs_a_capture_destination(function, monkeypatch):
    monkeypatch.delenv("WATCHKEEPER_CAPTURE")
    monkeypatch.setenv("WATCHKEEPER_SAMPLING_PERCENT", "10")
    answered = predict_handler(http_api_event("GET", "/api/v1/health"), None)
    assert answered["statusCode"] == 500
    assert "WATCHKEEPER_SAMPLING_PERCENT needs WATCHKEEPER_CAPTURE" in body_of(answered)["error"]


# pandas is not listed: Arrow imports it, when it is installed, to build any array
HEAVY = ("sqlalchemy", "apprise", "plotly", "shap", "uvicorn", "typer", "scipy", "sklearn",
         "fsspec", "watchkeeper.watch", "watchkeeper.capture.reader")  # fmt: skip


def test_a_cold_start_imports_only_what_answering_needs(models, tmp_path):
    """A fresh process (a cold container) answering with an ONNX model and a local
    capture loads none of what the other faces use."""
    script = (
        "import json, sys\n"
        "from watchkeeper.integrations.aws_lambda import predict_handler\n"
        f"event = {http_api_event('POST', '/api/v1/predict', SETOSA_CSV, CSV)!r}\n"
        "status = predict_handler(event, None)['statusCode']\n"
        f"print(json.dumps([status, [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    environment = {
        **os.environ, "WATCHKEEPER_MODEL": str(models["onnx_tensor"]),
        "WATCHKEEPER_ENDPOINT": "iris", "WATCHKEEPER_CAPTURE": str(tmp_path / "capture"),
    }  # fmt: skip
    environment.pop("WATCHKEEPER_SAMPLING_PERCENT", None)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env=environment,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    status, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert (status, loaded) == (200, [])


def test_on_lambda_a_local_capture_folder_must_be_under_tmp(function, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "iris-predict")
    # a relative folder is under the function's working folder (/var/task), not /tmp,
    # wherever this test runs from
    monkeypatch.chdir("/")
    monkeypatch.setenv("WATCHKEEPER_CAPTURE", "captures")
    answered = predict_handler(http_api_event("GET", "/api/v1/health"), None)
    assert answered["statusCode"] == 500
    assert body_of(answered)["error"] == (
        "WATCHKEEPER_CAPTURE: captures is not under /tmp, a function's only writable disk; "
        "capture to an s3:// prefix to keep the records; see the function's log"
    )
    folder = tempfile.mkdtemp(dir="/tmp")
    try:
        monkeypatch.setenv("WATCHKEEPER_CAPTURE", folder)
        assert predict_handler(http_api_event("GET", "/api/v1/health"), None)["statusCode"] == 200
    finally:
        shutil.rmtree(folder)


BODIES = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200),
    st.lists(st.dictionaries(st.sampled_from([*IRIS_FEATURES, "x"]),
                             st.one_of(st.floats(), st.text(max_size=5), st.none()),
                             max_size=5), max_size=3).map(json.dumps),
    st.lists(st.lists(st.floats(allow_nan=True), max_size=5).map(
        lambda row: ",".join(map(str, row))), max_size=3).map("\n".join),
)  # fmt: skip


@fuzz_settings(ci=60, long=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(sorted(EVENTS)),
    path=st.sampled_from(["/api/v1/predict", "/endpoints/iris/invocations"]),
    body=BODIES,
    content_type=st.sampled_from(["application/json", "text/csv", "text/plain", ""]),
    base64_body=st.booleans(),
)
def test_no_body_is_answered_with_a_5xx(function, kind, path, body, content_type, base64_body):
    headers = {"Content-Type": content_type} if content_type else {}
    answered = predict_handler(
        EVENTS[kind]("POST", path, body, headers, base64_body=base64_body), None
    )
    assert answered["statusCode"] < 500, answered["body"]
    document = json.loads(answered["body"])
    assert ("predictions" in document) == (answered["statusCode"] == 200)
