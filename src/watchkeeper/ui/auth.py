"""Access: bearer tokens for the API, a login (then a session cookie) for the pages.

With no token configured everything is open (a server on 127.0.0.1 for one person).
With ``WATCHKEEPER_TOKEN`` set (one token, or several separated by commas) every
request needs one: API calls as ``Authorization: Bearer <token>``, pages through a login
form whose cookie holds a keyed hash of the token, never the token. Tokens are compared
in constant time and never written to logs: they travel in headers and form bodies,
which the access log does not record.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from watchkeeper.errors import UsageError

COOKIE = "watchkeeper_session"
PUBLIC_PATHS = ("/login", "/static/", "/api/v1/health")


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


class AccessControl:
    """Refuses requests without a valid token (API: 401) or session (pages: to login).

    A plain ASGI middleware: it looks at the request's headers only and passes the body
    through untouched, so uploads cost nothing extra.
    """

    def __init__(self, app, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

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
        if scheme.lower() == "bearer" and self.tokens.accepts(credentials.strip()):
            await self.app(scope, receive, send)
            return
        if path.startswith("/api/") or path in ("/metrics", "/openapi.json"):
            response: Response = JSONResponse(
                {"detail": "a valid bearer token is required (Authorization: Bearer <token>)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        else:
            response = RedirectResponse(f"/login?next={_quote(_local(request))}", status_code=303)
        await response(scope, receive, send)


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
