"""``watchkeeper ui``: the dashboard server."""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper.cli._common import console, handled
from watchkeeper.cli.listening import exit_quietly_after_stop, warn_if_exposed
from watchkeeper.errors import UsageError


def command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
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
    """Serve the dashboard and the datasets API (profiles, baselines, monitors).

    With WATCHKEEPER_TOKEN set (one token or a comma-separated list), pages need a
    login and the API a bearer token.
    """
    with handled():
        import uvicorn

        from watchkeeper.catalog import Catalog
        from watchkeeper.datasets.service import default_notify
        from watchkeeper.ui import create_ui_app

        catalog = Catalog(database)
        if refresh_seconds <= 0:
            raise UsageError("--refresh-seconds must be positive")
        app = create_ui_app(
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
