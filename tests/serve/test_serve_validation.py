"""Bad requests are refused before the model runs, with a status and a message that say
what is wrong; a model that fails answers 500 without a traceback."""

from __future__ import annotations

import asyncio
import logging
import re

import numpy as np
import pytest
from serving import SETOSA_CSV, running

from watchkeeper.errors import UsageError
from watchkeeper.model import LoadedModel, load_model
from watchkeeper.serve import create_app

CSV = {"content-type": "text/csv"}
JSON = {"content-type": "application/json"}
LIMIT = 4096


class CountingModel:
    """A model that records how often it ran, and fails on request."""

    def __init__(self) -> None:
        self.feature_names = ["a", "b"]
        self.calls = 0

    def predict(self, rows):
        self.calls += 1
        rows = np.asarray(rows, dtype=float)
        if (rows[:, 0] < 0).any():
            raise ValueError("secret internal detail: negative a")
        if (rows[:, 0] > 1000).any():
            return np.zeros(len(rows) + 1)  # a broken model: one answer too many
        return rows.sum(axis=1)


@pytest.fixture(scope="module")
def counting():
    return CountingModel()


@pytest.fixture(scope="module")
def client(counting):
    app = create_app(LoadedModel.from_object(counting), name="sums", max_body_bytes=LIMIT)
    with running(app) as server, server.client() as client:
        yield client


@pytest.fixture(scope="module")
def iris_client(models):
    app = create_app(load_model(models["sklearn"]), name="iris")
    with running(app) as server, server.client() as client:
        yield client


