"""The model pages in a real browser: each opens offline and draws its charts.

The quality, bias and explanation pages are written with the Python API from the same
seeded documents as ``test_model_reports.py`` and opened from disk in headless Chromium.
The ``page`` fixture fails any test whose page logs a console error or reaches for the
network; a text from the data that tried to be a script must show as text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from playwright.sync_api import expect

from browser import screenshot
from watchkeeper.explain import Explanation, analysis_document
from watchkeeper.fairness import bias_report, posttraining_bias, pretraining_bias
from watchkeeper.quality import check_quality, model_quality, suggest_quality_constraints
from watchkeeper.report import (
    write_bias_report,
    write_explanations_report,
    write_plotly_bundle,
    write_quality_report,
)
from watchkeeper.report.page import plotly_bundle_name

HOSTILE = "<script>alert(1)</script>"
ROWS = 400
FEATURES = ["income", HOSTILE, "age", "tenure", "balance"]


def binary_statistics(noise: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, ROWS)
    scores = np.clip(truth * 0.5 + rng.random(ROWS) * noise, 0.0, 1.0)
    return model_quality(
        pa.table({"label": truth, "score": scores}),
        problem_type="BinaryClassification",
        inference_attribute=None,
        ground_truth_attribute="label",
        probability_attribute="score",
    )


def bias_analysis() -> dict:
    rng = np.random.default_rng(3)
    group = rng.choice([HOSTILE, "b"], ROWS)
    label = rng.integers(0, 2, ROWS)
    predicted = np.where(group == "b", 0, rng.integers(0, 2, ROWS))
    table = pa.table(
        {"group": group.tolist(), "label": label, "predicted": predicted, "x": rng.random(ROWS)}
    )
    pre = pretraining_bias(table, label="label", label_values=[1], facet="group")
    post = posttraining_bias(
        table,
        label="label",
        label_values=[1],
        facet="group",
        facet_values=[HOSTILE],
        predicted_label="predicted",
    )
    return bias_report(pre=pre, post=post)


def explanation() -> Explanation:
    rng = np.random.default_rng(9)
    spread = np.array([3.0, 1.5, 0.8, 0.3, 0.1])
    return Explanation(
        features=FEATURES,
        labels=["label0"],
        local_values={"label0": rng.normal(0.0, 1.0, (150, 5)) * spread},
        expected_values={"label0": 0.375},
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    """The three pages on disk, plotly embedded; the quality page once more with plotly
    shared beside it."""
    folder = tmp_path_factory.mktemp("model-pages")
    baseline = binary_statistics(0.6, seed=1)
    current = binary_statistics(1.4, seed=2)
    violations = check_quality(current, suggest_quality_constraints(baseline))
    write_quality_report(
        folder / "quality",
        current,
        baseline=baseline,
        violations=violations,
        title="churn model",
    )
    write_plotly_bundle(folder)
    write_quality_report(
        folder / "shared",
        current,
        baseline=baseline,
        violations=violations,
        plotly_src=f"../{plotly_bundle_name()}",
    )
    write_bias_report(folder / "bias", bias_analysis(), title="loan approvals")
    explained = explanation()
    write_explanations_report(
        folder / "explanations",
        analysis_document(explained),
        local=explained,
        title="churn model explained",
    )
    return {
        "quality": folder / "quality" / "report.html",
        "shared": folder / "shared" / "report.html",
        "bias": folder / "bias" / "report.html",
        "explanations": folder / "explanations" / "report.html",
        "violated": {item.feature_name for item in violations},
    }


def open_and_draw(page, path: Path, charts: int) -> None:
    """Open ``path``, bring every chart into view and wait until all are drawn."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    elements = page.locator("[data-chart]")
    expect(elements).to_have_count(charts)
    for index in range(charts):
        elements.nth(index).scroll_into_view_if_needed()
    expect(page.locator(".js-plotly-plot")).to_have_count(charts)
    assert page.locator("svg.main-svg").count() >= charts
    for index in range(charts):
        box = elements.nth(index).locator("svg.main-svg").first.bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 150, (index, box)
    assert dialogs == [], "a text from the data ran as a script"


def test_quality_page_in_the_browser(page, written):
    open_and_draw(page, written["quality"], charts=2)
    flagged = page.locator("table.metrics tbody tr.flagged td.name")
    assert set(flagged.all_inner_texts()) == written["violated"]
    expect(page.locator("#violations tbody tr")).to_have_count(len(written["violated"]))
    # ROC and precision-recall: chance, baseline and current lines each
    for chart in page.locator("#curves [data-chart]").all():
        expect(chart.locator(".scatterlayer .trace")).to_have_count(3)
    expect(page.locator("#curves .legendtext", has_text="baseline")).to_have_count(2)
    expect(page.locator("table.matrix tbody tr")).to_have_count(2)
    shot = screenshot(page, "quality-report")
    assert shot.stat().st_size > 10_000


def test_quality_page_with_shared_plotly(page, written):
    open_and_draw(page, written["shared"], charts=2)


def test_bias_page_in_the_browser(page, written):
    # pre-training for both facet values, post-training for the sensitive one
    open_and_draw(page, written["bias"], charts=3)
    expect(page.locator("article.feature h3", has_text=HOSTILE)).to_have_count(1)
    infinite = page.locator("td.infinite")
    assert set(infinite.all_inner_texts()) == {"Infinity", "-Infinity"}
    # what a bar cannot show is written in the chart (SVG text has no inner text)
    notes = page.locator(".annotation-text").all_text_contents()
    assert {"Infinity", "-Infinity", "no value"} <= set(notes)
    assert page.locator(".trace.bars .point path").count() > 10
    shot = screenshot(page, "bias-report")
    assert shot.stat().st_size > 10_000


def test_explanations_page_in_the_browser(page, written):
    open_and_draw(page, written["explanations"], charts=2)
    names = page.locator("section table tbody td.name").all_inner_texts()
    assert names == FEATURES  # already in order of their spread
    expect(page.locator(".trace.bars .point path")).to_have_count(len(FEATURES))
    expect(page.locator(".trace.boxes path.box")).to_have_count(len(FEATURES))
    # the feature's name is drawn as text in the charts' tick labels
    expect(page.locator("g.ytick text", has_text="alert(1)")).to_have_count(2)
    shot = screenshot(page, "explanations-report")
    assert shot.stat().st_size > 10_000
