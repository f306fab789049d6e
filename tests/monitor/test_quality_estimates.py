"""Model-quality schedules of multiclass and regression models: their metrics estimated
from the captured records before labels arrive, then compared with the realized ones."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clocks import Clock, at
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import (
    COMPLETED_WITH_VIOLATIONS,
    FAILED,
    Catalog,
    MonitoringStore,
)
from watchkeeper.errors import UsageError
from watchkeeper.io.storage import write_text
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.quality import model_quality, suggest_quality_constraints, upload_ground_truth

CLASSES = np.array(["cat", "dog", "eel"])
WEIGHTS = np.array([[1.5, -1.0], [-1.0, 1.2], [-0.3, -0.4]])


def animals(rng, rows: int, shift: float = 0.0, spread: float = 1.0):
    """Two inputs, calibrated class probabilities from them, and labels drawn from those."""
    x = rng.normal(shift, spread, (rows, 2))
    logits = x @ WEIGHTS.T
    chance = np.exp(logits - logits.max(axis=1, keepdims=True))
    chance /= chance.sum(axis=1, keepdims=True)
    labels = CLASSES[(rng.random(rows)[:, None] > chance.cumsum(axis=1)).sum(axis=1)]
    return x, chance, labels


def prices(rng, rows: int, shift: float = 0.0, spread: float = 1.0):
    """Two inputs, a model's predictions and the targets: the model misses a square term
    and the noise grows with the first input, so the error depends on the inputs."""
    x = rng.normal(shift, spread, (rows, 2))
    noise = rng.normal(0, 1, rows) * (0.3 + 0.6 * np.abs(x[:, 0]))
    target = 2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 1] ** 2 + noise
    return x, 2 * x[:, 0] - x[:, 1] + 0.5, target


def write_baseline(path, statistics: dict, kind: str) -> None:
    write_text(path / "baseline" / "statistics.json", json.dumps(statistics))
    constraints = suggest_quality_constraints(statistics)
    # suggested thresholds are the baseline's own values; a team leaves room for noise
    for rule in constraints[f"{kind}_constraints"].values():
        room = 0.05 if rule["comparison_operator"] == "GreaterThanThreshold" else -0.05
        rule["threshold"] *= 1.0 + room
    write_text(path / "baseline" / "constraints.json", json.dumps(constraints))


def schedule(catalog, path, name: str, **options):
    create_schedule(
        catalog, name=name, endpoint=name, capture=str(path / "capture"),
        baseline=str(path / "baseline"), report=str(path / "monitoring"), cron="0 * * * *",
        created_at=at(9, 30), kind="model-quality",
        options={"ground_truth": str(path / "groundtruth"), **options},
    )  # fmt: skip


def serve(path, clock, endpoint: str, hour: int, inputs, answers, truth, labelled: bool):
    """An hour of captured requests and answers, and (if ``labelled``) their labels."""
    clock.now = at(hour, 20)
    writer = CaptureWriter(str(path / "capture"), endpoint, clock=lambda: clock.now.timestamp())
    rows = []
    for number, (features, answer, label) in enumerate(zip(inputs, answers, truth, strict=True)):
        inference = f"{hour}-{number}"
        writer.capture(
            json.dumps({"x0": float(features[0]), "x1": float(features[1])}),
            "application/json", json.dumps(answer), "application/json", inference_id=inference,
        )  # fmt: skip
        rows.append(f"{inference},{label}")
    writer.close()
    if labelled:
        csv = path / f"labels-{endpoint}-{hour}.csv"
        csv.write_text("inferenceId,label\n" + "\n".join(rows) + "\n")
        upload_ground_truth(csv, endpoint, path / "groundtruth", collected_at=at(hour, 50))
    clock.now = at(hour + 1, 0, 5)


def animal_answers(chance):
    # the answer ``watchkeeper serve`` gives: predicted labels and each class's probability
    return [{"predictions": [str(CLASSES[row.argmax()])], "probabilities": [row.tolist()]}
            for row in chance]  # fmt: skip


@pytest.fixture
def animal_world(tmp_path, database_url):
    rng = np.random.default_rng(21)
    x, chance, labels = animals(rng, 20_000)
    reference = {f"probabilities_{k}": chance[:, k] for k in range(3)}
    reference.update({"label": labels, "x0": x[:, 0], "x1": x[:, 1]})
    pq.write_table(pa.table(reference), tmp_path / "reference.parquet")
    statistics = model_quality(
        pa.table({"label": labels, "prediction": CLASSES[chance.argmax(axis=1)]}),
        problem_type="MulticlassClassification", inference_attribute="prediction",
        ground_truth_attribute="label",
    )  # fmt: skip
    write_baseline(tmp_path, statistics, "multiclass_classification")
    catalog = Catalog(database_url)
    schedule(
        catalog, tmp_path, "animals", problem_type="MulticlassClassification",
        inference_attribute="predictions", probability_attribute="probabilities",
        reference=str(tmp_path / "reference.parquet"), reference_label="label",
    )  # fmt: skip
    clock = Clock(at(9, 30))
    return tmp_path, clock, Scheduler(MonitoringStore(catalog), clock=clock), rng, statistics


def test_a_multiclass_window_is_estimated_then_compared_with_its_labels(animal_world):
    path, clock, scheduler, rng, statistics = animal_world
    store = MonitoringStore(scheduler.store.catalog)
    # the inputs moved towards the boundary between classes: the model is less sure
    x, chance, labels = animals(rng, 2_000, shift=-1.0, spread=0.6)
    serve(path, clock, "animals", 9, x, animal_answers(chance), labels, labelled=False)
    [early] = scheduler.run_pending()
    x, chance, labels = animals(rng, 2_000, shift=-1.0, spread=0.6)
    serve(path, clock, "animals", 10, x, animal_answers(chance), labels, labelled=True)
    [late] = scheduler.run_pending()
    accuracy = (CLASSES[chance.argmax(axis=1)] == labels).mean()
    early_points = {p.name: p.value for p in store.metrics_of(early.id)}
    points = {p.name: p.value for p in store.metrics_of(late.id)}
    assert early_points["records_with_ground_truth"] == 0 and "accuracy" not in early_points
    baseline = statistics["multiclass_classification_metrics"]["accuracy"]["value"]
    # the estimate saw the fall before any label came, and it agrees with the labels
    assert early_points["estimated_accuracy"] < baseline - 0.05
    assert early.status == COMPLETED_WITH_VIOLATIONS
    found = json.loads((path / "monitoring/animals/animals/2026/11/20/10/"
                        "constraint_violations.json").read_text())["violations"]  # fmt: skip
    assert {v["metric_name"] for v in found} >= {"accuracy"}
    assert all(v["description"].startswith("Estimated (no ground truth yet)") for v in found)
    assert points["accuracy"] == pytest.approx(accuracy)
    for name in ("accuracy", "weighted_precision", "weighted_recall", "weighted_f1"):
        assert points[f"estimated_{name}"] == pytest.approx(points[name], abs=0.04), name
    assert late.records == 2_000
    page = (path / "monitoring/animals/animals/2026/11/20/11/report.html").read_text()
    assert "Estimated (from scores)" in page


def test_multiclass_estimates_need_a_probability_per_class(animal_world, tmp_path):
    path, clock, scheduler, rng, _ = animal_world
    catalog = scheduler.store.catalog
    with pytest.raises(UsageError, match="needs probability_attribute and reference_label"):
        schedule(catalog, path, "blind", problem_type="MulticlassClassification",
                 inference_attribute="predictions", reference=str(path / "reference.parquet"),
                 reference_label="label")  # fmt: skip
    schedule(catalog, path, "labels-only", problem_type="MulticlassClassification",
             inference_attribute="predictions", probability_attribute="probabilities",
             reference=str(path / "reference.parquet"), reference_label="label")  # fmt: skip
    x, chance, labels = animals(rng, 200)
    # this model answers labels alone: no probabilities to estimate from
    answers = [{"predictions": [str(CLASSES[row.argmax()])]} for row in chance]
    serve(path, clock, "labels-only", 9, x, answers, labels, labelled=False)
    runs = {run.schedule: run for run in scheduler.run_pending()}
    failed = runs["labels-only"]
    assert failed.status == FAILED
    assert failed.failure_reason == (
        "the window has no probability per class: no columns probabilities_0, "
        "probabilities_1, … (a multiclass estimate needs one per class)"
    )


@pytest.mark.parametrize(
    ("labels", "reason"),
    [(None, "no column 'label'"), ([None] * 500, "column 'label' holds no labels")],
)
def test_a_reference_without_labels_fails_the_window_with_the_reason(
    animal_world, labels, reason
):
    path, clock, scheduler, rng, _ = animal_world
    x, chance, truth = animals(rng, 500)
    reference = {f"probabilities_{k}": chance[:, k] for k in range(3)}
    if labels is not None:
        reference["label"] = pa.array(labels, pa.string())
    pq.write_table(pa.table(reference), path / "reference.parquet")
    serve(path, clock, "animals", 9, x[:100], animal_answers(chance[:100]), truth[:100],
          labelled=False)  # fmt: skip
    [run] = scheduler.run_pending()
    assert run.status == FAILED
    assert reason in run.failure_reason and "reference.parquet" in run.failure_reason
    assert "\n" not in run.failure_reason and "Traceback" not in run.failure_reason


@pytest.fixture
def price_world(tmp_path, database_url):
    rng = np.random.default_rng(33)
    x, prediction, target = prices(rng, 20_000)
    pq.write_table(
        pa.table({"x0": x[:, 0], "x1": x[:, 1], "predictions": prediction, "label": target}),
        tmp_path / "reference.parquet",
    )
    statistics = model_quality(
        pa.table({"label": target, "prediction": prediction}), problem_type="Regression",
        inference_attribute="prediction", ground_truth_attribute="label",
    )  # fmt: skip
    write_baseline(tmp_path, statistics, "regression")
    catalog = Catalog(database_url)
    schedule(
        catalog, tmp_path, "prices", problem_type="Regression", inference_attribute="_c0",
        reference=str(tmp_path / "reference.parquet"), reference_label="label",
    )  # fmt: skip
    clock = Clock(at(9, 30))
    return tmp_path, clock, Scheduler(MonitoringStore(catalog), clock=clock), rng, statistics


def test_a_regression_window_is_estimated_then_compared_with_its_labels(price_world):
    path, clock, scheduler, rng, statistics = price_world
    store = MonitoringStore(scheduler.store.catalog)
    # the inputs moved where the noise is larger: the error grows before labels tell
    x, prediction, target = prices(rng, 2_000, shift=0.8)
    answers = [{"predictions": [float(p)]} for p in prediction]
    serve(path, clock, "prices", 9, x, answers, target, labelled=False)
    [early] = scheduler.run_pending()
    x, prediction, target = prices(rng, 2_000, shift=0.8)
    answers = [{"predictions": [float(p)]} for p in prediction]
    serve(path, clock, "prices", 10, x, answers, target, labelled=True)
    [late] = scheduler.run_pending()
    early_points = {p.name: p.value for p in store.metrics_of(early.id)}
    points = {p.name: p.value for p in store.metrics_of(late.id)}
    baseline = statistics["regression_metrics"]["mae"]["value"]
    assert early_points["estimated_mae"] > 1.15 * baseline
    assert early.status == COMPLETED_WITH_VIOLATIONS and early.records == 2_000
    mae = np.abs(target - prediction).mean()
    assert points["mae"] == pytest.approx(mae)
    for name in ("mae", "rmse"):
        assert points[f"estimated_{name}"] == pytest.approx(points[name], rel=0.08), name
    assert points["estimated_r2"] == pytest.approx(points["r2"], abs=0.05)
    assert {p.name for p in store.metric_series("prices", "estimated_mse")} == {"estimated_mse"}


def test_a_regression_estimate_names_the_features_it_lacks(price_world):
    path, clock, scheduler, rng, _ = price_world
    catalog = scheduler.store.catalog
    with pytest.raises(UsageError, match="needs inference_attribute and reference_label"):
        schedule(catalog, path, "no-label", problem_type="Regression",
                 inference_attribute="_c0", reference=str(path / "reference.parquet"))  # fmt: skip
    with pytest.raises(UsageError, match=r"features must be a non-empty list, .* not 'x0'"):
        schedule(catalog, path, "one", problem_type="Regression", inference_attribute="_c0",
                 reference=str(path / "reference.parquet"), reference_label="label",
                 features="x0")  # fmt: skip
    schedule(catalog, path, "named", problem_type="Regression", inference_attribute="_c0",
             reference=str(path / "reference.parquet"), reference_label="label",
             features=["x0", "x2"])  # fmt: skip
    x, prediction, target = prices(rng, 200)
    answers = [{"predictions": [float(p)]} for p in prediction]
    serve(path, clock, "named", 9, x, answers, target, labelled=False)
    runs = {run.schedule: run for run in scheduler.run_pending()}
    assert runs["named"].status == FAILED
    assert runs["named"].failure_reason.endswith(
        "no column 'x2' (it has x0, x1, predictions, label)"
    )



def test_the_command_line_sets_up_and_shows_a_multiclass_estimate(animal_world, database_url):
    from typer.testing import CliRunner

    from watchkeeper.cli import app

    path, clock, scheduler, rng, _ = animal_world
    runner = CliRunner()
    common = ["schedule", "create", "--endpoint", "pets", "--baseline", str(path / "baseline"),
              "--capture", str(path / "capture"), "--report", str(path / "monitoring"),
              "--kind", "model-quality", "--problem-type", "MulticlassClassification",
              "--inference-attribute", "predictions", "--ground-truth", str(path / "groundtruth"),
              "--reference", str(path / "reference.parquet"), "--reference-label", "label",
              "--database", database_url]  # fmt: skip
    refused = runner.invoke(app, [*common, "--name", "blind"])
    assert refused.exit_code == 2
    assert refused.output.strip().splitlines() == [
        "error: estimating performance from a reference needs probability_attribute and "
        "reference_label"
    ]
    classes = 'classes=["cat","dog","eel"]'
    created = runner.invoke(app, [*common, "--name", "pets", "--probability-attribute",
                                  "probabilities", "--option", classes])  # fmt: skip
    assert created.exit_code == 0, created.output
    options = MonitoringStore(Catalog(database_url)).schedule("pets").options
    assert options["classes"] == ["cat", "dog", "eel"]
    assert options["probability_attribute"] == "probabilities"
    # a window of the fixture's schedule, the same settings
    x, chance, labels = animals(rng, 300)
    serve(path, clock, "animals", 9, x, animal_answers(chance), labels, labelled=True)
    [run] = scheduler.run_pending()
    described = runner.invoke(
        app, ["executions", "describe", str(run.id), "--database", database_url],
        env={"COLUMNS": "200"},
    )
    assert described.exit_code == 0, described.output
    cells = [[cell.strip() for cell in line.split("│")[1:-1]]
             for line in described.output.splitlines() if line.startswith("│")]  # fmt: skip
    rows = {name: (float(realized), float(estimated)) for name, realized, estimated in cells}
    assert set(rows) == {"accuracy", "weighted_recall", "weighted_precision", "weighted_f0_5",
                         "weighted_f1", "weighted_f2"}  # fmt: skip
    accuracy = (CLASSES[chance.argmax(axis=1)] == labels).mean()
    realized, estimated = rows["accuracy"]
    assert realized == pytest.approx(accuracy, abs=1e-4)
    assert estimated == pytest.approx(realized, abs=0.08)  # 300 labels: the realized is noisy