def refused(answer, status: int, *fragments: str) -> dict:
    """The answer has ``status``, the JSON error shape, and the fragments in its message."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body.keys() == {"error", "detail"}
    for fragment in fragments:
        assert fragment in body["error"], body["error"]
    return body


def test_valid_requests_reach_the_model(client, counting):
    before = counting.calls
    answer = client.post("/api/v1/predict", json={"a": 1, "b": 2})
    assert answer.json() == {"predictions": [3.0]}
    assert counting.calls == before + 1


def test_malformed_json(client):
    refused(
        client.post("/api/v1/predict", content='{"a": 1,', headers=JSON),
        400,
        "malformed JSON",
        "line 1",
    )


@pytest.mark.parametrize("headers", [CSV, JSON])
@pytest.mark.parametrize("body", ["", "  \n "])
def test_empty_body(client, headers, body):
    refused(client.post("/api/v1/predict", content=body, headers=headers), 400, "body is empty")


def test_body_that_is_not_utf8(client):
    refused(client.post("/api/v1/predict", content=b"\xff\xfe1,2", headers=CSV), 400, "not UTF-8")


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"content-type": "text/plain"}, "Content-Type 'text/plain'"),
        ({"content-type": "application/x-www-form-urlencoded"}, "x-www-form-urlencoded"),
        ({}, "no Content-Type"),
    ],
)
def test_wrong_content_type(client, headers, message):
    body = refused(client.post("/api/v1/predict", content="1,2", headers=headers), 415, message)
    assert "application/json or text/csv" in body["error"]
    refused(client.post("/endpoints/sums/invocations", content="1,2", headers=headers), 415)


def test_missing_and_extra_features_are_named(client, counting):
    before = counting.calls
    body = refused(
        client.post("/api/v1/predict", json=[{"a": 1, "b": 2}, {"a": 1, "c": 3, "d": 4}]),
        422,
        "2 problems",
        "row 2: missing features: 'b'",
    )
    assert body["detail"] == [
        {"row": 2, "feature": None, "message": "missing features: 'b'"},
        {"row": 2, "feature": None, "message": "unknown features: 'c', 'd'"},
    ]
    assert counting.calls == before  # refused before predicting


def test_csv_row_with_the_wrong_number_of_fields(client):
    body = refused(
        client.post("/api/v1/predict", content="1,2\n\n3\n4,5,6\n7,8\n", headers=CSV),
        422,
        "row 2: has 1 fields, the model takes 2 (a, b)",
    )
    assert [problem["row"] for problem in body["detail"]] == [2, 3]  # blank lines not counted


def test_json_row_with_the_wrong_number_of_values(client):
    refused(
        client.post("/endpoints/sums/invocations", json={"instances": [[1, 2], [1, 2, 3]]}),
        422,
        "row 2: has 3 values, the model takes 2 (a, b)",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"a": "abc", "b": 1}, "row 1 feature 'a': 'abc' is not a number"),
        ({"a": True, "b": 1}, "row 1 feature 'a': true is not a number"),
        ({"a": [1], "b": 1}, "row 1 feature 'a': a list is not a number"),
        ({"a": {"x": 1}, "b": 1}, "row 1 feature 'a': an object is not a number"),
        ({"a": "1_000", "b": 1}, "'1_000' is not a number"),
    ],
)
def test_text_where_a_number_is_expected_json(client, body, message):
    refused(client.post("/api/v1/predict", json=body), 422, message)


def test_text_where_a_number_is_expected_csv(client):
    body = refused(
        client.post("/api/v1/predict", content="1,2\n3,four\n", headers=CSV),
        422,
        "row 2 feature 'b': 'four' is not a number",
    )
    assert body["detail"] == [{"row": 2, "feature": "b", "message": "'four' is not a number"}]


def test_csv_header_is_recognised(iris_client):
    header = "sepal_length,sepal_width,petal_length,petal_width"
    refused(
        iris_client.post("/api/v1/predict", content=f"{header}\n{SETOSA_CSV}\n", headers=CSV),
        422,
        "row 1 looks like a header",
    )


@pytest.mark.parametrize(
    ("content", "headers", "message"),
    [
        ('{"a": NaN, "b": 1}', JSON, "row 1 feature 'a': missing value"),
        ('{"a": null, "b": 1}', JSON, "row 1 feature 'a': missing value"),
        ('{"a": "nan", "b": 1}', JSON, "missing value"),
        ('{"a": 1, "b": Infinity}', JSON, "row 1 feature 'b': inf is not a finite number"),
        ('{"a": 1, "b": -1e999}', JSON, "-inf is not a finite number"),
        ("1,2\n,3\n", CSV, "row 2 feature 'a': missing value"),
        ("1,NaN\n", CSV, "row 1 feature 'b': missing value"),
        ("1,-inf\n", CSV, "row 1 feature 'b': -inf is not a finite number"),
    ],
)
def test_nan_and_infinity_are_refused(client, content, headers, message):
    body = refused(client.post("/api/v1/predict", content=content, headers=headers), 422, message)
    if "missing" in message:
        assert "does not accept missing values" in body["error"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ([], 400, "no rows to predict"),
        ({"instances": []}, 400, "no rows to predict"),
        ({"instances": {"a": 1}}, 422, '"instances" must be a list'),
        ("a string", 422, "expected an object of named features or a list of rows"),
        (3, 422, "got 3"),
        ([{"a": 1, "b": 2}, [1, 2]], 422, "row 2: is a list; every row must be an object"),
    ],
)
def test_json_that_holds_no_rows(client, body, status, message):
    refused(client.post("/endpoints/sums/invocations", json=body), status, message)


@pytest.mark.parametrize(
    "content",
    ['{"a": ' + "9" * 5000 + ', "b": 1}', "[" * 100_000 + "]" * 100_000],
    ids=["too-many-digits", "too-deep"],
)
def test_json_that_python_cannot_hold(iris_client, content):
    refused(
        iris_client.post("/api/v1/predict", content=content, headers=JSON), 400, "malformed JSON"
    )


def test_number_beyond_float_range(client):
    content = '{"a": ' + "9" * 400 + ', "b": 1}'
    body = refused(client.post("/api/v1/predict", content=content, headers=JSON), 422, "'999")
    assert "too large" in body["error"]


def test_csv_of_blank_lines(client):
    refused(client.post("/api/v1/predict", content="\n\n", headers=CSV), 400, "body is empty")


def test_many_problems_are_listed_up_to_a_bound(client):
    rows = [{"a": "x", "b": "y"}] * 100
    body = refused(client.post("/api/v1/predict", json=rows), 422, "200 problems")
    assert len(body["detail"]) == 50


def test_integer_inputs_take_whole_numbers(models, serve):
    server = serve(create_app(load_model(models["onnx_integer"]), name="counts"))
    with server.client() as client:
        assert client.post("/api/v1/predict", json=[[51, 35, 14, 2]]).status_code == 200
        refused(
            client.post("/api/v1/predict", content="51,35.5,14,2\n", headers=CSV),
            422,
            "row 1 feature '_c1': 35.5 is not a whole number",
        )


# -- body size ----------------------------------------------------------------------------


def test_body_over_the_limit_declared_by_content_length(client):
    body = b"1,2\n" * (LIMIT // 4 + 1)
    refused(client.post("/api/v1/predict", content=body, headers=CSV), 413, "4,096 bytes")


def test_body_exactly_at_the_limit_is_served(client):
    body = b"1,2\n" * (LIMIT // 4)
    assert client.post("/api/v1/predict", content=body, headers=CSV).status_code == 200


def test_streamed_body_over_the_limit(client):
    def chunks():
        for _ in range(4):
            yield b"1,2\n" * 512

    answer = client.post("/api/v1/predict", content=chunks(), headers=CSV)
    assert "content-length" not in answer.request.headers
    refused(answer, 413, "larger than the server's limit")


def test_body_is_refused_as_soon_as_the_limit_is_passed():
    """The app stops reading at the first chunk past the limit, whatever follows."""
    app = create_app(LoadedModel.from_object(CountingModel()), name="sums", max_body_bytes=LIMIT)
    pulled = []
    sent: list[dict] = []

    async def receive() -> dict:
        pulled.append(1)
        return {"type": "http.request", "body": b"1,2\n" * 512, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/predict",
        "raw_path": b"/api/v1/predict",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"text/csv"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert len(pulled) == 3  # 2 KiB each: the third passes 4 KiB, and reading stops there


# -- failing models -----------------------------------------------------------------------


def test_model_that_raises_answers_500_without_a_traceback(client, caplog):
    with caplog.at_level(logging.ERROR, logger="watchkeeper.serve"):
        answer = client.post("/api/v1/predict", json={"a": -1, "b": 2})
    body = refused(answer, 500, "the model failed to predict (ValueError)", "server log")
    assert "Traceback" not in answer.text and "secret" not in answer.text
    assert body["detail"] == []
    logged = [record for record in caplog.records if record.exc_info]
    assert any("secret internal detail" in str(record.exc_info[1]) for record in logged)


def test_model_that_answers_the_wrong_number_of_rows(client):
    refused(
        client.post("/api/v1/predict", json={"a": 5000, "b": 2}),
        500,
        "returned 2 predictions for 1 rows",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"name": "a/b"}, "endpoint 'a/b'"),
        ({"name": "sums", "variant": ""}, "variant ''"),
        ({"name": "sums", "max_body_bytes": 0}, "max_body_bytes must be a positive number"),
    ],
)
def test_app_options_are_checked(options, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        create_app(LoadedModel.from_object(CountingModel()), **options)


class RowSums:
    """A model that says nothing of its inputs: the first row sets their number."""

    def predict(self, rows):
        return np.asarray(rows, dtype=float).sum(axis=1)


def test_model_of_unknown_width_takes_the_first_rows_width(serve):
    model = LoadedModel.from_object(RowSums())
    assert model.n_features is None and model.feature_names is None
    server = serve(create_app(model, name="sums"))
    with server.client() as client:
        answer = client.post("/endpoints/sums/invocations", content="\n1,2,3\n4,5,6", headers=CSV)
        assert answer.text == "6.0\n15.0"
        assert client.post("/api/v1/predict", json=[[1, 2], [3, 4]]).json() == {
            "predictions": [3.0, 7.0]
        }
        refused(
            client.post("/api/v1/predict", content="1,2\n3\n", headers=CSV),
            422,
            "row 2: has 1 fields, the model takes 2",
        )
