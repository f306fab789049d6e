"""A report printed or saved as PDF shows every chart, also those never scrolled into
view: in a real browser, a long report draws only what is near the screen, and all of
its charts once printing begins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from browser import screenshot

FEATURES = 30


@pytest.fixture(scope="module")
def long_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    rng = np.random.default_rng(5)
    columns = {f"f{i:02d}": rng.normal(i, 1.0, 500) for i in range(FEATURES)}
    shifted = {name: values + 3.0 for name, values in columns.items()}
    baseline = watchkeeper.suggest_baseline(pa.table(columns), folder / "baseline")
    outcome = watchkeeper.check(pa.table(shifted), baseline, output=folder / "check")
    return Path(outcome.artifacts["html"].removeprefix("file://")).as_uri()



def charts(page) -> tuple[int, int]:
    """How many chart places the page has, and how many have drawn."""
    return page.evaluate(
        """() => [document.querySelectorAll("[data-chart]").length,
                  Array.from(document.querySelectorAll("[data-chart]"))
                       .filter((el) => el.querySelector(".main-svg")).length]"""
    )


@pytest.mark.parametrize("how", ["beforeprint", "print media"])
def test_printing_draws_every_chart(page, long_report, how):
    page.set_viewport_size({"width": 1200, "height": 700})
    page.goto(long_report)
    page.wait_for_function("() => window.Plotly !== undefined")
    places, shown = charts(page)
    assert places >= FEATURES and shown < places  # the far ones wait to be scrolled to
    if how == "beforeprint":
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    else:
        page.emulate_media(media="print")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll("[data-chart]"))
                      .every((el) => el.querySelector(".main-svg"))"""
    )
    assert charts(page) == [places, places]
    if how == "print media":
        screenshot(page, "report-printed")


def test_a_pdf_of_the_report_has_every_chart(page, long_report, tmp_path):
    page.set_viewport_size({"width": 1200, "height": 700})
    page.goto(long_report)
    page.wait_for_function("() => window.Plotly !== undefined")
    assert charts(page)[1] < charts(page)[0]
    page.pdf(path=str(tmp_path / "report.pdf"))
    places, shown = charts(page)
    assert shown == places
