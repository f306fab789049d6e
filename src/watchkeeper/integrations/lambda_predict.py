"""The prediction API as an AWS Lambda function behind API Gateway.

``watchkeeper.integrations.aws_lambda.predict_handler`` answers API Gateway HTTP API
(payload format 2.0) and REST API (1.0) events with the app ``watchkeeper serve`` runs
(:func:`watchkeeper.serve.create_app`: ``POST /api/v1/predict``, ``GET
/api/v1/health``, ``POST /endpoints/{name}/invocations``, the same validation and
answers), through Mangum, the ASGI adapter for Lambda. Base64 bodies
(``isBase64Encoded``) are decoded first; a body that is not base64 is a 400.

Configuration, from the function's environment:

* ``WATCHKEEPER_MODEL`` (required): the model file, a path in the image or package, or
  an ``s3://`` URI (copied to ``/tmp`` while it loads). Any format ``watchkeeper serve``
  loads.
* ``WATCHKEEPER_ENDPOINT``: the endpoint name, in the capture layout and the
  ``/endpoints/{name}/invocations`` route; the function's name by default.
* ``WATCHKEEPER_VARIANT``: the variant name (``AllTraffic`` by default).
* ``WATCHKEEPER_CAPTURE``: a folder or ``s3://`` prefix to capture requests and answers
  to, as SageMaker data capture files; nothing is captured without it.
* ``WATCHKEEPER_SAMPLING_PERCENT``: the share of requests captured, 0 to 100 (100 by
  default); needs ``WATCHKEEPER_CAPTURE``.

The model is loaded and the app built once per cold start, on the first invocation,
and reused while the container stays warm. A configuration that cannot be used (no
model, a model that does not load, a bad sampling value) is answered with a 500
whose one-line message names the variable; the same line goes to the function's log,
and the next invocation tries again.

Each container keeps its own app: ``PUT /api/v1/capture`` and ``/metrics`` reach only
the container that answers them, so change sampling through the environment.

Capture survives the function being frozen: every record of an invocation is stored
(synced to disk, or uploaded) before the handler returns; see
:class:`watchkeeper.capture.DurableCapture` for the layout and its costs. A function's
only writable disk is ``/tmp``: a local capture folder belongs there (and is lost with
the container); use ``s3://`` to keep captures.

Example, as API Gateway calls it::

    event = {"version": "2.0", "routeKey": "POST /api/v1/predict",
             "rawPath": "/api/v1/predict", "rawQueryString": "",
             "headers": {"content-type": "application/json"},
             "requestContext": {"http": {"method": "POST", "path": "/api/v1/predict",
                                         "sourceIp": "203.0.113.7"}},
             "body": '{"sepal_length": 5.1, ...}', "isBase64Encoded": False}
    predict_handler(event, None)  # {"statusCode": 200, "body": '{"predictions":[0]}', ...}
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from watchkeeper.errors import UsageError, WatchkeeperError

log = logging.getLogger("watchkeeper.integrations")

LAMBDA_DISK = "/tmp"  # the one writable folder AWS Lambda gives a function

SETTINGS = (
    "WATCHKEEPER_MODEL",
    "WATCHKEEPER_ENDPOINT",
    "WATCHKEEPER_VARIANT",
    "WATCHKEEPER_CAPTURE",
    "WATCHKEEPER_SAMPLING_PERCENT",
)


@dataclass
class Served:
    """What one container serves: the settings it was built from, the Mangum adapter
    over the app, and the capture to store before each invocation returns."""

    settings: tuple[str | None, ...]
    adapter: Any
    capture: Any


_served: Served | None = None  # built on the first invocation, kept while warm
_building = threading.Lock()


def predict_handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Answer one API Gateway event with the prediction API; see the module documentation."""
    try:
        served = serving()
    except WatchkeeperError as exc:
        log.error("the function is not configured: %s", exc)
        return answer(500, f"{exc}; see the function's log")
    except Exception as exc:  # a model's own library failing as it loads, say
        log.exception("the function could not start")
        return answer(
            500, f"the function could not start ({type(exc).__name__}); see the function's log"
        )
    request = _decoded(event)
    if isinstance(request, str):
        return answer(400, request)
    try:
        response = served.adapter(request, context)
    except Exception as exc:  # the app answers its own errors: this is the adapter failing
        log.exception("the function could not answer the event")
        response = answer(500, f"internal error ({type(exc).__name__}); see the function's log")
    finally:
        if served.capture is not None:
            # before returning: the function may be frozen or thrown away after it
            served.capture.flush()
    return response


def serving() -> Served:
    """The app of the environment's settings, built on first use and then reused."""
    global _served
    settings = tuple(os.environ.get(name) or None for name in SETTINGS)
    with _building:
        if _served is None or _served.settings != settings:
            if _served is not None and _served.capture is not None:
                _served.capture.close()
            _served = None
            _served = _build(settings)
        return _served


