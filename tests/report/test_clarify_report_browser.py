"""The page of a whole Clarify analysis in a real browser: the bias and SHAP pages'
sections and a partial dependence chart per feature, drawn offline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_model_reports_browser import (
    FEATURES,
    HOSTILE,
    bias_analysis,
    explanation,
    open_and_draw,
)

from browser import screenshot
from watchkeeper.explain import analysis_document
from watchkeeper.io import storage
from watchkeeper.report.clarify_page import render_clarify_html

PDP = [
    {
        "feature_name": "income",
        "data_type": "numerical",
        "feature_values": [10.0, 30.0, 50.0, 70.0],
        "model_predictions": [[0.2, 0.35, 0.5, 0.55], [0.8, 0.65, 0.5, 0.45]],
        "label_headers": ["yes", "no"],
    },
    {
        "feature_name": HOSTILE,
        "data_type": "categorical",
        "feature_values": ["a", HOSTILE],
        "model_predictions": [[0.4, 0.6]],
        "label_headers": ["label0"],
    },
]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    explained = explanation()
    analysis = {**bias_analysis(), **analysis_document(explained)}
    analysis["explanations"]["pdp"] = PDP
    page = render_clarify_html(analysis, local=explained, title="whole analysis")
    path = tmp_path_factory.mktemp("clarify-page") / "report.html"
    storage.write_text(path, page)
    return path


def test_clarify_page_in_the_browser(page, written):
    # bias: 3 charts as on the bias page; SHAP: global and local; PDP: one per feature
    open_and_draw(page, written, charts=3 + 2 + 2)
    expect(page.locator("article.feature h3", has_text=HOSTILE)).to_have_count(1)
    expect(page.locator("#pdp-0 h2", has_text="Partial dependence on income")).to_have_count(1)
    expect(page.locator("#pdp-0 tbody tr")).to_have_count(4)
    expect(page.locator("#pdp-1 tbody td.name", has_text=HOSTILE)).to_have_count(1)
    # two labels, two lines; categories are bars
    expect(page.locator("#pdp-0 .scatterlayer .trace")).to_have_count(2)
    expect(page.locator("#pdp-1 .trace.bars .point path")).to_have_count(2)
    assert set(FEATURES) <= set(page.locator("td.name").all_inner_texts())
    shot = screenshot(page, "clarify-report")
    assert shot.stat().st_size > 10_000
