"""The API documentation pages in a real Chromium with no network: they draw the API."""

from __future__ import annotations

import pytest
from serving import running

from browser import screenshot
from watchkeeper.model import load_model
from watchkeeper.serve import create_app


@pytest.fixture(scope="module")
def iris_server(models):
    with running(create_app(load_model(models["sklearn"]), name="iris")) as server:
        yield server


@pytest.mark.parametrize("path", ["/docs", "/apidocs"])
def test_swagger_ui_draws_the_routes_offline(iris_server, page, path):
    page.goto(iris_server.url + path)
    # the operation list is drawn by Swagger UI's script from /openapi.json
    page.wait_for_selector(".opblock-summary-path[data-path='/api/v1/predict']", timeout=20_000)
    assert page.locator(".opblock").count() >= 4
    screenshot(page, f"serve-docs{path.replace('/', '-')}")


def test_redoc_draws_the_routes_offline(iris_server, page):
    page.goto(iris_server.url + "/redoc")
    # ReDoc draws each operation's summary as a heading once it has read /openapi.json
    page.wait_for_selector("h2:has-text('Invocations')", timeout=20_000)
    assert "watchkeeper: iris" in page.title()
    screenshot(page, "serve-redoc")


def test_documentation_assets_are_served_from_the_package(iris_server):
    with iris_server.client() as client:
        script = client.get("/docs/static/swagger-ui-bundle.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert len(script.content) > 1_000_000
        page = client.get("/redoc").text
        assert "/docs/static/redoc.standalone.js" in page and "cdn" not in page
        assert client.get("/docs/static/..%2Fapp.py").status_code == 404
        assert client.get("/docs/static/README.md").status_code == 404
