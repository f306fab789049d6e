"""The dashboard server: its pages, the datasets API and ``/metrics``.

The dashboard knows nothing of the faces beside it: the monitoring API, the feature
store's records and the executions' metrics are mounted by the command that composes the
whole server (:func:`watchkeeper.cli.ui.dashboard_app`), through ``routers`` and
``collectors``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import FileResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.registry import Collector

from watchkeeper.catalog import Catalog
from watchkeeper.datasets.rest import DEFAULT_MAX_BODY, datasets_router
from watchkeeper.datasets.service import DatasetService
from watchkeeper.ui.auth import AccessControl, LoginThrottle, Tokens, tokens_from_env
from watchkeeper.ui.pages import install_not_found_page, pages_router
from watchkeeper.version import __version__

log = logging.getLogger("watchkeeper.ui")


PLOTLY_BASIC = "plotly-basic-4.1.1.min.js"


def plotly_path() -> Path:
    """plotly.js's basic bundle (bar and scatter charts, all the pages draw), shipped in
    the package so pages work offline: a quarter of the full bundle's size, so a first
    visit draws its charts in about a third of the time (``bench/ui.py``)."""
    return Path(str(resources.files("watchkeeper.ui") / "static" / PLOTLY_BASIC))


def create_ui_app(
    catalog: Catalog | None = None,
    *,
    tokens: Sequence[str] | None = None,
    notify: Sequence[str] = (),
    refresh_seconds: float | None = 5.0,
    max_body: int = DEFAULT_MAX_BODY,
    login_throttle: LoginThrottle | None = None,
    routers: Sequence[APIRouter] = (),
    collectors: Sequence[Collector] = (),
) -> FastAPI:
    """The dashboard application.

    ``tokens`` (default: ``WATCHKEEPER_TOKEN``) turn on access control; ``notify`` are
    apprise URLs that receive every dataset's alerts; every ``refresh_seconds`` a
    background thread merges received profiles, evaluates and alerts (``None``: only
    when a page or the API asks). ``login_throttle`` (default: 5 wrong tokens a minute
    per client address) limits guessing at the login form and with bearer tokens.
    ``routers`` are served beside the dashboard's own, behind the same access control,
    and ``collectors`` (Prometheus collectors) answer on ``/metrics``.

    >>> import tempfile
    >>> app = create_ui_app(Catalog(f"sqlite:///{tempfile.mkdtemp()}/c.db"), tokens=[])
    >>> sorted(path for path in app.openapi()["paths"] if not path.startswith("/api/v1/d"))
    ['/api/v1/health']
    """
    catalog = catalog or Catalog()
    service = DatasetService(catalog, notify=notify)
    access = Tokens(tokens_from_env() if tokens is None else tokens)
    throttle = login_throttle or LoginThrottle()
    stop = threading.Event()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        worker = None
        if refresh_seconds:
            worker = threading.Thread(
                target=_refresh_loop,
                args=(service, stop, refresh_seconds),
                name="watchkeeper-refresh",
                daemon=True,
            )
            worker.start()
        yield
        stop.set()
        if worker is not None:
            worker.join(timeout=30)

    app = FastAPI(
        title="watchkeeper",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service
    app.state.catalog = catalog
    app.state.tokens = access
    app.add_middleware(AccessControl, tokens=access, throttle=throttle)
    app.include_router(datasets_router(service, max_body))
    for router in routers:
        app.include_router(router)
    app.include_router(pages_router(service, access, throttle))
    install_not_found_page(app, access)
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type="text/plain; version=0.0.4")

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    script = plotly_path()

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            script,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    return app


def _refresh_loop(service: DatasetService, stop: threading.Event, every: float) -> None:
    # the drift tests' statistics library takes a second or more to import: load it now,
    # off the requests' path, rather than in the first evaluation
    import scipy.stats  # noqa: F401

    while not stop.wait(every):
        try:
            service.refresh(settle=2 * every)
        except Exception:  # keep serving pages; the next round tries again
            log.exception("merging and evaluating datasets failed")
