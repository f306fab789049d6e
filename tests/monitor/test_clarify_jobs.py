"""Bias-drift and feature-attribution-drift schedules over captured windows."""

from __future__ import annotations

import datetime as dt
import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from clocks import Clock, at
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import COMPLETED, COMPLETED_WITH_VIOLATIONS, Catalog, MonitoringStore
from watchkeeper.errors import UsageError
from watchkeeper.explain import explain, write_explanations
from watchkeeper.fairness import posttraining_bias, write_analysis
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.quality import upload_ground_truth

UTC = dt.UTC




def applicants(rng, rows: int, favour: float) -> pd.DataFrame:
    """Applicants with a sex, a grade, the committee's decision and the model's answer,
    which approves men ``favour`` more often than the grade alone would."""
    sex = (rng.random(rows) < 0.7).astype(int)
    grade = rng.normal(60, 15, rows)
    approved = (grade + rng.normal(0, 10, rows) > 60).astype(int)
    predicted = ((grade > 60) | ((sex == 1) & (rng.random(rows) < favour))).astype(int)
    return pd.DataFrame({"sex": sex, "grade": grade, "approved": approved,
                         "predicted": predicted})  # fmt: skip


def capture_hour(path, clock, hour: int, frame: pd.DataFrame, output, labels=None) -> None:
    clock.now = at(hour, 20)
    writer = CaptureWriter(str(path / "capture"), "scholarship",
                           clock=lambda: clock.now.timestamp())  # fmt: skip
    rows = []
    for number, row in enumerate(frame.to_dict("records")):
        inference = f"{hour}-{number}"
        inputs = {k: v for k, v in row.items() if k not in ("approved", "predicted")}
        writer.capture(json.dumps(inputs), "application/json",
                       json.dumps(output(row)), "application/json",
                       inference_id=inference)  # fmt: skip
        rows.append(f"{inference},{row['approved']}")
    writer.close()
    if labels:
        csv = path / f"labels-{hour}.csv"
        csv.write_text("inferenceId,label\n" + "\n".join(rows) + "\n")
        upload_ground_truth(csv, "scholarship", path / "groundtruth", collected_at=at(hour, 50))


def test_a_window_more_biased_than_the_baseline_violates(tmp_path):
    rng = np.random.default_rng(5)
    reference = applicants(rng, 3000, favour=0.2)
    options = {
        "label_values": [1], "facet": "sex", "facet_values": [0],
        "predicted_label": "predicted", "ground_truth": str(tmp_path / "groundtruth"),
    }  # fmt: skip
    post = posttraining_bias(reference, label="approved", label_values=[1], facet="sex",
                             facet_values=[0], predicted_label="predicted")  # fmt: skip
    write_analysis(tmp_path / "baseline" / "analysis.json", post=post)
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    create_schedule(
        catalog, name="bias", endpoint="scholarship", capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"), report=str(tmp_path / "monitoring"),
        cron="0 * * * *", created_at=clock.now, kind="model-bias", options=options,
    )  # fmt: skip
    scheduler = Scheduler(MonitoringStore(catalog), clock=clock)
    answer = lambda row: {"predicted": int(row["predicted"])}  # noqa: E731
    capture_hour(tmp_path, clock, 9, applicants(rng, 1500, favour=0.0), answer, labels=True)
    clock.now = at(10, 0, 5)
    [fair] = scheduler.run_pending()
    capture_hour(tmp_path, clock, 10, applicants(rng, 1500, favour=0.6), answer, labels=True)
    clock.now = at(11, 0, 5)
    [unfair] = scheduler.run_pending()
    assert fair.status == COMPLETED, fair.failure_reason
    assert unfair.status == COMPLETED_WITH_VIOLATIONS
    found = json.loads(
        (tmp_path / "monitoring/scholarship/bias/2026/11/20/11/constraint_violations.json")
        .read_text()
    )["violations"]
    names = {v["metric_name"] for v in found}
    assert {"DPPL", "DI"} <= names
    assert all(v["constraint_check_type"] == "bias_drift_check" for v in found)
    assert unfair.artifacts["html"].endswith("report.html")
    page = tmp_path / "monitoring/scholarship/bias/2026/11/20/11/report.html"
    assert "DPPL" in page.read_text()
    # the page names the run it reports, as every execution's report does
    assert f"schedule bias (0 * * * *) · window 2026-11-20 10:00 – 2026-11-20 11:00 UTC · " \
        f"execution {unfair.id}, run " in page.read_text()
    assert all((v["facet"], v["facet_value"]) == ("sex", "0") for v in found)
    analysis = json.loads((tmp_path / "monitoring/scholarship/bias/2026/11/20/11/analysis.json")
                          .read_text())  # fmt: skip
    dppl = {m["name"]: m["value"] for m in
            analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]}["DPPL"]
    baseline_dppl = {m["name"]: m["value"] for m in post["facets"]["sex"][0]["metrics"]}["DPPL"]
    assert dppl > baseline_dppl > 0
    series = MonitoringStore(catalog).metric_series("bias", "bias_metric_DPPL", "sex=0")
    assert [round(p.value, 9) for p in series][1] == round(dppl, 9)


