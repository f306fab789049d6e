"""A dataset with a single batch, in a real browser: its page and its feature's page
draw the batch's records bar across its day, and the red band of the flagged day covers
that day, not the whole plot."""

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


def profile_of(values) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(pa.table({"price": values}))
    return profile


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one-batch")
    catalog = Catalog(f"sqlite:///{folder}/catalog.db")
    service = DatasetService(catalog)
    rng = np.random.default_rng(11)
    service.set_baseline("single", profile_of(rng.normal(50, 5, 2000)), "training")
    service.receive("single", profile_of(rng.normal(90, 5, 400)), timestamp="2026-11-20T09:00:00Z")
    service.refresh("single")
    live = LiveServer(create_ui_app(catalog, tokens=[], refresh_seconds=None)).start()
    yield live
    live.stop()


def widths(page, chart: str) -> dict[str, float]:
    """The drawn widths of the chart's plot area, its bars and its bands, in pixels."""
    page.wait_for_selector(f"{chart} .main-svg", state="attached")
    return page.evaluate(
        """(chart) => {
            const root = document.querySelector(chart);
            const width = (node) => node.getBBox().width;
            return {
                plot: width(root.querySelector(".bglayer rect, .nsewdrag")),
                bars: Array.from(root.querySelectorAll(".barlayer .point path")).map(width),
                bands: Array.from(root.querySelectorAll(".shapelayer path")).map(width),
            };
        }""",
        chart,
    )


def test_the_one_batch_page_draws_its_bar_across_its_day(page, server):
    page.goto(f"{server.url}/datasets/single")
    drawn = widths(page, "#overview-chart")
    # the axis shows the day and half a day either side: the bar takes 90% of the day
    [bar] = drawn["bars"]
    assert bar == pytest.approx(0.45 * drawn["plot"], rel=0.05)
    [band] = drawn["bands"]
    assert band == pytest.approx(0.5 * drawn["plot"], rel=0.05)
    # the drift axis ticks at round values (0.2, 0.4 …), not at the records axis's grid
    ticks = page.locator("#overview-chart .y2tick text").evaluate_all(
        "texts => texts.map((text) => text.textContent)"
    )
    assert len(ticks) >= 3
    assert all(len(text.partition(".")[2]) <= 2 for text in ticks), ticks
    screenshot(page, "dataset-one-batch")


def test_the_one_batch_feature_page_draws_its_bar_across_its_day(page, server):
    page.goto(f"{server.url}/datasets/single/features/price")
    drawn = widths(page, "#chart-counts")
    [bar] = drawn["bars"]
    assert bar == pytest.approx(0.45 * drawn["plot"], rel=0.05)
    [band] = drawn["bands"]
    assert band == pytest.approx(0.5 * drawn["plot"], rel=0.05)
    screenshot(page, "feature-one-batch")
