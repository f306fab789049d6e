"""The dashboard's pages, rendered on the server (Jinja2), charts drawn by plotly.js:
one module per page, each an ``APIRouter`` factory, and what they share in
:mod:`~watchkeeper.ui.pages.shared`.

Pages read the batches' stored figures, not profiles, except where a distribution is
drawn (one batch and the baseline, or the compared profiles).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from watchkeeper.datasets.service import DatasetService
from watchkeeper.ui.auth import LoginThrottle, Tokens, is_api_path
from watchkeeper.ui.pages.compare import compare_router
from watchkeeper.ui.pages.dataset import dataset_router
from watchkeeper.ui.pages.executions import executions_router
from watchkeeper.ui.pages.feature import feature_router
from watchkeeper.ui.pages.login import login_router
from watchkeeper.ui.pages.monitors import monitors_router
from watchkeeper.ui.pages.overview import overview_router
from watchkeeper.ui.pages.shared import Pages

__all__ = ["install_not_found_page", "pages_router"]


def pages_router(
    service: DatasetService, tokens: Tokens, throttle: LoginThrottle | None = None
) -> APIRouter:
    """Every page of the dashboard over ``service``'s datasets and its catalog's
    monitoring executions; ``tokens`` tell whether a login is asked for, ``throttle``
    limits wrong tokens at the login form."""
    pages = Pages(tokens)
    router = APIRouter(include_in_schema=False)
    for page in (
        login_router(pages, tokens, throttle or LoginThrottle()),
        overview_router(service, pages),
        dataset_router(service, pages),
        feature_router(service, pages),
        compare_router(service, pages),
        executions_router(service.catalog, pages),
        monitors_router(service, pages),
    ):
        router.include_router(page)
    return router


def install_not_found_page(app: FastAPI, tokens: Tokens) -> None:
    """Answer a page's 404 (an unknown path, dataset, batch or artefact) with an HTML
    page that says what was not found and keeps the navigation; the API's 404s stay
    JSON for the programs that read them."""
    pages = Pages(tokens)

    async def not_found(request: Request, exc: HTTPException) -> Response:
        if exc.status_code != 404 or is_api_path(request.url.path):
            return await http_exception_handler(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else "Not Found"
        message = "There is no page here." if detail == "Not Found" else f"{detail[:300]}."
        return pages.render(
            "not_found.html",
            request,
            status=404,
            title="Not found · watchkeeper",
            message=message,
        )

    app.add_exception_handler(HTTPException, not_found)
