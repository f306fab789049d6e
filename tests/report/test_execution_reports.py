"""A monitoring execution's report says which run it is (endpoint, schedule, window,
execution and when it ran), the model-quality report shows the label-free estimates
beside the realized metrics, and the executions list tells a short window's ends apart.
Real scheduled jobs over real captured traffic and a real server."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import watchkeeper
from browser import screenshot
from clocks import Clock, at
from live import LiveServer
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import Catalog, MonitoringStore
from watchkeeper.io.storage import write_text
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.quality import model_quality, suggest_quality_constraints, upload_ground_truth
from watchkeeper.ui import create_ui_app


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def ran_at(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.UTC)


def read(uri: str) -> str:
    return Path(uri.removeprefix("file://")).read_text(encoding="utf-8")


def subtitle(page: str) -> str:
    [found] = re.findall(r'<p class="subtitle">([^<]*)</p>', page)
    return found


def capture_hour(folder, clock: Clock, hour: int, rows: list[tuple[str, dict, dict]]) -> None:
    clock.now = at(hour, 20)
    writer = CaptureWriter(str(folder / "capture"), "churn", clock=lambda: clock.now.timestamp())
    for inference, features, answer in rows:
        writer.capture(json.dumps(features), "application/json", json.dumps(answer),
                       "application/json", inference_id=inference)  # fmt: skip
    writer.close()


def test_the_data_quality_report_names_its_run(tmp_path):
    rng = np.random.default_rng(2)
    watchkeeper.suggest_baseline(pa.table({"charge": rng.normal(60, 10, 1000)}), tmp_path / "b")
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    create_schedule(catalog, name="churn-hourly", endpoint="churn",
                    capture=str(tmp_path / "capture"), baseline=str(tmp_path / "b"),
                    report=str(tmp_path / "monitoring"), cron="0 * * * *",
                    created_at=clock.now)  # fmt: skip
    charges = rng.normal(60, 10, 200)
    rows = [(str(i), {"charge": float(v)}, {"score": 0.5}) for i, v in enumerate(charges)]
    capture_hour(tmp_path, clock, 9, rows)
    clock.now = at(10, 0, 5)
    before = now()
    [run] = Scheduler(MonitoringStore(catalog), clock=clock).run_pending()
    page = read(run.artifacts["html"])
    shown, ran = subtitle(page).rsplit(", run ", 1)
    assert shown == (
        "endpoint churn · schedule churn-hourly (0 * * * *) · "
        f"window 2026-11-20 09:00 – 2026-11-20 10:00 UTC · execution {run.id}"
    )
    assert before <= ran_at(ran) <= now()


@pytest.fixture
def quality_schedule(tmp_path):
    """A model-quality schedule of endpoint ``churn`` that also estimates from scores."""
    rng = np.random.default_rng(11)
    chance = rng.beta(2, 2, 3000)
    labels = rng.random(3000) < chance
    reference = pa.table({"probability": chance, "prediction": (chance >= 0.5).astype(np.int64),
                          "label": labels.astype(np.int64)})  # fmt: skip
    pq.write_table(reference, tmp_path / "reference.parquet")
    statistics = model_quality(
        reference, problem_type="BinaryClassification", inference_attribute="prediction",
        probability_attribute="probability", ground_truth_attribute="label",
    )  # fmt: skip
    write_text(tmp_path / "baseline" / "statistics.json", json.dumps(statistics))
    constraints = suggest_quality_constraints(statistics)
    write_text(tmp_path / "baseline" / "constraints.json", json.dumps(constraints))
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    clock = Clock(at(9, 30))
    create_schedule(
        catalog, name="churn-quality", endpoint="churn", capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"), report=str(tmp_path / "monitoring"),
        cron="0 * * * *", created_at=clock.now, kind="model-quality",
        options={"problem_type": "BinaryClassification", "inference_attribute": "prediction",
                 "probability_attribute": "probability",
                 "ground_truth": str(tmp_path / "groundtruth"),
                 "reference": str(tmp_path / "reference.parquet"), "reference_label": "label"},
    )  # fmt: skip
    return catalog, clock, rng


def judged_hour(folder, quality_schedule):
    """An hour of captured answers with their labels, judged: the execution and store."""
    catalog, clock, rng = quality_schedule
    chance = rng.beta(2, 2, 600)
    labels = rng.random(600) < chance
    rows = [(f"9-{i}", {"x": float(p)}, {"prediction": int(p >= 0.5), "probability": float(p)})
            for i, p in enumerate(chance)]  # fmt: skip
    capture_hour(folder, clock, 9, rows)
    csv = folder / "labels.csv"
    lines = "".join(f"9-{i},{int(v)}\n" for i, v in enumerate(labels))
    csv.write_text("inferenceId,label\n" + lines)
    upload_ground_truth(csv, "churn", folder / "groundtruth", collected_at=at(9, 50))
    clock.now = at(10, 0, 5)
    store = MonitoringStore(catalog)
    [run] = Scheduler(store, clock=clock).run_pending()
    return run, store


def test_the_model_quality_report_shows_the_estimates_beside_the_realized(
    tmp_path, quality_schedule
):
    run, store = judged_hour(tmp_path, quality_schedule)
    page = read(run.artifacts["html"])
    assert subtitle(page).startswith(
        "endpoint churn · schedule churn-quality (0 * * * *) · "
        f"window 2026-11-20 09:00 – 2026-11-20 10:00 UTC · execution {run.id}, run "
    )
    assert "Estimated (from scores)" in page
    recorded = {p.name: p.value for p in store.metrics_of(run.id)}
    for name in ("accuracy", "precision", "recall", "f1", "auc"):
        row = re.search(rf'<tr id="metric-{name}"[^>]*>(.*?)</tr>', page, re.S).group(1)
        cells = re.findall(r'<td class="num( estimate)?">([^<]*)</td>', row)
        realized, estimate = cells[0][1], cells[1]
        assert estimate == (" estimate", watchkeeper.report.formatting.number(
            recorded[f"estimated_{name}"]))  # fmt: skip
        assert realized == watchkeeper.report.formatting.number(recorded[name])


def test_a_window_shorter_than_a_minute_shows_its_seconds(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    watchkeeper.suggest_baseline(pa.table({"charge": [1.0, 2.0]}), tmp_path / "b")
    schedule = create_schedule(catalog, name="burst", endpoint="churn", capture=str(tmp_path),
                               baseline=str(tmp_path / "b"), report=str(tmp_path),
                               cron="0 * * * *", created_at=at(14))  # fmt: skip
    store = MonitoringStore(catalog)
    store.start_execution(schedule, at(14, 36), (at(14, 35, 10), at(14, 35, 40)))
    store.start_execution(schedule, at(16), (at(15), at(16)))
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    try:
        with live.client() as client:
            page = client.get("/executions").text
    finally:
        live.stop()
    windows = re.findall(r'<td class="window">([^<]*)</td>', page)
    assert sorted(windows) == [
        "2026-11-20 14:35:10 – 2026-11-20 14:35:40",
        "2026-11-20 15:00 – 2026-11-20 16:00",
    ]


def test_the_model_quality_report_draws_with_its_estimates(page, tmp_path, quality_schedule):
    run, _ = judged_hour(tmp_path, quality_schedule)
    page.goto(Path(run.artifacts["html"].removeprefix("file://")).as_uri())
    assert page.locator("p.subtitle").inner_text().startswith("endpoint churn · schedule")
    assert page.locator("#metric-accuracy td.estimate").count() == 1
    assert page.locator("#estimates-note").count() == 1
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll("[data-chart]"))
                      .every((el) => el.querySelector(".main-svg"))"""
    )
    assert page.locator("[data-chart] .main-svg").count() >= 2  # the ROC and PR curves
    screenshot(page, "quality-report-execution")
