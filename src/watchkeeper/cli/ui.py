"""``watchkeeper ui``: the dashboard server, composed of the dashboard and the faces
beside it (the monitoring API, the feature store's records, the executions' metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watchkeeper.cli._common import console, handled
from watchkeeper.cli.listening import check_port_free, exit_quietly_after_stop, warn_if_exposed
from watchkeeper.errors import UsageError

# Its own port, so that the dashboard runs beside `watchkeeper serve` (8080) and the
# scheduler's monitoring API (8081) on one machine with the defaults.
DEFAULT_PORT = 8082

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

    from watchkeeper.catalog import Catalog


def dashboard_app(
    catalog: Catalog | None = None,
    *,
    feature_store: Any = None,
    routers: Sequence[APIRouter] = (),
    collectors: Sequence[Any] = (),
    **options: Any,
) -> FastAPI:
    """The server ``watchkeeper ui`` runs: :func:`watchkeeper.ui.create_ui_app` with the
    monitoring API (``/api/v1/schedules``, ``/api/v1/executions``,
    ``/api/v1/groundtruth``), a feature group's latest records
    (``/api/v1/feature-groups/{name}/records/{id}``, from ``feature_store``, by default
    the workspace's) and the latest executions' metrics on ``/metrics``, besides any
    further ``routers`` and ``collectors``. ``options`` go to ``create_ui_app``.

    >>> import tempfile
    >>> from watchkeeper.catalog import Catalog
    >>> app = dashboard_app(Catalog(f"sqlite:///{tempfile.mkdtemp()}/c.db"), tokens=[])
    >>> [path for path in app.openapi()["paths"] if not path.startswith("/api/v1/d")]
    ... # doctest: +NORMALIZE_WHITESPACE
    ['/api/v1/groundtruth', '/api/v1/schedules', '/api/v1/schedules/{name}',
     '/api/v1/schedules/{name}/run', '/api/v1/executions', '/api/v1/executions/{execution_id}',
     '/api/v1/feature-groups/{name}/records/{record_id}', '/api/v1/health']
    """
    from watchkeeper.catalog import Catalog
    from watchkeeper.featurestore.rest import feature_store_router
    from watchkeeper.monitor.rest import ExecutionMetrics, monitoring_router
    from watchkeeper.ui import create_ui_app

    catalog = catalog or Catalog()
    return create_ui_app(
        catalog,
        routers=[
            monitoring_router(catalog),
            feature_store_router(feature_store, catalog=catalog),
            *routers,
        ],
        collectors=[ExecutionMetrics(catalog), *collectors],
        **options,
    )


def command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    database: Annotated[
        str | None,
        typer.Option(help="Catalog database URL (default: WATCHKEEPER_DATABASE_URL, else SQLite "
                     "in the workspace)."),
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(help="Apprise URL that receives every dataset's alerts (repeatable; "
                     "default: WATCHKEEPER_NOTIFY)."),
    ] = None,
    refresh_seconds: Annotated[
        float, typer.Option(help="How often received profiles are merged and evaluated.")
    ] = 5.0,
    max_body_mb: Annotated[
        float, typer.Option(help="Largest accepted profile upload, in MiB.")
    ] = 64.0,
) -> None:
    """Serve the dashboard with the datasets API (profiles, baselines, monitors), the
    monitoring API, feature groups' latest records and /metrics.

    With WATCHKEEPER_TOKEN set (one token or a comma-separated list), pages need a
    login and the API a bearer token.
    """
    with handled():
        import uvicorn

        from watchkeeper.catalog import Catalog
        from watchkeeper.datasets.service import default_notify

        catalog = Catalog(database)
        if refresh_seconds <= 0:
            raise UsageError("--refresh-seconds must be positive")
        check_port_free(host, port)
        app = dashboard_app(
            catalog,
            notify=notify if notify else default_notify(),
            refresh_seconds=refresh_seconds,
            max_body=max(1, int(max_body_mb * 1024 * 1024)),
        )
        if not app.state.tokens.enabled:
            warn_if_exposed(
                host,
                "the dashboard",
                "read and change its datasets, monitors and schedules",
                "set WATCHKEEPER_TOKEN",
            )
        access = "token required" if app.state.tokens.enabled else "no access control"
        console.print(
            f"watchkeeper dashboard on http://{host}:{port} ({access}; catalog {catalog.url})",
            soft_wrap=True,
        )
        exit_quietly_after_stop()
        uvicorn.run(app, host=host, port=port, log_level="info")
