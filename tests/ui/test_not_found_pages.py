"""Pages link only to what exists, and a page that is not there answers an HTML page
with the navigation, in a real browser; the API's 404s stay JSON."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

import watchkeeper
from browser import screenshot
from live import LiveServer
from watchkeeper.catalog import FAILED, Catalog, MonitoringStore
from watchkeeper.monitor import Scheduler, create_schedule
from watchkeeper.ui import create_ui_app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A schedule of endpoint ``churn`` whose only run found no traffic: no dataset."""
    folder = tmp_path_factory.mktemp("not-found")
    catalog = Catalog(f"sqlite:///{folder}/catalog.db")
    watchkeeper.suggest_baseline(pa.table({"charge": [1.0, 2.0, 3.0]}), folder / "baseline")
    now = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    create_schedule(
        catalog,
        name="churn-hourly",
        endpoint="churn",
        capture=str(folder / "capture"),
        baseline=str(folder / "baseline"),
        report=str(folder / "monitoring"),
        cron="0 * * * *",
        created_at=now,
    )
    clock = lambda: now + dt.timedelta(hours=1)  # noqa: E731
    Scheduler(MonitoringStore(catalog), clock=clock).run_pending()
    [run] = MonitoringStore(catalog).executions("churn-hourly")
    assert run.status == FAILED
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    yield live
    live.stop()


def test_an_endpoint_without_a_dataset_is_not_linked(server):
    with server.client() as client:
        for path in ("/", "/executions"):
            page = client.get(path).text
            assert "churn" in page
            assert 'href="/datasets/churn"' not in page, path
        assert client.get("/datasets/churn").status_code == 404


@pytest.mark.allow_console_errors  # the browser logs each 404 it loads, and only those
def test_a_missing_page_is_an_html_page_with_navigation(page, page_problems, server):
    for path, says in (
        ("/datasets/churn", "no dataset named 'churn'"),
        ("/datasets/churn/features/charge", "no dataset named 'churn'"),
        ("/executions/7/artifacts/html", "no execution 7"),
        ("/no/such/page", "There is no page here."),
    ):
        answer = page.goto(f"{server.url}{path}")
        assert answer.status == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert says in page.locator("#not-found").inner_text()
        assert page.locator("header nav a").all_inner_texts() == [
            "Overview", "Compare", "Executions"
        ]  # fmt: skip
    screenshot(page, "not-found")
    assert page_problems.page_errors == []
    assert all("404 (Not Found)" in line for line in page_problems.console_errors)
    assert len(page_problems.console_errors) == 4
    page.locator("header nav a", has_text="Executions").click()
    assert page.locator("h1").inner_text() == "Executions"


def test_the_api_answers_json_404(server):
    with server.client() as client:
        answer = client.get("/api/v1/datasets/churn")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/json"
        assert "churn" in answer.json()["detail"]
