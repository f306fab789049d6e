"""The monitors page's alert channels in a real browser: "Send test message" tries the
URL typed in the box, and a bad URL is refused in one line naming what is wrong, with
what was typed still in the box."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from browser import screenshot
from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import DatasetService
from watchkeeper.profile import DatasetProfile
from watchkeeper.ui import create_ui_app


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitors")
    catalog = Catalog(f"sqlite:///{folder}/catalog.db")
    profile = DatasetProfile()
    profile.track(pa.table({"price": np.random.default_rng(5).normal(50, 5, 300)}))
    DatasetService(catalog).receive("shop", profile, timestamp="2026-11-20T09:00:00Z")
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    yield live
    live.stop()


def test_the_test_message_goes_to_the_url_typed_in_the_box(page, server, webhook_server):
    page.goto(f"{server.url}/datasets/shop/monitors")
    url = f"json://{webhook_server.address}/typed"
    page.fill("#c-url", url)
    page.click("#send-test")
    assert page.locator("#message").inner_text() == f"test message sent to {url}"
    [post] = webhook_server.posts
    assert post.path == "/typed" and "watchkeeper test message" in post.json["title"]
    # tried, not added: the box still holds it, to be added with one click
    assert page.locator("#channels code").count() == 0
    assert page.input_value("#c-url") == url
    page.click("button[value=add]")
    assert page.locator("#message").inner_text() == f"added {url}"
    assert page.locator("#channels code").all_inner_texts() == [url]


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("nonsense://x", "has a scheme apprise does not know ('nonsense')"),
        ("slak://alerts.example.com/room", "did you mean slack://?"),
        ("slack://x", "is not a valid Slack URL: An invalid Slack (second) Token"),
        ("alerts.example.com/hook", "has no scheme: start it with the service"),
    ],
)
def test_a_bad_url_says_what_is_wrong_and_stays_in_the_box(page, server, typed, says):
    for button in ("button[value=add]", "#send-test"):
        page.goto(f"{server.url}/datasets/shop/monitors")
        page.fill("#c-url", typed)
        page.click(button)
        error = page.locator("#error").inner_text()
        assert says in error
        assert "\n" not in error and len(error) < 300  # one line, not every service's name
        assert "zulip" not in error
        assert page.input_value("#c-url") == typed
    screenshot(page, "monitors-bad-url")
