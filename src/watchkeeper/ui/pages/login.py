"""The login form, and logging out: a right token sets the session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from watchkeeper.ui.auth import COOKIE, LoginThrottle, Tokens, client_address, safe_next
from watchkeeper.ui.pages.shared import Pages


def login_router(pages: Pages, tokens: Tokens, throttle: LoginThrottle) -> APIRouter:
    """``/login`` (the form, and its answer) and ``/logout``."""
    router = APIRouter(include_in_schema=False)

    def form(request: Request, next: str, error: str | None, status: int = 200) -> Response:
        return pages.render(
            "login.html", request, status=status, next=safe_next(next), error=error,
            title="Log in",
        )  # fmt: skip

    @router.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        return form(request, next, None)

    @router.post("/login")
    def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
        client = client_address(request)
        wait = throttle.retry_after(client)
        if wait is not None:
            error = f"Too many wrong tokens from this address: try again in {wait} s."
            answer = form(request, next, error, status=429)
            answer.headers["Retry-After"] = str(wait)
            return answer
        if not tokens.accepts(token):
            throttle.failed(client)
            return form(request, next, "That token is not valid.", status=401)
        throttle.succeeded(client)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE, tokens.session_for(token), httponly=True, samesite="strict", path="/"
        )
        return response

    @router.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return router
