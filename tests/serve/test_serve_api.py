"""Every route and content type, over real HTTP, for every kind of model."""

from __future__ import annotations

import math

import pytest
from serving import SETOSA, SETOSA_CSV, VIRGINICA, VIRGINICA_CSV, running

from model_files import IRIS_FEATURES
from watchkeeper.model import load_model
from watchkeeper.serve import create_app

CSV = {"content-type": "text/csv"}


@pytest.fixture(scope="module")
def iris_server(models):
    with running(create_app(load_model(models["sklearn"]), name="iris")) as server:
        yield server


@pytest.fixture(scope="module")
def client(iris_server):
    with iris_server.client() as client:
        yield client


def test_health(client):
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    health = answer.json()
    assert health["status"] == "ok"
    assert health["model"] == "iris" and health["variant"] == "AllTraffic"
    assert health["kind"] == "sklearn"
    assert health["features"] == IRIS_FEATURES and health["n_features"] == 4
    assert health["classes"] == [0, 1, 2] and health["probabilities"]
    assert health["capture"] is None


def test_predict_one_object_answers_lists(client):
    answer = client.post("/api/v1/predict", json=SETOSA)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["predictions"] == [0]
    assert body["classes"] == [0, 1, 2]
    assert len(body["probabilities"]) == 1 and math.isclose(sum(body["probabilities"][0]), 1.0)
    assert body["probabilities"][0][0] > 0.9


def test_predict_list_of_objects_in_any_key_order(client):
    reordered = {name: VIRGINICA[name] for name in reversed(IRIS_FEATURES)}
    answer = client.post("/api/v1/predict", json=[SETOSA, reordered])
    assert answer.json()["predictions"] == [0, 2]


def test_predict_csv_rows(client):
    answer = client.post("/api/v1/predict", content=f"{SETOSA_CSV}\n{VIRGINICA_CSV}\n", headers=CSV)
    assert answer.status_code == 200
    assert answer.json()["predictions"] == [0, 2]
    assert len(answer.json()["probabilities"]) == 2


