"""The dashboard server as ``watchkeeper ui`` composes it: the dashboard package's own
app, with the monitoring API, the feature store's records and the executions' metrics
mounted beside it by the command, and nothing of those faces imported by the dashboard."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import grimp
import httpx
import pytest
from fastapi import APIRouter
from prometheus_client.core import GaugeMetricFamily

from live import LiveServer
from watchkeeper.catalog import COMPLETED, MAX_ID, Catalog, MonitoringStore, Schedule
from watchkeeper.ui import create_ui_app

# the operations `watchkeeper ui` answered when the dashboard still mounted these faces itself
SERVED_BEFORE = {
    ("/api/v1/datasets", "get"), ("/api/v1/datasets", "post"),
    ("/api/v1/datasets/{name}", "delete"), ("/api/v1/datasets/{name}", "get"),
    ("/api/v1/datasets/{name}/profiles", "post"), ("/api/v1/datasets/{name}/baseline", "put"),
    ("/api/v1/datasets/{name}/batches", "get"), ("/api/v1/datasets/{name}/failures", "get"),
    ("/api/v1/datasets/{name}/evaluate", "post"), ("/api/v1/datasets/{name}/monitors", "get"),
    ("/api/v1/datasets/{name}/monitors", "put"), ("/api/v1/groundtruth", "post"),
    ("/api/v1/schedules", "get"), ("/api/v1/schedules", "post"),
    ("/api/v1/schedules/{name}", "delete"), ("/api/v1/schedules/{name}", "get"),
    ("/api/v1/schedules/{name}/run", "post"), ("/api/v1/executions", "get"),
    ("/api/v1/executions/{execution_id}", "get"), ("/api/v1/health", "get"),
    ("/api/v1/feature-groups/{name}/records/{record_id}", "get"),
}  # fmt: skip
MONITORING_AND_FEATURES = {op for op in SERVED_BEFORE if "/datasets" not in op[0]} - {
    ("/api/v1/health", "get")
}
PAGES = ("/", "/login", "/compare", "/executions", "/static/plotly.min.js")
DRIFT = "feature_baseline_drift_price"


def operations(schema: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, item in schema["paths"].items() for method in item}


def finished_execution(catalog: Catalog) -> None:
    """A schedule with one finished window and its drift metric, as a job records them."""
    store = MonitoringStore(catalog)
    where = {"capture": "c", "baseline": "b", "report": "r"}
    schedule = store.create_schedule(
        Schedule(name="churn-hourly", endpoint="churn", cron="0 * * * *", **where)
    )
    start = dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    window = (start, start + dt.timedelta(hours=1))
    execution = store.start_execution(schedule, window[1], window)
    store.finish_execution(execution.id, status=COMPLETED, metrics=[(DRIFT, "value", 0.375)])


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_serves_every_route_it_served_before(tmp_path):
    database = f"sqlite:///{tmp_path / 'catalog.db'}"
    finished_execution(Catalog(database))
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_TOKEN"}
    environment["WATCHKEEPER_HOME"] = str(tmp_path / "home")
    process = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", "ui", "--port", str(port), "--database", database],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 120  # a cold start imports the whole stack
            while True:
                assert process.poll() is None, process.stderr.read()
                try:
                    if client.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the dashboard did not start"
                    time.sleep(0.1)
            assert operations(client.get("/openapi.json").json()) == SERVED_BEFORE
            for path in PAGES:
                assert client.get(path).status_code == 200, path
            metrics = client.get("/metrics")
            assert metrics.headers["content-type"].startswith("text/plain")
            assert (
                f'{DRIFT}{{endpoint="churn",schedule="churn-hourly",statistic="value"}} 0.375'
                in metrics.text
            )
            assert [s["name"] for s in client.get("/api/v1/schedules").json()] == ["churn-hourly"]
            assert client.get("/api/v1/executions/1").json()["status"] == COMPLETED
            assert client.get(f"/api/v1/executions/{MAX_ID}").status_code == 404
            assert client.get(f"/api/v1/executions/{MAX_ID + 1}").status_code == 422
            assert client.get(f"/executions/{MAX_ID + 1}/artifacts/html").status_code == 422
            group = client.get("/api/v1/feature-groups/applicants/records/1")
            assert group.json()["detail"] == "no feature group named 'applicants'"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


class Answers:
    """A Prometheus collector with one fixed gauge."""

    def collect(self):
        gauge = GaugeMetricFamily("answers_total_now", "answers given")
        gauge.add_metric([], 42.0)
        yield gauge

    def describe(self):
        return []


def test_the_dashboard_alone_serves_only_what_it_is_given(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    finished_execution(catalog)
    alone = create_ui_app(catalog, tokens=[], refresh_seconds=None)
    assert operations(alone.openapi()) == SERVED_BEFORE - MONITORING_AND_FEATURES
    extra = APIRouter()

    @extra.get("/api/v1/extra")
    def answer() -> dict[str, str]:
        return {"from": "a mounted router"}

    token = "composition-test-token"
    given = create_ui_app(catalog, tokens=[token], refresh_seconds=None, routers=[extra],
                          collectors=[Answers()])  # fmt: skip
    for app, served in ((alone, False), (given, True)):
        server = LiveServer(app).start()
        try:
            with server.client(headers={"Authorization": f"Bearer {token}"}) as client:
                assert client.get("/api/v1/schedules").status_code == 404
                metrics = client.get("/metrics").text
                assert DRIFT not in metrics
                assert ("answers_total_now 42.0" in metrics) is served
                found = client.get("/api/v1/extra")
                assert found.status_code == (200 if served else 404)
                assert client.get("/").status_code == 200
            if served:  # a mounted router is behind the dashboard's access control
                assert httpx.get(f"{server.url}/api/v1/extra").status_code == 401
        finally:
            server.stop()


@pytest.fixture(scope="module")
def imports():
    return grimp.build_graph("watchkeeper", cache_dir=None)


@pytest.mark.parametrize("face", ["monitor", "featurestore", "cli", "serve"])
def test_the_dashboard_package_imports_no_face_beside_or_above_it(imports, face):
    chain = imports.find_shortest_chain(importer="watchkeeper.ui", imported=f"watchkeeper.{face}",
                                        as_packages=True)  # fmt: skip
    assert chain is None, " -> ".join(chain)


def test_each_page_is_a_router_of_its_own(tmp_path):
    from watchkeeper.datasets.service import DatasetService
    from watchkeeper.ui.auth import LoginThrottle, Tokens
    from watchkeeper.ui.pages import (
        compare,
        dataset,
        executions,
        feature,
        login,
        monitors,
        overview,
        shared,
    )

    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    service, tokens = DatasetService(catalog), Tokens([])
    pages = shared.Pages(tokens)
    routers = {
        "login": login.login_router(pages, tokens, LoginThrottle()),
        "overview": overview.overview_router(service, pages),
        "dataset": dataset.dataset_router(service, pages),
        "feature": feature.feature_router(service, pages),
        "compare": compare.compare_router(service, pages),
        "executions": executions.executions_router(catalog, pages),
        "monitors": monitors.monitors_router(service, pages),
    }
    served = {
        page: {(route.path, method) for route in router.routes for method in route.methods}
        for page, router in routers.items()
    }
    assert served == {
        "login": {("/login", "GET"), ("/login", "POST"), ("/logout", "POST")},
        "overview": {("/", "GET")},
        "dataset": {("/datasets/{name}", "GET")},
        "feature": {("/datasets/{name}/features/{feature:path}", "GET")},
        "compare": {("/compare", "GET")},
        "executions": {("/executions", "GET"),
                       ("/executions/{execution_id}/artifacts/{artifact}", "GET")},
        "monitors": {("/datasets/{name}/monitors", "GET"), ("/datasets/{name}/monitors", "POST"),
                     ("/datasets/{name}/alerts", "POST"), ("/datasets/{name}/history", "POST")},
    }  # fmt: skip
