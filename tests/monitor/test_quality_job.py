"""Model-quality schedules: captured predictions joined to ground truth, judged against a
model-quality baseline, and estimated from the scores while labels have not arrived."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest

from clocks import Clock, at
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import (
    COMPLETED,
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    Catalog,
    MonitoringStore,
)
from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.io.storage import write_text
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.quality import model_quality, suggest_quality_constraints, upload_ground_truth

UTC = dt.UTC




def traffic(rng, rows: int, flip: float = 0.0):
    """Calibrated scores and their labels; ``flip`` of the labels turned over (the model
    got worse: concept drift only labels reveal)."""
    chance = rng.beta(2, 2, rows)
    labels = rng.random(rows) < chance
    flipped = rng.random(rows) < flip
    return chance, labels ^ flipped


@pytest.fixture
def setup(tmp_path):
    rng = np.random.default_rng(11)
    scores, labels = traffic(rng, 4000)
    reference = pa.table(
        {
            "probability": scores,
            "prediction": (scores >= 0.5).astype(np.int64),
            "label": labels.astype(np.int64),
        }
    )
    import pyarrow.parquet as pq

    pq.write_table(reference, tmp_path / "reference.parquet")
    statistics = model_quality(
        reference,
        problem_type="BinaryClassification",
        inference_attribute="prediction",
        probability_attribute="probability",
        ground_truth_attribute="label",
    )
    write_text(tmp_path / "baseline" / "statistics.json", json.dumps(statistics))
    constraints = suggest_quality_constraints(statistics)
    # suggested thresholds are the baseline's own values; a team leaves room for noise
    for rule in constraints["binary_classification_constraints"].values():
        room = 0.05 if rule["comparison_operator"] == "GreaterThanThreshold" else -0.05
        rule["threshold"] += room
    write_text(tmp_path / "baseline" / "constraints.json", json.dumps(constraints))
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    create_schedule(
        catalog,
        name="churn-quality",
        endpoint="churn",
        capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"),
        report=str(tmp_path / "monitoring"),
        cron="0 * * * *",
        created_at=clock.now,
        kind="model-quality",
        options={
            "problem_type": "BinaryClassification",
            "inference_attribute": "prediction",
            "probability_attribute": "probability",
            "ground_truth": str(tmp_path / "groundtruth"),
            "reference": str(tmp_path / "reference.parquet"),
            "reference_label": "label",
        },
    )
    return tmp_path, clock, Scheduler(MonitoringStore(catalog), clock=clock), rng, statistics


def serve_hour(path, clock, rng, hour: int, flip: float, labelled: bool) -> tuple:
    """An hour of captured predictions, and (if ``labelled``) their labels uploaded."""
    scores, labels = traffic(rng, 600, flip)
    clock.now = at(hour, 20)
    writer = CaptureWriter(str(path / "capture"), "churn", clock=lambda: clock.now.timestamp())
    rows = []
    for number, (score, label) in enumerate(zip(scores, labels, strict=True)):
        inference = f"{hour}-{number}"
        writer.capture(
            json.dumps({"x": float(score)}),
            "application/json",
            json.dumps({"prediction": int(score >= 0.5), "probability": float(score)}),
            "application/json",
            inference_id=inference,
        )
        rows.append(f"{inference},{int(label)}")
    writer.close()
    if labelled:
        csv = path / f"labels-{hour}.csv"
        csv.write_text("inferenceId,label\n" + "\n".join(rows) + "\n")
        upload_ground_truth(csv, "churn", path / "groundtruth", collected_at=at(hour, 50))
    return scores, labels


def test_windows_are_judged_on_their_ground_truth(setup):
    path, clock, scheduler, rng, _ = setup
    scores, labels = serve_hour(path, clock, rng, 9, flip=0.0, labelled=True)
    clock.now = at(10, 0, 5)
    [good] = scheduler.run_pending()
    serve_hour(path, clock, rng, 10, flip=0.35, labelled=True)
    clock.now = at(11, 0, 5)
    [bad] = scheduler.run_pending()
    assert (good.status, good.records) == (COMPLETED, 600)
    assert bad.status == COMPLETED_WITH_VIOLATIONS and bad.violations >= 1
    found = json.loads((path / "monitoring/churn/churn-quality/2026/11/20/11/"
                        "constraint_violations.json").read_text())["violations"]  # fmt: skip
    operators = {v["metric_name"]: v["constraint_check_type"] for v in found}
    assert operators["accuracy"] == operators["f1"] == operators["auc"] == "LessThanThreshold"
    assert operators["false_positive_rate"] == "GreaterThanThreshold"
    written = json.loads((path / "monitoring/churn/churn-quality/2026/11/20/10/"
                          "statistics.json").read_text())  # fmt: skip
    accuracy = ((scores >= 0.5) == labels).mean()
    assert written["binary_classification_metrics"]["accuracy"]["value"] == pytest.approx(accuracy)
    store = MonitoringStore(scheduler.store.catalog)
    series = store.metric_series("churn-quality", "accuracy")
    assert [round(p.value, 6) for p in series] == [
        round(accuracy, 6), pytest.approx(series[1].value)
    ]
    estimated = store.metric_series("churn-quality", "estimated_accuracy")
    # the estimate tracks the good hour; the flipped labels of the bad one it cannot see
    assert estimated[0].value == pytest.approx(accuracy, abs=0.04)
    assert series[1].value < estimated[1].value - 0.1
    page = (path / "monitoring/churn/churn-quality/2026/11/20/11/report.html").read_text()
    assert bad.artifacts["html"].endswith("report.html") and "false_positive_rate" in page
    recorded = {p.name for p in store.metrics_of(bad.id)}
    assert {"accuracy", "estimated_accuracy", "records_with_ground_truth"} <= recorded


def test_before_labels_arrive_the_estimate_is_judged(setup):
    path, clock, scheduler, rng, baseline = setup
    serve_hour(path, clock, rng, 9, flip=0.0, labelled=False)
    clock.now = at(10, 0, 5)
    [run] = scheduler.run_pending()
    assert run.status == COMPLETED and run.records == 600
    points = {p.name: p.value for p in MonitoringStore(scheduler.store.catalog).latest_metrics()}
    assert points["records_with_ground_truth"] == 0
    reference = baseline["binary_classification_metrics"]["accuracy"]["value"]
    assert points["estimated_accuracy"] == pytest.approx(reference, abs=0.04)


def test_without_labels_or_reference_the_run_fails_with_the_reason(setup):
    path, clock, scheduler, rng, _ = setup
    store = MonitoringStore(scheduler.store.catalog)
    schedule = store.schedule("churn-quality")
    options = {k: v for k, v in schedule.options.items() if not k.startswith("reference")}
    store.delete_schedule("churn-quality")
    create_schedule(
        store.catalog, name="no-estimate", endpoint="churn", capture=schedule.capture,
        baseline=schedule.baseline, report=schedule.report, cron="0 * * * *",
        created_at=at(9, 30), kind="model-quality", options=options,
    )  # fmt: skip
    serve_hour(path, clock, rng, 9, flip=0.0, labelled=False)
    clock.now = at(10, 0, 5)
    [run] = scheduler.run_pending()
    assert run.status == FAILED
    assert "no ground truth has joined the 600 captured records" in run.failure_reason


def test_bad_model_quality_schedules_are_refused_at_creation(setup):
    path, _, scheduler, _, _ = setup
    catalog = scheduler.store.catalog
    common = {
        "catalog": catalog, "endpoint": "churn", "capture": str(path / "capture"),
        "report": str(path / "r"), "kind": "model-quality",
    }  # fmt: skip
    good = {"problem_type": "Regression", "inference_attribute": "p", "ground_truth": "gt"}
    with pytest.raises(UsageError, match="problem_type"):
        create_schedule(name="a", baseline=str(path / "baseline"), **common,
                        options={**good, "problem_type": "Guess"})  # fmt: skip
    with pytest.raises(UsageError, match="ground_truth"):
        create_schedule(name="b", baseline=str(path / "baseline"), **common,
                        options={k: v for k, v in good.items() if k != "ground_truth"})  # fmt: skip
    with pytest.raises(UsageError, match="unknown model-quality option"):
        create_schedule(name="c", baseline=str(path / "baseline"), **common,
                        options={**good, "colour": "red"})  # fmt: skip
    with pytest.raises(WatchkeeperError, match=r"nowhere/constraints\.json: no such file"):
        create_schedule(name="d", baseline=str(path / "nowhere"), **common, options=good)
    with pytest.raises(UsageError, match="kind must be"):
        create_schedule(name="e", baseline=str(path / "baseline"),
                        **{**common, "kind": "vibes"}, options=good)  # fmt: skip
