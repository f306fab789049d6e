"""Access: bearer tokens for the API, a login (then a session cookie) for the pages.

With no token configured everything is open (a server on 127.0.0.1 for one person).
With ``WATCHKEEPER_TOKEN`` set (one token, or several separated by commas) every
request needs one: API calls as ``Authorization: Bearer <token>``, pages through a login
form whose cookie holds a keyed hash of the token, never the token. Tokens are compared
in constant time and never written to logs: they travel in headers and form bodies,
which the access log does not record.

Guessing is throttled per client address: after ``LOGIN_ATTEMPTS`` wrong tokens within
``LOGIN_WINDOW`` seconds (at the login form or as bearer tokens) the client is answered
429 with ``Retry-After`` until the oldest of them is that old, whatever it sends; a
right token resets its count. Behind a reverse proxy every client has the proxy's
address unless uvicorn is told to trust its forwarded headers.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from watchkeeper.errors import UsageError

COOKIE = "watchkeeper_session"
PUBLIC_PATHS = ("/login", "/static/", "/api/v1/health")
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = 60.0  # seconds


def tokens_from_env() -> list[str]:
    """The tokens in ``WATCHKEEPER_TOKEN`` (comma-separated; empty: no access control)."""
    configured = os.environ.get("WATCHKEEPER_TOKEN", "")
    return [token.strip() for token in configured.split(",") if token.strip()]


class Tokens:
    """The accepted tokens, and the session cookie values derived from them."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self._tokens = [token for token in tokens if token]
        for token in self._tokens:
            if len(token) < 8:
                raise UsageError("an access token must have at least 8 characters")
        # a per-process key: a restarted server asks people to log in again
        self._key = secrets.token_bytes(32)

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def accepts(self, token: str | None) -> bool:
        if not token:
            return False
        given = token.encode()
        return any(hmac.compare_digest(given, known.encode()) for known in self._tokens)

    def session_for(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def accepts_session(self, value: str | None) -> bool:
        if not value:
            return False
        return any(hmac.compare_digest(value, self.session_for(t)) for t in self._tokens)

    def __repr__(self) -> str:
        return f"Tokens({len(self._tokens)} configured)"


class LoginThrottle:
    """Wrong tokens per client: after ``attempts`` of them within ``window`` seconds the
    client must wait (``retry_after``) until the oldest is ``window`` seconds old; a
    right token clears its record. At most ``clients`` clients are remembered (those
    that failed longest ago are forgotten first), so memory stays bounded.

    >>> now = [0.0]
    >>> throttle = LoginThrottle(attempts=2, window=60, clock=lambda: now[0])
    >>> for _ in range(2):
    ...     throttle.failed("192.0.2.7")
    >>> throttle.retry_after("192.0.2.7"), throttle.retry_after("192.0.2.8")
    (60, None)
    >>> now[0] = 60.5
    >>> throttle.retry_after("192.0.2.7") is None
    True
    """

    def __init__(
        self,
        attempts: int = LOGIN_ATTEMPTS,
        window: float = LOGIN_WINDOW,
        *,
        clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if attempts < 1 or window <= 0:
            raise UsageError("a login throttle needs at least 1 attempt in a positive window")
        self.attempts, self.window, self.clients = attempts, window, clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until ``client`` may try again, or None if it may now."""
        with self._lock:
            recent = self._recent(client)
            if len(recent) < self.attempts:
                return None
            return max(1, math.ceil(recent[0] + self.window - self._clock()))

    def failed(self, client: str) -> None:
        with self._lock:
            recent = self._recent(client)
            recent.append(self._clock())
            while len(recent) > self.attempts:
                recent.popleft()
            self._failures[client] = recent
            self._failures.move_to_end(client)
            while len(self._failures) > self.clients:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[float]:
        recent = self._failures.get(client, deque())
        horizon = self._clock() - self.window
        while recent and recent[0] <= horizon:
            recent.popleft()
        return recent


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def too_many_attempts(seconds: int) -> JSONResponse:
    return JSONResponse(
        {"detail": f"too many wrong tokens from this address; try again in {seconds} s"},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


class AccessControl:
    """Refuses requests without a valid token (API: 401) or session (pages: to login).

    A plain ASGI middleware: it looks at the request's headers only and passes the body
    through untouched, so uploads cost nothing extra.
    """

    def __init__(self, app, tokens: Tokens, throttle: LoginThrottle | None = None) -> None:
        self.app = app
        self.tokens = tokens
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.tokens.enabled:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = request.url.path
        if path.startswith(PUBLIC_PATHS) or self.tokens.accepts_session(
            request.cookies.get(COOKIE)
        ):
            await self.app(scope, receive, send)
            return
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            client = client_address(request)
            wait = self.throttle.retry_after(client)
            if wait is not None:
                await too_many_attempts(wait)(scope, receive, send)
                return
            if self.tokens.accepts(credentials.strip()):
                self.throttle.succeeded(client)
                await self.app(scope, receive, send)
                return
            self.throttle.failed(client)
        if is_api_path(path):
            response: Response = JSONResponse(
                {"detail": "a valid bearer token is required (Authorization: Bearer <token>)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            response = RedirectResponse(f"/login?next={_quote(_local(request))}", status_code=303)
        await response(scope, receive, send)


def is_api_path(path: str) -> bool:
    """Whether ``path`` answers programs (JSON, metrics) rather than people (pages)."""
    return path.startswith("/api/") or path in ("/metrics", "/openapi.json")


def safe_next(target: str | None) -> str:
    """A redirect target on this server only (never ``//elsewhere`` or ``http://…``)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _local(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
