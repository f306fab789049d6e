"""The HTML report in a real browser: it opens offline, draws its charts, flags drift.

A check of drifted data against its baseline is written with the Python API and opened
in headless Chromium, from disk and from an HTTP server on 127.0.0.1 with plotly's
JavaScript shared next to it. The ``page`` fixture fails any test whose page logs a
console error or reaches for the network.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from playwright.sync_api import expect

import watchkeeper
from browser import chromium_path, screenshot
from watchkeeper.report import write_plotly_bundle
from watchkeeper.report.page import plotly_bundle_name

ROWS = 2_000
DRIFTED = {"amount", "city"}
STEADY = {"age", "channel"}
FEATURES = DRIFTED | STEADY
CITIES = ["Utrecht", "Lyon", "Köln"]


def orders(rng: np.random.Generator, *, amount_mean: float, city_shares: list[float]):
    return pa.table(
        {
            "amount": rng.normal(amount_mean, 10.0, ROWS),
            "age": rng.integers(18, 80, ROWS),
            "city": rng.choice(CITIES, ROWS, p=city_shares).tolist(),
            "channel": rng.choice(["web", "store"], ROWS).tolist(),
        }
    )


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> Path:
    """A folder with ``baseline/`` and two checks of drifted data: ``inline/`` with
    plotly embedded, ``shared/`` pointing at one copy of it in the folder."""
    folder = tmp_path_factory.mktemp("drifted")
    rng = np.random.default_rng(11)
    reference = orders(rng, amount_mean=100.0, city_shares=[0.5, 0.3, 0.2])
    today = orders(rng, amount_mean=140.0, city_shares=[0.1, 0.2, 0.7])
    baseline = watchkeeper.suggest_baseline(reference, folder / "baseline")
    # the page's per-feature parts are what is drawn here: multivariate drift is left out
    outcome = watchkeeper.check(today, baseline, output=folder / "inline", multivariate="off")
    # the data really drifted where intended, so the page has something to flag
    assert {violation.feature_name for violation in outcome.violations} == DRIFTED
    write_plotly_bundle(folder)
    watchkeeper.check(
        today,
        baseline,
        output=folder / "shared",
        plotly_src=f"../{plotly_bundle_name()}",
        multivariate="off",
    )
    return folder


@pytest.fixture(scope="module")
def http_root(checked: Path) -> Iterator[str]:
    """``checked`` served over HTTP on 127.0.0.1: the address of its root."""
    handler = functools.partial(QuietHandler, directory=str(checked))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


def assert_report_drawn(page) -> None:
    """Every chart drawn with its bars, drift flagged exactly where the data moved."""
    charts = page.locator("article.feature [data-chart]")
    expect(charts).to_have_count(len(FEATURES))
    # charts are drawn as they scroll into view, as a reader would bring them there
    for index in range(charts.count()):
        charts.nth(index).scroll_into_view_if_needed()
    expect(page.locator("article.feature .js-plotly-plot")).to_have_count(len(FEATURES))
    assert page.locator("article.feature svg.main-svg").count() >= len(FEATURES)
    for index in range(charts.count()):
        chart = charts.nth(index)
        name = chart.get_attribute("aria-label")
        bars = chart.locator(".trace.bars .point path")
        assert bars.count() > 0, f"{name}: no bars drawn"
        box = chart.locator("svg.main-svg").first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, (name, box)

    violations = page.locator("#violations tbody tr")
    expect(violations).to_have_count(len(DRIFTED))
    flagged = {row.locator("td.name").inner_text() for row in violations.all()}
    assert flagged == DRIFTED
    assert all("baseline_drift_check" in row.inner_text() for row in violations.all())
    table = page.locator("#features tbody tr.flagged td.name")
    assert set(table.all_inner_texts()) == DRIFTED
    # a feature's name is what a reader scans for: short names never break mid-word
    for link in page.locator("#violations td.name a, #features td.name a").all():
        lines = link.evaluate("link => link.getClientRects().length")
        assert lines == 1, f"{link.inner_text()!r} wraps over {lines} lines"
    for name in FEATURES:
        section = page.locator("article.feature", has=page.locator("h3", has_text=name))
        expect(section).to_have_count(1)
        badge = section.locator("h3 .badge.drift")
        expect(badge).to_have_count(1 if name in DRIFTED else 0)
        drift_line = section.locator("p.drift-line")
        expect(drift_line).to_contain_text("Drift (yes)" if name in DRIFTED else "Drift (no)")
    expect(page.locator("header")).to_contain_text("2 of 4 features drifted")


def test_report_opens_offline_from_disk(page, checked):
    page.goto((checked / "inline" / "report.html").as_uri())
    assert_report_drawn(page)
    shot = screenshot(page, "report")
    assert shot.stat().st_size > 10_000


def test_report_with_shared_plotly_over_http(page, http_root):
    page.goto(f"{http_root}/shared/report.html")
    assert_report_drawn(page)


# The guard the tests above rely on: a page that misbehaves must fail its test.

ERRORS = """<!DOCTYPE html><p>offline</p><script>
console.error("broken on purpose");
setTimeout(() => { throw new Error("thrown on purpose"); });
</script>"""

OUTSIDE = """<!DOCTYPE html><p>offline</p><script>
window.fetched = fetch("https://cdn.example.com/plotly.js").then(() => "fetched", () => "blocked");
</script>"""

GUARDED_TESTS = f"""
import pytest


def load(page, html):
    page.set_content(html)
    # one more turn of the page's event loop, so the timer has thrown
    page.evaluate("new Promise(done => setTimeout(done, 10))")


def test_errors(page):
    load(page, {ERRORS!r})


@pytest.mark.allow_console_errors
def test_expected_errors(page, page_problems):
    load(page, {ERRORS!r})
    assert any("broken on purpose" in text for text in page_problems.console_errors)
    assert page_problems.page_errors == ["Error: thrown on purpose"]


@pytest.mark.allow_console_errors
def test_outside_request(page):
    load(page, {OUTSIDE!r})
    assert page.evaluate("window.fetched") == "blocked"
"""


def test_a_misbehaving_page_fails_its_test(tmp_path):
    if not os.access(chromium_path(), os.X_OK):
        pytest.skip(f"no Chromium at {chromium_path()}")
    tests = Path(__file__).resolve().parents[1]
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nmarkers = allow_console_errors: errors the page is expected to log\n"
    )
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            f"""
            import sys

            sys.path.insert(0, {str(tests)!r})
            from browser import browser, chromium, page, page_problems
            """
        )
    )
    (tmp_path / "test_guarded.py").write_text(GUARDED_TESTS)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    # each test passes its own assertions; the page fixture fails two of them after
    assert "3 passed, 2 errors" in output, output
    assert "ERROR at teardown of test_errors" in output, output
    assert "console error: broken on purpose" in output, output
    assert "page error: Error: thrown on purpose" in output, output
    # allowing errors never allows the network
    assert "ERROR at teardown of test_outside_request" in output, output
    assert "request outside 127.0.0.1: GET https://cdn.example.com/plotly.js" in output, output


def test_browser_tests_leave_no_running_event_loop(chromium):
    # Playwright's sync calls mark their loop as running in this thread; tests that
    # start an event loop of their own must still be able to
    assert asyncio.run(asyncio.sleep(0, "ran")) == "ran"