def test_predict_csv_with_charset_crlf_quotes_and_blank_lines(client):
    body = f'"5.1", 3.5 ,1.4,0.2\r\n\r\n{VIRGINICA_CSV}'
    answer = client.post(
        "/api/v1/predict", content=body, headers={"content-type": "text/csv; charset=utf-8"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == [0, 2]


def test_numbers_sent_as_text_are_numbers(client):
    answer = client.post("/api/v1/predict", json={**SETOSA, "petal_length": " 1.4 "})
    assert answer.json()["predictions"] == [0]


def test_invocations_csv_answers_csv_by_default(client):
    answer = client.post(
        "/endpoints/iris/invocations", content=f"{SETOSA_CSV}\n{VIRGINICA_CSV}\n", headers=CSV
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.text == "0\n2"


@pytest.mark.parametrize(
    "body",
    [
        {"instances": [SETOSA_CSV.split(","), VIRGINICA_CSV.split(",")]},
        {"instances": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]},
        {"instances": [SETOSA, VIRGINICA]},
        [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]],
        [SETOSA, VIRGINICA],
    ],
    ids=["instances-of-text", "instances-of-lists", "instances-of-objects", "lists", "objects"],
)
def test_invocations_json_shapes(client, body):
    answer = client.post("/endpoints/iris/invocations", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["predictions"] == [0, 2]


@pytest.mark.parametrize("body", [SETOSA, [5.1, 3.5, 1.4, 0.2]], ids=["object", "bare-list"])
def test_invocations_one_row(client, body):
    answer = client.post("/endpoints/iris/invocations", json=body)
    assert answer.json()["predictions"] == [0]


@pytest.mark.parametrize(
    ("content_type", "accept", "answer_type"),
    [
        ("text/csv", "application/json", "application/json"),
        ("application/json", "text/csv", "text/csv; charset=utf-8"),
        ("text/csv", "*/*", "text/csv; charset=utf-8"),
        ("application/json", "*/*", "application/json"),
        (
            "application/json",
            "text/html, text/csv;q=0.5, application/json;q=0.9",
            "application/json",
        ),
        ("text/csv", "application/json;q=0, text/*", "text/csv; charset=utf-8"),
    ],
)
def test_accept_decides_the_answer(client, content_type, accept, answer_type):
    body = SETOSA_CSV if content_type == "text/csv" else '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
    answer = client.post(
        "/endpoints/iris/invocations",
        content=body,
        headers={"content-type": content_type, "accept": accept},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == answer_type
    expected = "0" if answer_type.startswith("text/csv") else None
    assert answer.text == expected if expected else answer.json()["predictions"] == [0]


def test_accept_that_cannot_be_answered(client):
    answer = client.post(
        "/endpoints/iris/invocations",
        content=SETOSA_CSV,
        headers={**CSV, "accept": "application/x-protobuf"},
    )
    assert answer.status_code == 406
    assert "application/x-protobuf" in answer.json()["error"]


def test_another_endpoint_name_is_not_found(client):
    answer = client.post("/endpoints/churn/invocations", content=SETOSA_CSV, headers=CSV)
    assert answer.status_code == 404
    assert answer.json() == {
        "error": "no endpoint named 'churn'; this server serves 'iris'",
        "detail": [],
    }


def test_unknown_route_and_method_answer_json(client):
    assert client.get("/api/v2/predict").json() == {"error": "Not Found", "detail": []}
    answer = client.get("/api/v1/predict")
    assert answer.status_code == 405 and answer.json()["error"] == "Method Not Allowed"


def test_openapi_documents_the_routes_with_examples(client):
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    predict = schema["paths"]["/api/v1/predict"]["post"]
    body = predict["requestBody"]["content"]
    assert body["application/json"]["examples"]["one row"]["value"].keys() == set(IRIS_FEATURES)
    assert body["text/csv"]["example"].count(",") == 6
    assert {"200", "400", "413", "415", "422", "500"} <= set(predict["responses"])
    invocations = schema["paths"]["/endpoints/{name}/invocations"]["post"]
    assert "text/csv" in invocations["responses"]["200"]["content"]
    assert "/api/v1/health" in schema["paths"] and "/metrics" in schema["paths"]


def test_metrics_count_requests(iris_server):
    with iris_server.client() as client:
        for _ in range(3):
            client.post("/api/v1/predict", json=SETOSA)
        client.post("/api/v1/predict", json={"sepal_length": 1})
        client.get("/no/such/route")
        text = client.get("/metrics").text
    labels = 'endpoint="iris",route="/api/v1/predict",status="200",variant="AllTraffic"'
    assert _sample(text, f"watchkeeper_requests_total{{{labels}}}") >= 3
    refused = 'endpoint="iris",route="/api/v1/predict",status="422",variant="AllTraffic"'
    assert _sample(text, f"watchkeeper_requests_total{{{refused}}}") >= 1
    assert 'route="unmatched",status="404"' in text
    timed = 'endpoint="iris",route="/api/v1/predict",variant="AllTraffic"'
    assert _sample(text, f"watchkeeper_request_seconds_count{{{timed}}}") >= 4
    assert "watchkeeper_capture_records_total" not in text  # no capture, no capture counts


def _sample(text: str, series: str) -> float:
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in the metrics")


# -- other kinds of model -----------------------------------------------------------------


@pytest.mark.parametrize("which", ["xgboost", "xgboost_ubj", "onnx", "onnx_named"])
def test_other_classifiers(models, serve, which):
    server = serve(create_app(load_model(models[which]), name="model"))
    with server.client() as client:
        rows = f"{SETOSA_CSV}\n{VIRGINICA_CSV}\n"
        assert client.post("/endpoints/model/invocations", content=rows, headers=CSV).text == (
            "0\n2"
        )
        answer = client.post("/api/v1/predict", content=rows, headers=CSV).json()
        assert answer["predictions"] == [0, 2]
        assert answer["classes"] == [0, 1, 2] and len(answer["probabilities"][1]) == 3
        if which in ("xgboost", "xgboost_ubj", "onnx_named"):  # these know their names
            assert client.post("/api/v1/predict", json=[SETOSA]).json()["predictions"] == [0]


def test_regressor_answers_numbers_without_probabilities(models, serve):
    server = serve(create_app(load_model(models["regression"]), name="width"))
    with server.client() as client:
        body = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4}
        answer = client.post("/api/v1/predict", json=body).json()
        assert answer.keys() == {"predictions"}
        assert 0.0 < answer["predictions"][0] < 0.6
        csv = client.post("/endpoints/width/invocations", content="5.1,3.5,1.4\n", headers=CSV)
        assert float(csv.text) == pytest.approx(answer["predictions"][0])


def test_module_attribute_model(models, serve, monkeypatch):
    monkeypatch.chdir(models["module_folder"])
    server = serve(create_app(load_model("petal_rule:rule"), name="rule"))
    with server.client() as client:
        answer = client.post(
            "/api/v1/predict",
            json=[{"petal_length": 1.4, "petal_width": 0.2}, {"petal_length": 5, "petal_width": 2}],
        )
        assert answer.json() == {
            "predictions": [0, 1],
            "probabilities": [[1.0, 0.0], [0.0, 1.0]],
        }
        assert client.post("/endpoints/rule/invocations", content="5,2\n", headers=CSV).text == (
            "1"
        )


def test_unnamed_model_takes_lists_and_csv(models, serve):
    server = serve(create_app(load_model(models["unnamed"]), name="plain"))
    with server.client() as client:
        assert client.post("/api/v1/predict", json=[[5.1, 3.5, 1.4, 0.2]]).json()[
            "predictions"
        ] == [0]
        answer = client.post("/api/v1/predict", json=SETOSA)
        assert answer.status_code == 422
        assert "features have no names" in answer.json()["error"]


def test_text_features_from_the_baseline(models, mixed_baseline, serve):
    model = load_model(models["mixed"], baseline=mixed_baseline)
    server = serve(create_app(model, name="orders"))
    with server.client() as client:
        rows = [
            {"amount": 150.0, "items": 3, "channel": "web"},
            {"amount": 50, "items": "2", "channel": "store"},
        ]
        assert client.post("/api/v1/predict", json=rows).json()["predictions"] == [1, 0]
        csv = client.post(
            "/endpoints/orders/invocations", content="150.0,3,web\n50,2,phone\n", headers=CSV
        )
        assert csv.text == "1\n0"
        health = client.get("/api/v1/health").json()
        assert health["feature_types"] == ["Fractional", "Integral", "String"]
        # a decimal in an Integral feature is drift for monitoring to report, not an error
        assert client.post("/api/v1/predict", json={**rows[0], "items": 2.5}).status_code == 200


@pytest.mark.parametrize("which", ["tolerant", "xgboost"])
def test_missing_values_reach_models_that_take_them(models, serve, which):
    server = serve(create_app(load_model(models[which]), name="tolerant"))
    with server.client() as client:
        answer = client.post("/api/v1/predict", json={**SETOSA, "sepal_width": None})
        assert answer.status_code == 200 and answer.json()["predictions"] == [0]
        csv = client.post("/endpoints/tolerant/invocations", content="5.1,,1.4,nan\n", headers=CSV)
        assert csv.status_code == 200 and csv.text == "0"
        assert client.get("/api/v1/health").json()["accepts_missing"] is True
        infinite = client.post(
            "/endpoints/tolerant/invocations", content="5.1,inf,1.4,0.2", headers=CSV
        )
        assert infinite.status_code == 422
