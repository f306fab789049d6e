"""The API documentation pages, served with their own assets so they work offline.

FastAPI's pages load Swagger UI and ReDoc from a CDN; a server on a laptop without
network access, or behind a firewall, would show blank pages. The assets ship in the
package (``serve/static``, versions and licences in its README) and are served under
``/docs/static/``.

Routes: ``/docs`` (Swagger UI), ``/apidocs`` (the same page, the path Flasgger uses),
``/redoc`` (ReDoc) and ``/docs/static/{file}``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from watchkeeper.serve.payload import RequestProblem

STATIC_PREFIX = "/docs/static"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
    "redoc.standalone.js": "text/javascript",
}


def add_documentation(app: FastAPI) -> None:
    """Add the documentation routes to an app made with ``docs_url=None, redoc_url=None``."""
    title = f"{app.title}: API documentation"
    favicon = f"{STATIC_PREFIX}/favicon-32x32.png"

    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            swagger_js_url=f"{STATIC_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PREFIX}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    for path in ("/docs", "/apidocs"):
        app.add_api_route(path, swagger, methods=["GET"], include_in_schema=False)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=title,
            redoc_js_url=f"{STATIC_PREFIX}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

    @app.get(STATIC_PREFIX + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:  # only the listed files: never a path into the package
            raise RequestProblem(404, f"no documentation asset named {name!r}")
        path = files("watchkeeper.serve") / "static" / name
        return FileResponse(str(path), media_type=ASSETS[name])
