"""``watchkeeper serve MODEL [--name N] [--capture URI] [--baseline DIR] ...``."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated

import typer

from watchkeeper.cli._common import handled, say
from watchkeeper.cli.listening import check_port_free, exit_quietly_after_stop, warn_if_exposed
from watchkeeper.errors import UsageError

MIB = 1 << 20


def command(
    model: Annotated[
        str,
        typer.Argument(
            help="Model file (.joblib, .pkl, .pickle, .json or .ubj for XGBoost, .onnx) "
            "or module:attr naming an object with predict."
        ),
    ],
    name: Annotated[
        str | None, typer.Option(help="Endpoint name (default: the model file's name).")
    ] = None,
    variant: Annotated[str, typer.Option(help="Variant name, as SageMaker names it.")] = (
        "AllTraffic"
    ),
    capture: Annotated[
        str | None,
        typer.Option(help="Folder or URI (s3://…) to capture requests and answers to."),
    ] = None,
    sampling_percent: Annotated[
        float,
        typer.Option(min=0.0, max=100.0, help="Share of requests captured, in percent."),
    ] = 100.0,
    capture_mode: Annotated[
        str,
        typer.Option(help="What a captured record holds: both (request and answer), input "
                     "(the request only) or output (the answer only), as SageMaker's "
                     "CaptureOptions."),
    ] = "both",
    baseline: Annotated[
        str | None,
        typer.Option(help="Baseline folder whose statistics.json names and types the features."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    max_body_mb: Annotated[
        float, typer.Option(min=0.001, help="Largest request body accepted, in MiB.")
    ] = 6.0,
    database: Annotated[
        str | None,
        typer.Option(help="Catalog whose latest monitoring results /metrics shows."),
    ] = None,
    feature_group: Annotated[
        str | None,
        typer.Option(help="Feature group whose online store gives the features of a request "
                     "that carries only record ids."),
    ] = None,
    feature_store: Annotated[
        str | None,
        typer.Option(help="The feature store's folder or URI (default: the workspace's)."),
    ] = None,
    online_store: Annotated[
        str | None, typer.Option(help="The feature store's online store (e.g. redis://…).")
    ] = None,
) -> None:
    """Serve MODEL over HTTP: /api/v1/predict, SageMaker's /endpoints/NAME/invocations,
    /api/v1/health, /metrics and the API documentation at /docs (and /redoc).

    With --capture, a sample of requests and answers is written as SageMaker data
    capture files; PUT /api/v1/capture ({"enabled": false}, {"sampling_percent": 10})
    changes that while the server runs. SIGTERM or Ctrl-C stops the server after the
    requests in flight and writes the last captured records; the exit status is then 0.
    """
    import uvicorn

    from watchkeeper.capture.writer import check_capture_mode
    from watchkeeper.model import load_model
    from watchkeeper.serve import create_app

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with handled():
        if capture is None and sampling_percent != 100.0:
            raise UsageError("--sampling-percent needs --capture")
        if capture is None and capture_mode != "both":
            raise UsageError("--capture-mode needs --capture")
        mode = check_capture_mode(capture_mode)
        check_port_free(host, port)
        loaded = load_model(model, baseline=baseline)
        endpoint = name or default_name(model)
        group = _feature_group(feature_group, feature_store, online_store)
        writer = _writer(capture, endpoint, variant, sampling_percent, mode)
        try:
            app = create_app(
                loaded,
                name=endpoint,
                variant=variant,
                capture=writer,
                max_body_bytes=max(1, int(max_body_mb * MIB)),
                feature_group=group,
            )
        except BaseException:
            if writer is not None:
                writer.close()
            raise
        _monitoring_gauges(app, endpoint, database)
    warn_if_exposed(
        host,
        "the prediction API",
        "call the model and read its metrics",
        "put it behind a proxy that authenticates",
    )
    features = ", ".join(loaded.feature_names or []) or f"{loaded.n_features or '?'} unnamed"
    say(
        "serving ",
        (endpoint, "bold"),
        f" ({loaded.kind}: {features}) on http://{host}:{port} — docs at /docs"
        + (
            f"; capturing {sampling_percent:g}% to {capture}"
            + ("" if capture_mode == "both" else f" ({capture_mode.lower()} only)")
            if capture
            else ""
        ),
    )
    exit_quietly_after_stop()
    uvicorn.run(app, host=host, port=port, log_level="info")


def _monitoring_gauges(app, endpoint: str, database: str | None) -> None:
    """Per-feature gauges of this endpoint's latest monitoring executions on /metrics,
    read from the catalog at each scrape (nothing shows until a job has run)."""
    from watchkeeper.catalog import Catalog
    from watchkeeper.monitor.rest import ExecutionMetrics

    app.registry.register(ExecutionMetrics(Catalog(database), endpoint=endpoint))


def _feature_group(name: str | None, uri: str | None, online: str | None):
    if name is None:
        if uri is not None or online is not None:
            raise UsageError("--feature-store and --online-store need --feature-group")
        return None
    from watchkeeper.featurestore import FeatureStore

    group = FeatureStore(uri, online=online).feature_group(name)
    if not group.exists():
        raise UsageError(f"no feature group named {name!r} in the feature store")
    return group


def _writer(
    capture: str | None, endpoint: str, variant: str, sampling_percent: float, mode: str
):
    if capture is None:
        return None
    from watchkeeper.capture import CaptureWriter

    return CaptureWriter(
        capture, endpoint, variant, sampling_percent=sampling_percent, capture_mode=mode
    )


def default_name(spec: str) -> str:
    """The endpoint name for a model: the file's name without extension, or the
    attribute of ``module:attr``, reduced to letters, digits, '.', '_' and '-'.

    >>> default_name("models/churn-v2.joblib"), default_name("pkg.models:scorer")
    ('churn-v2', 'scorer')
    """
    path = Path(spec)
    if ":" in spec and not path.exists():
        stem = spec.rpartition(":")[2].rpartition(".")[2]
    else:
        stem = path.stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "model"
