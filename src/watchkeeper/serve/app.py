"""The prediction API: a FastAPI app serving one model, capturing a sample of its traffic.

>>> from sklearn.linear_model import LinearRegression
>>> from watchkeeper.model import LoadedModel
>>> from watchkeeper.serve import create_app
>>> model = LoadedModel.from_object(LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0]))
>>> app = create_app(model, name="doubler")
>>> sorted(route.path for route in app.routes if "{" in route.path)
['/docs/static/{name}', '/endpoints/{name}/invocations']

Routes:

- ``GET /api/v1/health``: status, model, variant, features, capture counts.
- ``POST /api/v1/predict``: a JSON object of named features, a list of them, or
  ``text/csv`` rows; answers ``{"predictions": [...], "probabilities": [[...]],
  "classes": [...]}`` (probabilities and classes when the model has them). One object
  in still gives lists of one.
- ``POST /endpoints/{name}/invocations``: SageMaker's InvokeEndpoint. ``Content-Type``
  ``text/csv`` or ``application/json`` (``{"instances": [...]}``, a list of rows or one
  object); ``Accept`` ``text/csv`` (one prediction per line) or ``application/json``
  (as above), by default the request's own type; ``X-Amzn-SageMaker-Inference-Id``
  (or ``X-Inference-Id``) becomes the captured record's ``inferenceId``.
- ``GET /api/v1/capture``, ``PUT /api/v1/capture``: the capture settings, changed
  while the server runs (``{"enabled": false}``, ``{"sampling_percent": 10}``).
- ``GET /metrics``: Prometheus text, from the app's own registry (``app.registry``).
- ``GET /docs`` (also ``/apidocs``) and ``GET /redoc``: the OpenAPI documentation,
  working offline (see :mod:`watchkeeper.serve.docs`).

Every error is JSON ``{"error": "<one line>", "detail": [...]}``; validation errors
list each problem as ``{"row", "feature", "message"}``. Requests are checked before the
model runs; capture is offered every successful answer and never delays or fails one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from watchkeeper.capture import CaptureWriter
from watchkeeper.capture.layout import check_name
from watchkeeper.capture.middleware import INFERENCE_ID_HEADERS
from watchkeeper.errors import UsageError
from watchkeeper.model import LoadedModel
from watchkeeper.serve.capture_settings import add_capture_routes
from watchkeeper.serve.docs import add_documentation
from watchkeeper.serve.metrics import CaptureCollector, RequestMetrics, ServingMetrics
from watchkeeper.serve.payload import (
    CSV,
    JSON,
    RequestProblem,
    csv_answer,
    csv_columns,
    json_answer,
    json_columns,
    media_type,
)
from watchkeeper.version import __version__

__all__ = ["DEFAULT_MAX_BODY_BYTES", "INFERENCE_ID_HEADER", "ServingApp", "create_app"]

log = logging.getLogger("watchkeeper.serve")

MIB = 1 << 20
DEFAULT_MAX_BODY_BYTES = 6 * MIB  # SageMaker's limit for a real-time request
INFERENCE_ID_HEADER = "X-Amzn-SageMaker-Inference-Id"  # or X-Inference-Id, as capture reads
CSV_ANSWER = "text/csv; charset=utf-8"


class ServingApp(FastAPI):
    """The FastAPI app of one served model: ``model``, ``endpoint``, ``variant``, the
    optional ``capture`` writer and the Prometheus ``registry`` its metrics live in
    (monitoring jobs register their gauges there too)."""

    model: LoadedModel
    endpoint: str
    variant: str
    capture: CaptureWriter | None
    registry: CollectorRegistry
    max_body_bytes: int
    feature_group: Any = None


# -- documented shapes --------------------------------------------------------------------


class Prediction(BaseModel):
    """The answer to a prediction request: lists, one entry per row sent."""

    predictions: list[Any] = Field(examples=[[0, 2]])
    probabilities: list[list[float | None]] | None = Field(
        None, description="One row per prediction, one column per class (classifiers).",
        examples=[[[0.97, 0.03, 0.0], [0.0, 0.1, 0.9]]],
    )  # fmt: skip
    classes: list[Any] | None = Field(
        None, description="The class of each probability column.", examples=[[0, 1, 2]]
    )


class Problem(BaseModel):
    """One thing wrong with a request."""

    row: int | None = Field(None, description="The row, counted from 1.")
    feature: str | None = None
    message: str


class ErrorAnswer(BaseModel):
    """Every error answer: a one-line message and, for validation errors, each problem."""

    error: str = Field(examples=["row 1: missing features: 'petal_width'"])
    detail: list[Problem] = []


class Health(BaseModel):
    """What the server serves and how capture is doing."""

    status: str = Field(examples=["ok"])
    model: str
    variant: str
    kind: str = Field(description="sklearn, xgboost, onnx or python.")
    features: list[str] | None
    feature_types: list[str] | None
    n_features: int | None
    classes: list[Any] | None
    probabilities: bool
    accepts_missing: bool = Field(description="Whether null/NaN values are passed to the model.")
    max_body_bytes: int
    capture: dict[str, Any] | None = Field(
        description="The capture writer's counters, or null without capture."
    )


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorAnswer, "description": text}
    for status, text in {
        400: "Empty body, malformed JSON or CSV, text that is not UTF-8.",
        404: "No endpoint of that name.",
        406: "An Accept type that cannot be produced.",
        413: "The body is larger than the server's limit.",
        415: "A Content-Type other than application/json or text/csv.",
        422: "Rows that do not fit the model's features; each problem is listed.",
        500: "The model failed while predicting.",
    }.items()
}


# -- the app ------------------------------------------------------------------------------


def create_app(
    model: LoadedModel,
    *,
    name: str,
    variant: str = "AllTraffic",
    capture: CaptureWriter | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    feature_group: Any = None,
) -> ServingApp:
    """The app serving ``model`` as endpoint ``name``, variant ``variant``.

    With ``feature_group`` (a :class:`watchkeeper.featurestore.FeatureGroup`), a JSON
    request may carry only record ids (``{"id": 42}``, with the group's record
    identifier name, or a list of them): the features are read from the group's online
    store, and the request is captured with them.

    ``capture`` receives every successful request and answer; the app closes it (writing
    what is buffered) when the server shuts down. Bodies larger than ``max_body_bytes``
    are refused while they are being read (413).
    """
    # the names are folders of the capture layout, so they follow its rule
    check_name("endpoint", name)
    check_name("variant", variant)
    if not isinstance(max_body_bytes, int) or max_body_bytes <= 0:
        raise UsageError(f"max_body_bytes must be a positive number, not {max_body_bytes!r}")
    app = ServingApp(
        title=f"watchkeeper: {name}",
        version=__version__,
        description=_description(model, name, variant),
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.model, app.endpoint, app.variant = model, name, variant
    app.capture, app.max_body_bytes = capture, max_body_bytes
    app.feature_group = feature_group
    app.registry = CollectorRegistry(auto_describe=True)
    app.add_middleware(RequestMetrics, metrics=ServingMetrics(app.registry, name, variant))
    if capture is not None:
        app.registry.register(CaptureCollector(capture, name, variant))
    _add_error_handlers(app)
    _add_routes(app)
    add_capture_routes(app, ErrorAnswer)
    add_documentation(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    capture = getattr(app, "capture", None)
    if capture is not None:
        # writing the last records may take a while on an object store: off the loop
        await anyio.to_thread.run_sync(capture.close)
        log.info("capture closed: %s", capture.stats)


def _description(model: LoadedModel, name: str, variant: str) -> str:
    features = ", ".join(model.feature_names) if model.feature_names else None
    described = features or (f"{model.n_features} unnamed" if model.n_features else "unknown")
    return (
        f"Predictions of the {model.kind} model `{model.source}` as endpoint `{name}` "
        f"(variant `{variant}`).\n\nFeatures, in CSV column order: {described}.\n\n"
        "Rows are validated before the model runs; every error answer is "
        '`{"error": "...", "detail": [...]}`. '
        + (
            "Missing values (null, empty CSV fields, NaN) are passed to the model as NaN."
            if model.accepts_missing
            else "Missing values (null, empty CSV fields, NaN) are refused (422)."
        )
        + " Infinities are always refused."
    )


def _add_error_handlers(app: ServingApp) -> None:
    async def problem(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestProblem)
        return JSONResponse(exc.body(), status_code=exc.status)

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse(
            {"error": str(exc.detail), "detail": []},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        detail = [
            {"row": None, "feature": None, "message": str(error.get("msg"))}
            for error in exc.errors()
        ]
        return JSONResponse({"error": "invalid request", "detail": detail}, status_code=422)

    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.error("unexpected error while answering", exc_info=exc)
        return JSONResponse(
            {"error": f"internal error ({type(exc).__name__}); see the server log", "detail": []},
            status_code=500,
        )

    app.add_exception_handler(RequestProblem, problem)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, unexpected)


def _add_routes(app: ServingApp) -> None:
    model = app.model

    @app.get("/api/v1/health", response_model=Health, tags=["status"])
    def health() -> dict[str, Any]:
        """Whether the server is up, what it serves, and the capture counters."""
        described = model.describe()
        capture = _counts(app.capture.stats) if app.capture is not None else None
        return {
            "status": "ok",
            "model": app.endpoint,
            "variant": app.variant,
            **{key: described[key] for key in Health.model_fields if key in described},
            "max_body_bytes": app.max_body_bytes,
            "capture": capture,
        }

    @app.post(
        "/api/v1/predict",
        response_model=None,
        tags=["predictions"],
        responses={200: {"model": Prediction}, **_ERRORS},
        openapi_extra=_request_examples(model, invocations=False),
    )
    async def predict(request: Request) -> Response:
        """Predict named features sent as JSON (one object or a list of objects), or
        headerless CSV rows in feature order. The answer is always JSON lists, even for
        one object."""
        return await _answer(app, request, answer_csv=False)

    @app.post(
        "/endpoints/{name}/invocations",
        response_model=None,
        tags=["predictions"],
        responses={
            200: {
                "model": Prediction,
                "content": {"text/csv": {"example": "0\n2"}},
                "description": "JSON or CSV, as the Accept header asks.",
            },
            **_ERRORS,
        },
        openapi_extra=_request_examples(model, invocations=True),
    )
    async def invocations(name: str, request: Request) -> Response:
        """SageMaker's InvokeEndpoint: CSV rows or JSON (``{"instances": [...]}``, a list
        of rows, one object); the Accept header picks CSV (one prediction per line) or
        JSON, by default the type of the request."""
        if name != app.endpoint:
            raise RequestProblem(
                404, f"no endpoint named {name!r}; this server serves {app.endpoint!r}"
            )
        kind = _content_kind(request)
        return await _answer(app, request, answer_csv=_accepts_csv(request, kind), kind=kind)

    @app.get("/metrics", tags=["status"], response_class=Response)
    def metrics() -> Response:
        """Prometheus metrics: requests, latencies, capture counts."""
        return Response(generate_latest(app.registry), media_type=CONTENT_TYPE_LATEST)


def _counts(stats: Any) -> dict[str, int]:
    if dataclasses.is_dataclass(stats) and not isinstance(stats, type):
        return dataclasses.asdict(stats)
    return dict(stats)


# -- answering ----------------------------------------------------------------------------


async def _answer(
    app: ServingApp, request: Request, *, answer_csv: bool, kind: str | None = None
) -> Response:
    kind = kind or _content_kind(request)
    body = await read_body(request, app.max_body_bytes)
    content_type = request.headers.get("content-type")
    inference_id = next(
        (request.headers[name] for name in INFERENCE_ID_HEADERS if request.headers.get(name)), None
    )
    # parsing, predicting and capturing are CPU work: off the event loop
    answer, answer_type = await run_in_threadpool(
        _predict_and_capture, app, body, kind, content_type, answer_csv, inference_id
    )
    return Response(answer, media_type=answer_type)


def _predict_and_capture(
    app: ServingApp,
    body: bytes,
    kind: str,
    content_type: str | None,
    answer_csv: bool,
    inference_id: str | None,
) -> tuple[bytes, str]:
    model = app.model
    if app.feature_group is not None and kind != CSV:
        body = _with_stored_features(app.feature_group, body, model.feature_names)
    columns = csv_columns(body, model) if kind == CSV else json_columns(body, model)
    rows = len(columns[0]) if columns else 0
    try:
        inference = model.infer_columns(columns, probabilities=not answer_csv)
    except Exception as exc:
        log.error("%s failed to predict %d rows", app.endpoint, rows, exc_info=exc)
        raise RequestProblem(
            500, f"the model failed to predict ({type(exc).__name__}); see the server log"
        ) from None
    if len(inference.predictions) != rows:
        log.error(
            "%s returned %d predictions for %d rows", app.endpoint, len(inference.predictions), rows
        )
        raise RequestProblem(
            500, f"the model returned {len(inference.predictions)} predictions for {rows} rows"
        )
    if answer_csv:
        answer, answer_type = csv_answer(inference).encode(), CSV_ANSWER
    else:
        answer = json.dumps(json_answer(inference, model), separators=(",", ":")).encode()
        answer_type = JSON
    if app.capture is not None:
        _offer(app.capture, body, content_type, answer, answer_type, inference_id)
    return answer, answer_type


def _with_stored_features(group: Any, body: bytes, features: list[str] | None) -> bytes:
    """A request of record ids only, made a request of those records' stored features;
    any other request as it came.

    A group often stores more than the model takes (the label, above all, in the layout
    the model was trained from): with the model's feature names known, exactly those are
    sent, in the model's order; otherwise every stored feature but the record id and the
    event time.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return body  # the usual parser names the problem
    key = group.record_identifier_name
    items = document if isinstance(document, list) else [document]
    if not items or not all(isinstance(i, dict) and set(i) == {key} for i in items):
        return body
    records = group.batch_get_record([item[key] for item in items])
    missing = [item[key] for item, record in zip(items, records, strict=True) if record is None]
    if missing:
        raise RequestProblem(
            404, f"feature group {group.name!r} has no record {missing[0]!r}"
        )
    if features is None:
        dropped = {key, group.event_time_feature_name}
        rows = [{k: v for k, v in record.items() if k not in dropped} for record in records]
    else:
        stored = set(group.feature_names())
        lacking = [name for name in features if name not in stored]
        if lacking:
            raise RequestProblem(
                422,
                f"feature group {group.name!r} does not store the model's features "
                + ", ".join(map(repr, lacking)),
            )
        rows = [{name: record.get(name) for name in features} for record in records]
    return json.dumps(rows if isinstance(document, list) else rows[0]).encode()


