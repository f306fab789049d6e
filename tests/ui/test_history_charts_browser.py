"""A schedule's executions page draws each series judged against its history: the
values, the expected band as a filled trace and the anomalous point marked, in a real
browser over a real server."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from browser import screenshot
from live import LiveServer
from watchkeeper.catalog import COMPLETED, Catalog, MonitoringStore, Schedule
from watchkeeper.monitor.history_job import judge_history
from watchkeeper.ui import create_ui_app

SERIES = "feature_baseline_drift_age"
HOURS = 24
SHIFT_AT = 20


def at(hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, 20, tzinfo=dt.UTC) + dt.timedelta(hours=hour)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    catalog = Catalog(f"sqlite:///{folder}/catalog.db")
    store = MonitoringStore(catalog)
    rule = {"metric": SERIES, "method": "rolling", "window": 8, "k": 3}
    schedule = store.create_schedule(
        Schedule(name="ages-hourly", endpoint="ages", capture="c", baseline="b", report="r",
                 cron="0 * * * *", options={"history": [rule]})
    )  # fmt: skip
    values = np.random.default_rng(7).normal(0.05, 0.005, HOURS)
    values[SHIFT_AT] += 0.1  # one window whose drift figure jumps
    for hour, value in enumerate(values):
        execution = store.start_execution(schedule, at(hour + 1), (at(hour), at(hour + 1)))
        store.finish_execution(execution.id, status=COMPLETED,
                               metrics=[(SERIES, "Value", value), ("other", "Value", 1.0)])
        judge_history(store, schedule, store.execution(execution.id))  # fmt: skip
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    yield live
    live.stop()


def test_the_series_chart_has_its_band_and_marks_the_anomaly(page, server):
    page.goto(f"{server.url}/executions?schedule=ages-hourly")
    chart = page.locator("#history-0")
    chart.locator(".main-svg").first.wait_for()
    assert page.locator("#history h3").all_inner_texts() == [SERIES]
    traces = page.evaluate(
        "() => document.getElementById('history-0').data.map(t => "
        "({name: t.name, fill: t.fill || null, n: t.x.length, y: t.y}))"
    )
    by_name = {trace["name"]: trace for trace in traces}
    band = by_name["expected band"]
    assert band["fill"] == "tonexty" and band["n"] == HOURS - 8
    assert by_name["band low"]["n"] == HOURS - 8
    assert by_name[SERIES]["n"] == HOURS
    assert by_name["anomalies"]["n"] >= 1
    assert by_name["anomalies"]["y"][0] == pytest.approx(by_name[SERIES]["y"][SHIFT_AT])
    # the filled band is drawn: plotly renders a fill path for it
    assert chart.locator("path.js-fill").count() >= 1
    # the flagged execution is marked in the table below
    assert page.locator("#executions tr.flagged").count() >= 1
    screenshot(page, "history-band")


def test_a_schedule_without_history_rules_draws_no_history_chart(server):
    with server.client() as client:
        page = client.get("/executions").text
    assert 'id="history"' not in page