def test_an_attribution_ranking_that_changes_violates(tmp_path):
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(rng.normal(0, 1, (2000, 3)), columns=["a", "b", "c"])
    target = 3.0 * frame["a"] + 1.0 * frame["b"] + 0.2 * frame["c"]
    model = LinearRegression().fit(frame, target)
    joblib.dump(model, tmp_path / "model.joblib")
    baseline = explain(model, frame.iloc[:200], num_clusters=5, seed=0)
    write_explanations(baseline, tmp_path / "baseline")
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    options = {"model": str(tmp_path / "model.joblib"), "num_clusters": 5, "max_rows": 60}
    create_schedule(
        catalog, name="shap", endpoint="scholarship", capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"), report=str(tmp_path / "monitoring"),
        cron="0 * * * *", created_at=clock.now, kind="model-explainability", options=options,
    )  # fmt: skip
    scheduler = Scheduler(MonitoringStore(catalog), clock=clock)
    answer = lambda row: {"prediction": 0.0}  # noqa: E731
    same = pd.DataFrame(rng.normal(0, 1, (300, 3)), columns=["a", "b", "c"])
    capture_hour(tmp_path, clock, 9, same.assign(approved=0, predicted=0), answer)
    clock.now = at(10, 0, 5)
    [steady] = scheduler.run_pending()
    moved = same.assign(a=0.0, c=same["c"] * 30)  # a no longer varies; c varies a lot
    capture_hour(tmp_path, clock, 10, moved.assign(approved=0, predicted=0), answer)
    clock.now = at(11, 0, 5)
    [drifted] = scheduler.run_pending()
    assert steady.status == COMPLETED, steady.failure_reason
    assert drifted.status == COMPLETED_WITH_VIOLATIONS
    [violation] = json.loads(
        (tmp_path / "monitoring/scholarship/shap/2026/11/20/11/constraint_violations.json")
        .read_text()
    )["violations"]
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
    assert drifted.artifacts["html"].endswith("report.html")
    page = (tmp_path / "monitoring/scholarship/shap/2026/11/20/11/report.html").read_text()
    assert f"· execution {drifted.id}, run " in page
    points = {(p.name, p.statistic): p.value
              for p in MonitoringStore(catalog).latest_metrics("shap")}  # fmt: skip
    assert points[("feature_c", "label0")] > points[("feature_a", "label0")]


def test_bad_clarify_schedules_are_refused_at_creation(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    write_analysis(tmp_path / "baseline" / "analysis.json", post={"label": "y", "facets": {}})
    common = {"catalog": catalog, "endpoint": "e", "capture": "c", "report": "r",
              "baseline": str(tmp_path / "baseline")}  # fmt: skip
    with pytest.raises(UsageError, match="label_values or label_threshold"):
        create_schedule(name="a", kind="model-bias", **common,
                        options={"ground_truth": "g", "facet": "sex", "predicted_label": "p"})
    with pytest.raises(UsageError, match="predicted_label or probability"):
        create_schedule(name="b", kind="model-bias", **common,
                        options={"ground_truth": "g", "facet": "sex", "label_values": [1]})
    with pytest.raises(UsageError, match="tolerance"):
        create_schedule(name="t", kind="model-bias", **common,
                        options={"ground_truth": "g", "facet": "sex", "label_values": [1],
                                 "predicted_label": "p", "tolerance": -1})  # fmt: skip
    with pytest.raises(UsageError, match="needs model"):
        create_schedule(name="c", kind="model-explainability", **common, options={})
    with pytest.raises(UsageError, match="threshold"):
        create_schedule(name="d", kind="model-explainability", **common,
                        options={"model": "m.joblib", "threshold": 2})


def test_the_command_line_takes_any_option_of_a_kind(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from watchkeeper.cli import app

    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "workspace"))
    write_analysis(tmp_path / "baseline" / "analysis.json", post={"label": "y", "facets": {}})
    runner = CliRunner()
    made = runner.invoke(app, [
        "schedule", "create", "--name", "bias", "--endpoint", "e", "--kind", "model-bias",
        "--baseline", str(tmp_path / "baseline"), "--option", "ground_truth=gt",
        "--option", "facet=sex", "--option", "label_values=[1]",
        "--option", "predicted_label=pred", "--option", "tolerance=0.1",
    ])  # fmt: skip
    assert made.exit_code == 0, made.output
    schedule = MonitoringStore(Catalog()).schedule("bias")
    assert schedule.options == {"ground_truth": "gt", "facet": "sex", "label_values": [1],
                                "predicted_label": "pred", "tolerance": 0.1}  # fmt: skip
    bad = runner.invoke(app, ["schedule", "create", "--name", "x", "--endpoint", "e",
                              "--kind", "model-bias", "--baseline", str(tmp_path / "baseline"),
                              "--option", "facet"])  # fmt: skip
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.output
