"""The dashboard in a real browser: Chromium, driven by Playwright, against a real
server on 127.0.0.1 holding three weeks of daily batches (``dashboard_data``).

Every page must load with no console error and no request leaving the machine (the
``page`` fixture fails the test otherwise), draw its charts, and show what the data
holds: the drifted day, the drift of one segment only, three compared profiles, a
verdict that follows a threshold edited in the page. A screenshot of each page is
written to ``test-artefacts/screenshots/``.
"""

from __future__ import annotations

from urllib.parse import quote

import dashboard_data as data
import pytest

from browser import screenshot
from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.ui import create_ui_app

TOKEN = "dashboard-test-token-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashboard")
    app = create_ui_app(
        Catalog(f"sqlite:///{folder}/catalog.db"), tokens=[TOKEN], refresh_seconds=None
    )
    live = LiveServer(app).start()
    with live.client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        data.load(client)
    yield live
    live.stop()


def log_in(page, server) -> None:
    page.goto(f"{server.url}/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def plots(page, selector: str = ".js-plotly-plot") -> int:
    """How many plotly charts on the page have drawn their SVG."""
    page.wait_for_selector(f"{selector} .main-svg", state="attached")
    return page.locator(f"{selector} .main-svg").count()


def test_every_page_loads_and_draws(page, server):
    log_in(page, server)
    assert page.locator("#datasets tbody tr").count() == 1
    assert page.locator("#datasets svg.sparkline polyline").count() >= 1
    assert page.locator("#datasets tbody tr td").first.inner_text() == data.DATASET
    screenshot(page, "overview")

    page.goto(f"{server.url}/datasets/{data.DATASET}")
    assert plots(page, "#overview-chart") >= 1
    assert page.locator("#features tbody tr").count() == 5
    assert page.locator("#segments [data-segment]").count() == 4  # all, DE, FR, US
    screenshot(page, "dataset")

    page.goto(f"{server.url}/datasets/{data.DATASET}/features/price")
    page.wait_for_selector("#chart-drift .main-svg", state="attached")
    assert page.locator("#charts .js-plotly-plot").count() == 3  # counts, values, drift
    assert plots(page, "#distribution") >= 1
    screenshot(page, "feature")

    page.goto(f"{server.url}/executions")
    assert page.locator("h1").inner_text() == "Executions"
    screenshot(page, "executions")

    page.goto(f"{server.url}/datasets/{data.DATASET}/monitors")
    assert page.locator("#monitor-form").count() == 1
    screenshot(page, "monitors")


def test_the_drifted_day_is_highlighted(page, server):
    log_in(page, server)
    page.goto(f"{server.url}/datasets/{data.DATASET}/features/price")
    flagged = page.locator(".flagged-batch")
    assert flagged.count() == 1
    assert flagged.first.get_attribute("data-batch") == data.DRIFT_DAY.isoformat()
    # a red band over the drifted day in each time chart, and the marker on the drift chart
    page.wait_for_selector("#chart-drift .main-svg", state="attached")
    for chart in ("counts", "values", "drift"):
        assert page.locator(f"#chart-{chart} .shapelayer path").count() == 1
    # the distribution shown is the flagged day's
    assert page.locator("#batch option[selected]").inner_text().startswith(
        data.DRIFT_DAY.isoformat()
    )
    # and on the dataset page, that day's feature row is marked
    page.goto(f"{server.url}/datasets/{data.DATASET}?batch={data.DRIFT_DAY.isoformat()}")
    assert page.locator("#features tr.flagged").count() == 1
    assert page.locator("#features tr.flagged").get_attribute("data-feature") == "price"


def test_a_drift_in_one_segment_shows_there_only(page, server):
    log_in(page, server)
    base = f"{server.url}/datasets/{data.DATASET}/features/device"
    page.goto(f"{base}?segment={quote('country=FR')}")
    flagged = page.locator(".flagged-batch")
    assert flagged.count() == 1
    assert flagged.first.get_attribute("data-batch") == data.SEGMENT_DAY.isoformat()
    screenshot(page, "feature-segment")
    for country in ("DE", "US"):
        page.goto(f"{base}?segment={quote(f'country={country}')}")
        assert page.locator(".flagged-batch").count() == 0
        assert page.locator("#not-flagged").count() == 1
        plots(page, "#charts")
    # the segment list counts violations per segment: FR has one more than DE and US
    page.goto(f"{server.url}/datasets/{data.DATASET}")
    counts = {
        item.get_attribute("data-segment"): item.inner_text()
        for item in page.locator("#segments [data-segment]").all()
    }
    assert "2" in counts["country=FR"]  # price on the drifted day, device on its own day
    assert "1" in counts["country=DE"] and "1" in counts["country=US"]


def test_comparing_three_profiles_draws_three_series(page, server):
    log_in(page, server)
    page.goto(f"{server.url}/compare")
    page.select_option("#dataset1", data.DATASET)
    page.fill("#date1", "baseline")
    page.select_option("#dataset2", data.DATASET)
    page.select_option("#segment2", "country=FR")
    page.fill("#date2", data.SEGMENT_DAY.isoformat())
    page.select_option("#dataset3", data.DATASET)
    page.select_option("#segment3", "country=DE")
    page.fill("#date3", data.SEGMENT_DAY.isoformat())
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector(".compare-chart .main-svg", state="attached")
    charts = page.locator(".compare-chart")
    assert charts.count() == 5
    for index in range(charts.count()):
        chart = charts.nth(index)
        assert chart.locator(".legendtext").count() == 3
        assert chart.locator(".barlayer .trace").count() == 3
    headers = page.locator("#compare-summary thead tr").first.locator("th").all_inner_texts()
    assert headers[1:] == [
        f"{data.DATASET} · baseline",
        f"{data.DATASET} · country=FR · {data.SEGMENT_DAY.isoformat()}",
        f"{data.DATASET} · country=DE · {data.SEGMENT_DAY.isoformat()}",
    ]
    screenshot(page, "compare")


def test_a_threshold_edited_in_the_page_changes_the_next_verdict(page, server):
    log_in(page, server)
    feature_page = f"{server.url}/datasets/{data.DATASET}/features/price"
    page.goto(feature_page)
    assert page.locator(".flagged-batch").count() == 1

    page.goto(f"{server.url}/datasets/{data.DATASET}/monitors")
    page.select_option("#m-feature", "price")
    page.fill("#m-threshold", "1000")
    page.click("#monitor-form button[value=save]")
    assert "saved the setting for price" in page.locator("#message").inner_text()
    row = page.locator('#monitors tr[data-feature="price"]')
    assert row.count() == 1 and "1,000" in row.inner_text()

    page.goto(feature_page)
    assert page.locator(".flagged-batch").count() == 0
    assert page.locator("#not-flagged").count() == 1

    # a Hellinger threshold low enough flags every day of the feature instead
    page.goto(f"{server.url}/datasets/{data.DATASET}/monitors")
    page.select_option("#m-feature", "price")
    page.select_option("#m-method", "hellinger")
    page.fill("#m-threshold", "0.0001")
    page.click("#monitor-form button[value=save]")
    page.goto(feature_page)
    assert page.locator(".flagged-batch").count() == data.DAYS

    page.goto(f"{server.url}/datasets/{data.DATASET}/monitors")
    page.locator('#monitors tr[data-feature="price"] button[value=remove]').click()
    page.goto(feature_page)
    assert page.locator(".flagged-batch").count() == 1


@pytest.mark.allow_console_errors  # the refused requests' 401s are logged by the browser
def test_a_wrong_token_is_refused(page, server):
    page.goto(f"{server.url}/datasets/{data.DATASET}")
    assert page.url.startswith(f"{server.url}/login")  # no session: to the login page
    page.fill("#token", "not-the-token")
    page.click("button[type=submit]")
    assert page.locator("#login-error").inner_text() == "That token is not valid."
    assert page.locator("#datasets").count() == 0
    screenshot(page, "login-refused")
    answer = page.request.get(f"{server.url}/api/v1/datasets")
    assert answer.status == 401
    wrong = page.request.get(
        f"{server.url}/api/v1/datasets", headers={"Authorization": "Bearer not-the-token"}
    )
    assert wrong.status == 401
    right = page.request.get(
        f"{server.url}/api/v1/datasets", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert right.status == 200 and right.json()[0]["name"] == data.DATASET
    # after logging in, the page asked for first is shown
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/datasets/{data.DATASET}")


def test_an_alert_channel_added_in_the_page_gets_the_test_message(page, server, webhook_server):
    log_in(page, server)
    page.goto(f"{server.url}/datasets/{data.DATASET}/monitors")
    url = f"json://{webhook_server.address}/alerts"
    page.fill("#c-url", url)
    page.click("button[value=add]")
    assert page.locator("#message").inner_text().startswith("added json://")
    assert page.locator("#channels code").count() == 1
    page.click("#send-test")
    assert page.locator("#message").inner_text() == "test message sent to 1 channel(s)"
    [post] = webhook_server.posts
    assert post.path == "/alerts" and "watchkeeper test message" in post.json["title"]
    page.locator("#channels button[value=remove]").click()
    assert page.locator("#channels code").count() == 0
    # an address apprise cannot use is refused, naming it
    page.fill("#c-url", "nonsense://x")
    page.click("button[value=add]")
    assert "nonsense://" in page.locator("#error").inner_text()
