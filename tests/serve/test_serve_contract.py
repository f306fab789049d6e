"""schemathesis against the prediction API's OpenAPI on a real server: every operation,
with valid and invalid requests, and not one answer of 500 or more."""

from __future__ import annotations

from contracts import run_contract
from watchkeeper.capture import CaptureWriter
from watchkeeper.model import load_model
from watchkeeper.serve import create_app


def test_no_request_makes_the_prediction_api_fail(models, iris_baseline, serve, tmp_path):
    # a model with named features, a baseline and capture: every validation path is live
    model = load_model(models["sklearn"], baseline=str(iris_baseline))
    writer = CaptureWriter(str(tmp_path / "capture"), "iris", "AllTraffic")
    server = serve(create_app(model, name="iris", capture=writer, max_body_bytes=64 * 1024))
    found = run_contract(server.url)
    print(f"\nserve: {found.summary()}")
    assert {"POST /api/v1/predict", "POST /endpoints/{name}/invocations"} <= set(found.operations)
    assert found.statuses[200] > 0  # some generated requests were valid predictions
    assert found.server_errors == []