def _build(settings: tuple[str | None, ...]) -> Served:
    from mangum import Mangum

    from watchkeeper.capture.layout import check_name
    from watchkeeper.serve import create_app

    model_spec, endpoint, variant, capture_to, sampling = settings
    if not model_spec:
        raise UsageError("WATCHKEEPER_MODEL is not set: give the model file or its s3:// URI")
    endpoint = endpoint or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if not endpoint:
        raise UsageError("WATCHKEEPER_ENDPOINT is not set: give the endpoint's name")
    variant = variant or "AllTraffic"
    # the names are checked before the model is fetched: a typo costs no download
    for name, value in (("WATCHKEEPER_ENDPOINT", endpoint), ("WATCHKEEPER_VARIANT", variant)):
        try:
            check_name(name.rpartition("_")[2].lower(), value)
        except UsageError as exc:
            raise UsageError(f"{name}: {exc}") from None
    percent = _sampling_percent(sampling, capture_to)
    model = _load(model_spec)
    capture = _capture(capture_to, endpoint, variant, percent)
    app = create_app(model, name=endpoint, variant=variant, capture=capture)
    # lifespan off: Mangum would run the app's shutdown, closing capture, every invocation
    return Served(settings, Mangum(app, lifespan="off"), capture)


def _sampling_percent(text: str | None, capture_to: str | None) -> float:
    if text is None:
        return 100.0
    try:
        percent = float(text)
    except ValueError:
        raise UsageError(
            f"WATCHKEEPER_SAMPLING_PERCENT must be a number from 0 to 100, not {text!r}"
        ) from None
    if not 0.0 <= percent <= 100.0:
        raise UsageError(f"WATCHKEEPER_SAMPLING_PERCENT must be from 0 to 100, not {text!r}")
    if capture_to is None and percent != 100.0:
        raise UsageError("WATCHKEEPER_SAMPLING_PERCENT needs WATCHKEEPER_CAPTURE")
    return percent


def _load(spec: str) -> Any:
    from watchkeeper.io.storage import is_local, read_bytes
    from watchkeeper.model import load_model

    if is_local(spec):
        try:
            return load_model(spec)
        except WatchkeeperError as exc:
            raise UsageError(f"WATCHKEEPER_MODEL: {exc}") from None
    # the loaders read local files: the model comes to /tmp, the one writable disk
    folder = tempfile.mkdtemp(prefix="watchkeeper-model-")
    local = os.path.join(folder, PurePosixPath(spec).name)
    try:
        with open(local, "wb") as out:
            out.write(read_bytes(spec))
        return load_model(local)
    except WatchkeeperError as exc:
        raise UsageError(f"WATCHKEEPER_MODEL: {exc}") from None
    except OSError as exc:
        raise UsageError(
            f"WATCHKEEPER_MODEL: {spec} cannot be copied to {folder} ({exc})"
        ) from None
    finally:
        # every loader reads the whole file as it loads: the copy is not needed after,
        # and /tmp is small
        shutil.rmtree(folder, ignore_errors=True)


def _capture(destination: str | None, endpoint: str, variant: str, percent: float) -> Any:
    if destination is None:
        return None
    from watchkeeper.capture.durable import DurableCapture
    from watchkeeper.io.storage import is_local

    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") and is_local(destination):
        inside = os.path.realpath(destination).startswith(LAMBDA_DISK + os.sep)
        if not inside:
            raise UsageError(
                f"WATCHKEEPER_CAPTURE: {destination} is not under {LAMBDA_DISK}, a function's "
                "only writable disk; capture to an s3:// prefix to keep the records"
            )
    try:
        return DurableCapture(destination, endpoint, variant, sampling_percent=percent)
    except UsageError as exc:
        raise UsageError(f"WATCHKEEPER_CAPTURE: {exc}") from None


def _decoded(event: Any) -> dict[str, Any] | str:
    """The event with its body decoded from base64, or what is wrong with it."""
    missing = _missing_field(event)
    if missing:
        return f"not an API Gateway request: the event has no {missing}"
    request = _without_stage({**event, "headers": event.get("headers") or {}})
    body = event.get("body")
    if body is not None and not isinstance(body, str):
        return "the event's body is not text"
    if not event.get("isBase64Encoded") or not body:
        return request
    try:
        decoded = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return "the body is marked base64 (isBase64Encoded) but is not valid base64"
    return {**request, "body": decoded, "isBase64Encoded": False}


def _without_stage(request: dict[str, Any]) -> dict[str, Any]:
    """The request with the stage taken off its path: an HTTP API on a named stage (not
    ``$default``) puts the stage first in the path the app would otherwise route."""
    context = request["requestContext"]
    stage = context.get("stage")
    if request.get("version") != "2.0" or not stage or stage == "$default":
        return request
    prefix, path = f"/{stage}", context["http"]["path"]
    if path != prefix and not path.startswith(prefix + "/"):
        return request
    http = {**context["http"], "path": path[len(prefix) :] or "/"}
    return {**request, "requestContext": {**context, "http": http}}


def _missing_field(event: Any) -> str | None:
    """The first field an API Gateway event of its payload format lacks, if any."""
    if not isinstance(event, dict) or not isinstance(event.get("requestContext"), dict):
        return "requestContext"
    if event.get("version") == "2.0":  # HTTP API, payload format 2.0
        http = event["requestContext"].get("http")
        if not isinstance(http, dict):
            return "requestContext.http"
        wanted = [f"requestContext.http.{key}" for key in ("method", "path", "sourceIp")
                  if not isinstance(http.get(key), str)]  # fmt: skip
        return wanted[0] if wanted else None
    if "version" not in event and "resource" not in event:
        return "version (HTTP API) or resource (REST API)"
    wanted = [key for key in ("httpMethod", "path") if not isinstance(event.get(key), str)]
    return wanted[0] if wanted else None


def answer(status: int, message: str) -> dict[str, Any]:
    """An API Gateway answer (either payload format) with the app's error body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"error": message, "detail": []}, separators=(",", ":")),
        "isBase64Encoded": False,
    }
