"""The executions page and its artefact links, over a real server and real jobs."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from live import LiveServer
from watchkeeper.capture import CaptureWriter
from watchkeeper.catalog import COMPLETED, COMPLETED_WITH_VIOLATIONS, Catalog, MonitoringStore
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.ui import create_ui_app

UTC = dt.UTC


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 20, hour, minute, second, tzinfo=UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def rows(count: int, seed: int, shift: float = 0.0) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [
        {"charge": round(float(rng.normal(60 + shift, 10)), 2), "plan": str(rng.choice(["a", "b"]))}
        for _ in range(count)
    ]


def score(row: dict) -> float:
    return round(min(1.0, row["charge"] / 120), 4)


@pytest.fixture
def server(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path}/catalog.db")
    training = [{"score": score(row), **row} for row in rows(2000, 1)]
    watchkeeper.suggest_baseline(pa.Table.from_pylist(training), tmp_path / "baseline")
    clock = Clock(at(9, 30))
    create_schedule(
        catalog,
        name="churn-hourly",
        endpoint="churn",
        capture=str(tmp_path / "capture"),
        baseline=str(tmp_path / "baseline"),
        report=str(tmp_path / "monitoring"),
        cron="0 * * * *",
        created_at=clock.now,
    )
    scheduler = Scheduler(MonitoringStore(catalog), clock=clock)
    for hour, shift in ((9, 0.0), (10, 30.0)):
        clock.now = at(hour, 40)
        writer = CaptureWriter(
            str(tmp_path / "capture"), "churn", clock=lambda: clock.now.timestamp()
        )
        for row in rows(500, hour, shift):
            answer = json.dumps({"score": score(row)})
            writer.capture(json.dumps(row), "application/json", answer, "application/json")
        writer.close()
        clock.now = at(hour + 1, 0, 5)
        scheduler.run_pending()
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    with live.client() as client:
        yield client
    live.stop()


def test_runs_are_listed_with_their_status_and_artefacts(server):
    page = server.get("/executions")
    assert page.status_code == 200
    text = page.text
    assert text.count(f">{COMPLETED}<") == 1 and text.count(f">{COMPLETED_WITH_VIOLATIONS}<") == 1
    links = sorted(set(re.findall(r'href="(/executions/\d+/artifacts/[a-z_]+)"', text)))
    names = {link.rsplit("/", 1)[1] for link in links}
    assert {"statistics", "violations", "html", "constraints"} <= names
    for link in links:
        answer = server.get(link)
        assert answer.status_code == 200, link
        if link.endswith("/statistics"):
            assert json.loads(answer.text)["dataset"]["item_count"] == 500
        if link.endswith("/violations"):
            found = {v["feature_name"] for v in json.loads(answer.text)["violations"]}
            assert found in (set(), {"charge", "score"})  # the score follows the charge
        if link.endswith("/html"):
            assert answer.headers["content-type"].startswith("text/html")
    flagged = [
        json.loads(server.get(link).text)["violations"]
        for link in links
        if link.endswith("/violations")
    ]
    assert sorted(len(v) > 0 for v in flagged) == [False, True]
    missing = server.get("/executions/1/artifacts/nothing")
    assert missing.status_code == 404
    assert server.get("/executions/99/artifacts/html").status_code == 404


def test_the_overview_shows_the_schedule_and_the_endpoint_dataset(server):
    page = server.get("/").text
    assert 'href="/executions?schedule=churn-hourly"' in page
    assert 'href="/datasets/churn"' in page
    assert f">{COMPLETED_WITH_VIOLATIONS}<" in page  # the last window's status
    dataset = server.get("/datasets/churn")
    assert dataset.status_code == 200
    assert "1,000" in dataset.text  # two windows of 500 records in the day