def _offer(
    capture: CaptureWriter,
    body: bytes,
    content_type: str | None,
    answer: bytes,
    answer_type: str,
    inference_id: str | None,
) -> None:
    try:
        capture.capture(body, content_type, answer, answer_type, inference_id=inference_id)
    except Exception:  # the writer promises not to raise; a request must not fail if it does
        log.exception("capture failed")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed ``limit`` bytes:
    from ``Content-Length`` before anything is read, else while the chunks arrive."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise RequestProblem(400, f"Content-Length {declared!r} is not a number")
        if int(declared) > limit:
            raise _too_large(limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise _too_large(limit)
    return bytes(received)


def _too_large(limit: int) -> RequestProblem:
    return RequestProblem(
        413, f"the body is larger than the server's limit of {limit:,} bytes; send fewer rows"
    )


def _content_kind(request: Request) -> str:
    header = request.headers.get("content-type")
    kind = media_type(header)
    if kind not in (JSON, CSV):
        given = f"Content-Type {header!r}" if header else "no Content-Type"
        raise RequestProblem(415, f"{given}; send {JSON} or {CSV}")
    return kind


def _accepts_csv(request: Request, kind: str) -> bool:
    """Whether the Accept header asks for CSV; the request's own type when it leaves the
    choice open (absent, ``*/*``)."""
    header = request.headers.get("accept", "")
    choices = []
    for position, part in enumerate(header.split(",")):
        kind_text, _, parameters = part.partition(";")
        wanted = kind_text.strip().lower()
        if not wanted:
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            key, _, value = parameter.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            choices.append((-quality, position, wanted))
    if not choices:
        return kind == CSV
    for _, _, wanted in sorted(choices):
        if wanted in (CSV, "text/*"):
            return True
        if wanted in (JSON, "application/*"):
            return False
        if wanted == "*/*":
            return kind == CSV
    raise RequestProblem(406, f"cannot answer as {header!r}; accept {CSV} or {JSON}")


# -- documentation ------------------------------------------------------------------------


def _request_examples(model: LoadedModel, *, invocations: bool) -> dict[str, Any]:
    kinds = model.value_kinds or ["number"] * (model.n_features or 4)
    values: list[Any] = [
        "text" if kind == "string" else 0 if kind == "integer" else 1.5 for kind in kinds
    ]
    names = model.feature_names
    csv_row = ",".join(str(value) for value in values)
    json_examples: dict[str, Any] = {}
    if names:
        row = dict(zip(names, values, strict=True))
        json_examples["one row"] = {"value": row}
        json_examples["rows"] = {"value": [row, row]}
    if invocations or not names:
        json_examples["instances"] = {"value": {"instances": [values, values]}}
        json_examples["list of rows"] = {"value": [values, values]}
    return {
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": {"oneOf": [{"type": "object"}, {"type": "array"}]},
                    "examples": json_examples,
                },
                CSV: {"schema": {"type": "string"}, "example": f"{csv_row}\n{csv_row}\n"},
            },
        }
    }
