"""Capture for any ASGI (FastAPI, Starlette) or Flask application, in a few lines.

Both faces pass the request body, the response body, their content types and the
caller's inference id (``X-Amzn-SageMaker-Inference-Id`` or ``X-Inference-Id``) to
:meth:`CaptureWriter.capture`. Only successful (2xx) answers to the chosen methods
(POST by default) are captured: an error page tells nothing about the model.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from watchkeeper.capture.writer import CaptureWriter

INFERENCE_ID_HEADERS = ("x-amzn-sagemaker-inference-id", "x-inference-id")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class CaptureMiddleware:
    """ASGI middleware that captures each request and its response.

    With FastAPI or Starlette::

        app.add_middleware(CaptureMiddleware, writer=writer)

    ``paths`` limits capture to those request paths (all paths when None); ``methods``
    to those HTTP methods.
    """

    def __init__(
        self,
        app: ASGIApp,
        writer: CaptureWriter,
        *,
        paths: Collection[str] | None = None,
        methods: Collection[str] = ("POST",),
    ) -> None:
        self.app = app
        self.writer = writer
        self.paths = None if paths is None else frozenset(paths)
        self.methods = frozenset(method.upper() for method in methods)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._wanted(scope):
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope)
        await self.app(scope, exchange.receiving(receive), exchange.sending(send))
        exchange.offer(self.writer)

    def _wanted(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope.get("method", "") in self.methods
            and (self.paths is None or scope.get("path") in self.paths)
        )


def capture_middleware(
    writer: CaptureWriter,
    *,
    paths: Collection[str] | None = None,
    methods: Collection[str] = ("POST",),
) -> Callable[[ASGIApp], CaptureMiddleware]:
    """A middleware factory bound to ``writer``: ``app.add_middleware(capture_middleware(w))``.

    Also wraps a bare ASGI application: ``app = capture_middleware(writer)(app)``.
    """

    def wrap(app: ASGIApp) -> CaptureMiddleware:
        return CaptureMiddleware(app, writer, paths=paths, methods=methods)

    return wrap


class _Exchange:
    """One request and its response, as they pass through."""

    def __init__(self, scope: Scope) -> None:
        headers = _headers(scope.get("headers", ()))
        self.request_type = headers.get("content-type")
        self.inference_id = next(
            (headers[name] for name in INFERENCE_ID_HEADERS if headers.get(name)), None
        )
        self.request = bytearray()
        self.response = bytearray()
        self.response_type: str | None = None
        self.status = 0
        self.complete = False

    def receiving(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.request += message.get("body", b"")
            return message

        return wrapped

    def sending(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
                self.response_type = _headers(message.get("headers", ())).get("content-type")
            elif message["type"] == "http.response.body":
                self.response += message.get("body", b"")
                self.complete = not message.get("more_body", False)
            await send(message)

        return wrapped

    def offer(self, writer: CaptureWriter) -> None:
        if self.complete and 200 <= self.status < 300:
            writer.capture(
                bytes(self.request), self.request_type,
                bytes(self.response), self.response_type, inference_id=self.inference_id,
            )  # fmt: skip


def _headers(raw: Any) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}


def flask_capture(
    app: Any,
    writer: CaptureWriter,
    *,
    paths: Collection[str] | None = None,
    methods: Collection[str] = ("POST",),
) -> None:
    """Capture every request of a Flask application, from an ``after_request`` hook.

    The request body is what Flask has read (``request.get_data()``): views that read
    ``request.json`` or ``request.data`` leave it available. Streamed responses are not
    captured.

    Example::

        app = Flask(__name__)
        flask_capture(app, CaptureWriter("captures/", "churn"))
    """
    # Imported here: Flask is the application's dependency, not watchkeeper's.
    from flask import request

    wanted_paths = None if paths is None else frozenset(paths)
    wanted_methods = frozenset(method.upper() for method in methods)

    @app.after_request
    def _capture(response: Any) -> Any:
        wanted = request.method in wanted_methods and (
            wanted_paths is None or request.path in wanted_paths
        )
        streamed = response.is_streamed or response.direct_passthrough
        if wanted and 200 <= response.status_code < 300 and not streamed:
            writer.capture(
                request.get_data(cache=True), request.content_type,
                response.get_data(), response.content_type,
                inference_id=_flask_inference_id(request.headers),
            )  # fmt: skip
        return response


def _flask_inference_id(headers: Any) -> str | None:
    return next((headers[name] for name in INFERENCE_ID_HEADERS if headers.get(name)), None)
