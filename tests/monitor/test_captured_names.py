"""Jobs over windows of real captured traffic: CSV invocations and JSON predictions of
one served model fill the same named columns, and answers keep the names they have."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

import watchkeeper
from clocks import Clock, at
from live import LiveServer
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import COMPLETED, COMPLETED_WITH_VIOLATIONS, Catalog, MonitoringStore
from watchkeeper.explain import explain, write_explanations
from watchkeeper.fairness import posttraining_bias, write_analysis
from watchkeeper.model import load_model
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.quality import suggest_quality_baseline, upload_ground_truth
from watchkeeper.serve import create_app

UTC = dt.UTC
FEATURES = ["income", "debt", "age"]




def applicants(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "income": rng.normal(50, 10, rows).round(2),
        "debt": rng.normal(20, 5, rows).round(2),
        "age": rng.integers(20, 70, rows).astype(float),
    })  # fmt: skip
    return frame


@pytest.fixture
def served(tmp_path):
    """A model trained on named features, served with capture on a clock the test sets."""
    train = applicants(2000, seed=1)
    approved = (train["income"] - train["debt"] > 30).astype(int)
    model = LogisticRegression(max_iter=1000).fit(train, approved)
    joblib.dump(model, tmp_path / "model.joblib")
    clock = Clock(at(9, 30))
    writer = CaptureWriter(str(tmp_path / "capture"), "loans", clock=clock.timestamp)
    app = create_app(load_model(str(tmp_path / "model.joblib")), name="loans", capture=writer)
    server = LiveServer(app).start()
    yield tmp_path, clock, server, model, train.assign(approved=approved)
    server.stop()


def invoke_csv(client, rows: pd.DataFrame) -> None:
    for row in rows.itertuples(index=False):
        answer = client.post(
            "/endpoints/loans/invocations",
            content=",".join(repr(float(value)) for value in row),
            headers={"content-type": "text/csv"},
        )
        assert answer.status_code == 200, answer.text


def violations_of(execution) -> list[tuple[str, str]]:
    if "violations" not in execution.artifacts:
        return []
    with open(execution.artifacts["violations"]) as file:
        found = json.load(file)["violations"]
    return sorted((v["feature_name"], v["constraint_check_type"]) for v in found)


def test_a_json_prediction_joins_a_window_of_csv_invocations(served):
    path, clock, server, _model, train = served
    # the baseline of the training data, the label first: SageMaker's layout, whose
    # first column is matched to the answer of a headerless CSV capture
    table = pa.Table.from_pandas(train[["approved", *FEATURES]], preserve_index=False)
    watchkeeper.suggest_baseline(table, path / "baseline")
    catalog = Catalog(f"sqlite:///{path}/catalog.db")
    create_schedule(
        catalog, name="quality", endpoint="loans", capture=str(path / "capture"),
        baseline=str(path / "baseline"), report=str(path / "monitoring"),
        cron="0 * * * *", created_at=clock.now,
    )  # fmt: skip
    scheduler = Scheduler(MonitoringStore(catalog), clock=clock)
    traffic = applicants(43, seed=2)
    with server.client() as client:
        clock.now = at(9, 40)
        invoke_csv(client, traffic)
        clock.now = at(10, 40)
        invoke_csv(client, traffic)
        one = dict(zip(FEATURES, map(float, traffic.iloc[0]), strict=True))
        assert client.post("/api/v1/predict", json=one).status_code == 200
    assert server.app.capture.flush(timeout=10)
    clock.now = at(10, 0, 5)
    [csv_only] = scheduler.run_pending()
    clock.now = at(11, 0, 5)
    [mixed] = scheduler.run_pending()
    assert (csv_only.records, mixed.records) == (43, 44)
    # the JSON record adds one row to the same columns, and nothing to judge
    assert violations_of(mixed) == violations_of(csv_only)
    statistics = json.loads(
        (path / "monitoring/loans/quality/2026/11/20/11/statistics.json").read_text()
    )
    columns = {feature["name"]: feature for feature in statistics["features"]}
    assert sorted(columns) == sorted(["approved", *FEATURES])
    assert columns["income"]["numerical_statistics"]["common"]["num_present"] == 44
    assert columns["approved"]["numerical_statistics"]["common"]["num_present"] == 44


def test_explainability_over_csv_captures_names_the_models_features(served):
    path, clock, server, model, train = served
    baseline = explain(model, train[FEATURES].iloc[:100], num_clusters=5, seed=0)
    write_explanations(baseline, path / "baseline")
    catalog = Catalog(f"sqlite:///{path}/catalog.db")
    create_schedule(
        catalog, name="shap", endpoint="loans", capture=str(path / "capture"),
        baseline=str(path / "baseline"), report=str(path / "monitoring"),
        cron="0 * * * *", created_at=clock.now, kind="model-explainability",
        options={"model": str(path / "model.joblib"), "num_clusters": 5, "max_rows": 30},
    )  # fmt: skip
    with server.client() as client:
        clock.now = at(9, 40)
        invoke_csv(client, applicants(30, seed=3))
    assert server.app.capture.flush(timeout=10)
    clock.now = at(10, 0, 5)
    [execution] = Scheduler(MonitoringStore(catalog), clock=clock).run_pending()
    assert execution.status in (COMPLETED, COMPLETED_WITH_VIOLATIONS), execution.failure_reason
    assert execution.records == 30
    analysis = json.loads((path / "monitoring/loans/shap/2026/11/20/10/analysis.json").read_text())
    [label] = analysis["explanations"]["kernel_shap"].values()
    assert sorted(label["global_shap_values"]) == sorted(FEATURES)


@pytest.mark.parametrize("column", ["predictions", "_c0"])
def test_bias_reads_the_answer_column_by_its_name(tmp_path, column):
    rng = np.random.default_rng(5)
    rows = 600
    sex = (rng.random(rows) < 0.6).astype(int)
    grade = rng.normal(60, 15, rows)
    approved = (grade > 60).astype(int)
    predicted = ((grade > 60) | ((sex == 1) & (rng.random(rows) < 0.2))).astype(int)
    reference = pd.DataFrame({"sex": sex, "grade": grade, "approved": approved,
                              "predicted": predicted})  # fmt: skip
    post = posttraining_bias(reference, label="approved", label_values=[1], facet="sex",
                             facet_values=[0], predicted_label="predicted")  # fmt: skip
    write_analysis(tmp_path / "baseline" / "analysis.json", post=post)
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    create_schedule(
        catalog, name="bias", endpoint="scholarship", capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"), report=str(tmp_path / "monitoring"),
        cron="0 * * * *", created_at=clock.now, kind="model-bias",
        options={"label_values": [1], "facet": "sex", "facet_values": [0],
                 "predicted_label": column, "ground_truth": str(tmp_path / "groundtruth")},
    )  # fmt: skip
    clock.now = at(9, 40)
    writer = CaptureWriter(str(tmp_path / "capture"), "scholarship", clock=clock.timestamp)
    labels = ["inferenceId,label"]
    for number, row in enumerate(reference.to_dict("records")):
        request = {"sex": int(row["sex"]), "grade": row["grade"]}
        score = 0.9 if row["predicted"] else 0.1
        # the answer of `watchkeeper serve`'s /api/v1/predict
        answer = {"predictions": [int(row["predicted"])],
                  "probabilities": [[1 - score, score]], "classes": [0, 1]}  # fmt: skip
        writer.capture(json.dumps(request), "application/json", json.dumps(answer),
                       "application/json", inference_id=f"i{number}")  # fmt: skip
        labels.append(f"i{number},{int(row['approved'])}")
    writer.close()
    (tmp_path / "labels.csv").write_text("\n".join(labels) + "\n")
    upload_ground_truth(tmp_path / "labels.csv", "scholarship", tmp_path / "groundtruth",
                        collected_at=at(9, 50))  # fmt: skip
    clock.now = at(10, 0, 5)
    [execution] = Scheduler(MonitoringStore(catalog), clock=clock).run_pending()
    assert execution.status == COMPLETED, execution.failure_reason
    assert execution.records == rows
    analysis = json.loads(
        (tmp_path / "monitoring/scholarship/bias/2026/11/20/10/analysis.json").read_text()
    )
    window = {m["name"]: m["value"] for m in
              analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}
    expected = {m["name"]: m["value"] for m in post["facets"]["sex"][0]["metrics"]}
    # the window is the reference itself: the same figures
    assert window["DPPL"] == pytest.approx(expected["DPPL"])


@pytest.mark.parametrize("column", ["predictions", "_c0"])
def test_model_quality_reads_the_answer_column_by_either_name(tmp_path, column):
    rng = np.random.default_rng(8)
    rows = 400
    approved = (rng.random(rows) < 0.5).astype(int)
    predicted = np.where(rng.random(rows) < 0.85, approved, 1 - approved)
    reference = pd.DataFrame({"approved": approved, "predicted": predicted})
    suggest_quality_baseline(
        pa.Table.from_pandas(reference), tmp_path / "baseline",
        problem_type="BinaryClassification", inference_attribute="predicted",
        ground_truth_attribute="approved",
    )  # fmt: skip
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    create_schedule(
        catalog, name="quality", endpoint="scholarship", capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"), report=str(tmp_path / "monitoring"),
        cron="0 * * * *", created_at=clock.now, kind="model-quality",
        options={"problem_type": "BinaryClassification", "inference_attribute": column,
                 "ground_truth": str(tmp_path / "groundtruth")},
    )  # fmt: skip
    clock.now = at(9, 40)
    writer = CaptureWriter(str(tmp_path / "capture"), "scholarship", clock=clock.timestamp)
    labels = ["inferenceId,label"]
    for number, (truth, guess) in enumerate(zip(approved, predicted, strict=True)):
        answer = {"predictions": [int(guess)], "classes": [0, 1]}
        writer.capture(json.dumps({"grade": 1.0}), "application/json", json.dumps(answer),
                       "application/json", inference_id=f"i{number}")  # fmt: skip
        labels.append(f"i{number},{int(truth)}")
    writer.close()
    (tmp_path / "labels.csv").write_text("\n".join(labels) + "\n")
    upload_ground_truth(tmp_path / "labels.csv", "scholarship", tmp_path / "groundtruth",
                        collected_at=at(9, 50))  # fmt: skip
    clock.now = at(10, 0, 5)
    [execution] = Scheduler(MonitoringStore(catalog), clock=clock).run_pending()
    assert execution.status == COMPLETED, execution.failure_reason
    statistics = json.loads(Path(execution.artifacts["statistics"]).read_text())
    accuracy = statistics["binary_classification_metrics"]["accuracy"]["value"]
    assert accuracy == pytest.approx(float(np.mean(approved == predicted)))
