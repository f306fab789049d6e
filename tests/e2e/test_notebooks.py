"""The example notebooks run clean with a real Jupyter kernel, each cell saying what its
story says; exported to HTML with their outputs, they open offline in Chromium with the
charts drawn.

The three notebooks run once for the module, at the same time (each waits mostly on
its kernel, its server or its sleeps), each in a kernel of its own as a person would
run it: a kernel ships plotly's JavaScript with its first page.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from playwright.sync_api import expect

from browser import screenshot
from watchkeeper.report.page import plotly_js

NOTEBOOKS = Path(__file__).parents[2] / "examples" / "notebooks"
NAMES = ("data-quality", "monitoring", "fairness")
CELL_TIMEOUT = 300
# the plain text of each code cell's outputs, in order, by a piece each must hold
EXPECTED = {
    "data-quality": [
        "['today.csv', 'train.csv']",
        "DatasetProfile: 5,000 rows, 8 features",
        "['constraints.json', 'report.json', 'statistics.json']",
        "CheckOutcome CompletedWithViolations on ../churn/today.csv: 9 violations",
        "CompletedWithViolations\nregion: categorical_values_check\n"
        "region: baseline_drift_check\n"
        "monthly_charge: baseline_drift_check\nsupport_calls: baseline_drift_check\n"
        "usage_minutes: completeness_check\nusage_minutes: baseline_drift_check\n"
        "satisfaction: data_type_check\n",
        "Comparison of 2,000 rows against 5,000: 4 of 8 features drifted",
        "['region', 'monthly_charge', 'support_calls', 'usage_minutes']",
    ],
    "monitoring": [
        "baseline of 150 flowers: prediction, sepal_length, sepal_width",
        "serving iris with 100% data capture on 127.0.0.1",
        "day 1: 75 requests\nday 2: 75 requests\nday 3: 75 requests",
        "server stopped",
        "day 1: 75 records, Completed: Job completed successfully with no violations.\n"
        "day 2: 75 records, CompletedWithViolations: Job completed successfully with 2 "
        "violations.\nday 3: 75 records, Completed: Job completed successfully with no "
        "violations.",
        "CompletedWithViolations       75           2",
        "Comparison of 75 rows against 150: 1 of 5 features drifted",
        "['sepal_width']",
        "225 rows: sepal_width",
    ],
    "fairness": [
        "accuracy on 240 others: 0.89",
        "bias analysis: pre_training_bias_metrics, post_training_bias_metrics",
        "CI 0.59, DPL 0.30",
        "Explanation of 40 rows (mean_abs of the SHAP values):\n  label0: technology",
        "['technology', 'science', 'sex', 'random2', 'math', 'random1']",
        "model quality: dataset, binary_classification_metrics",
        "'accuracy',",
    ],
}
# pages (frames) each notebook shows, and the charts drawn in them
PAGES = {"data-quality": 3, "monitoring": 1, "fairness": 3}


def execute(name: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    # the kernels inherit TMPDIR: what the notebooks write goes with the test's files
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp_path_factory.mktemp("notebook-work")))
        # threads: no event loop of the test session's is involved
        with ThreadPoolExecutor(len(NAMES)) as pool:
            return dict(zip(NAMES, pool.map(execute, NAMES), strict=True))


def cell_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
    return "".join(parts)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_are_stored_without_outputs(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(notebook)
    for cell in code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("name", NAMES)
def test_each_cell_says_what_the_story_says(executed, name):
    cells = code_cells(executed[name])
    texts = [cell_text(cell) for cell in cells]
    assert len(texts) == len(EXPECTED[name])
    for text, expected in zip(texts, EXPECTED[name], strict=True):
        assert expected in text, (expected, text)
    # nothing on stderr, no error: a clean run
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"]
        assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell_text(cell)


@pytest.mark.parametrize("name", NAMES)
def test_plotly_is_shipped_once_per_notebook(executed, name):
    pages = [
        output.data["text/html"]
        for cell in code_cells(executed[name])
        for output in cell.outputs
        if "watchkeeper-inline" in output.get("data", {}).get("text/html", "")
    ]
    assert len(pages) == PAGES[name]
    bundle = plotly_js()
    assert [page.count(bundle) for page in pages] == [1] + [0] * (len(pages) - 1)


def test_the_check_cell_shows_violations_and_the_hostile_free_page(executed):
    [page] = [
        output.data["text/html"]
        for output in code_cells(executed["data-quality"])[3].outputs
        if "text/html" in output.get("data", {})
    ]
    assert "categorical_values_check" in page and "usage_minutes" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


@pytest.fixture(scope="module")
def exported(executed, tmp_path_factory) -> dict[str, Path]:
    """Each executed notebook as nbconvert's HTML export. The export's own two scripts
    from a CDN (require.js, MathJax) are pointed at local stand-ins, as offline: the
    AMD ``define`` one of them sets is what a classic Notebook page has too."""
    folder = tmp_path_factory.mktemp("notebooks-html")
    (folder / "require.js").write_text(
        "window.define = function () {}; window.define.amd = {};\n"
        "window.require = function () {};\n"
    )
    (folder / "mathjax.js").write_text("")
    exporter = HTMLExporter(require_js_url="require.js", mathjax_url="mathjax.js")
    pages = {}
    for name, notebook in executed.items():
        body, _ = exporter.from_notebook_node(notebook)
        pages[name] = folder / f"{name}.html"
        pages[name].write_text(body, encoding="utf-8")
    return pages


FITS = """index => {
  const frame = document.querySelectorAll("iframe.watchkeeper-inline")[index];
  const inner = frame.contentDocument.documentElement.scrollHeight;
  return Math.abs(frame.getBoundingClientRect().height - inner) <= 2;
}"""


@pytest.mark.parametrize("name", NAMES)
def test_the_html_export_opens_offline_with_the_charts_drawn(page, exported, name):
    page.goto(exported[name].as_uri())
    frames = page.locator("iframe.watchkeeper-inline")
    expect(frames).to_have_count(PAGES[name])
    for index in range(PAGES[name]):
        frame = frames.nth(index)
        frame.scroll_into_view_if_needed()
        inside = frame.content_frame
        charts = inside.locator("[data-chart]")
        count = charts.count()
        assert count > 0
        for chart in range(count):
            charts.nth(chart).scroll_into_view_if_needed()
        expect(inside.locator(".js-plotly-plot")).to_have_count(count)
        # the traces were drawn: bars, lines or boxes in every chart
        traces = inside.locator(".js-plotly-plot g.trace")
        assert traces.count() >= count
        # the frame grows to its page (once the charts are drawn): nothing is cut off
        page.wait_for_function(FITS, arg=index)
    screenshot(page, f"notebook-{name}")
