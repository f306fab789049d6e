"""A real browser for tests: Playwright driving the system's Chromium, offline.

Fixtures (used by name, imported in ``conftest.py``):

``browser``
    A Playwright ``Browser``. One headless Chromium serves the whole session; the
    executable is ``$WATCHKEEPER_CHROMIUM`` or ``/usr/bin/chromium`` (Playwright's own
    browser downloads are never used). Without it, browser tests are skipped.
``page``
    A fresh Playwright ``Page`` in a context of its own. The test fails (at teardown)
    when the page logged a console error, raised an uncaught error, or asked for anything
    not on 127.0.0.1/localhost: pages must work offline, so such requests are aborted
    and listed. A test that expects errors is marked ``@pytest.mark.allow_console_errors``:
    console and page errors are then only recorded, requests outside still fail it.
``page_problems``
    What the ``page`` fixture saw (:class:`PageProblems`), to assert on expected errors.
``chromium``
    The session's :class:`Chromium` itself, for fixtures wider than one test: they call
    ``lend()`` before driving the browser and ``take_back()`` when done.

``screenshot(page, name)`` writes a full-page PNG to ``test-artefacts/screenshots/`` at
the repository root, or under ``$WATCHKEEPER_TEST_ARTEFACTS`` when set.

The sync Playwright API drives its event loop from the main thread and, between its
calls, leaves that loop marked as the thread's running loop, so ``asyncio.run`` in any
later test would refuse to start. The loop is therefore lent to the tests that use the
browser and taken back after each: other tests see no running loop. Servers the tests
start in threads of their own (uvicorn, ``servers.py``) are unaffected either way.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CHROMIUM_ARGS = [
    # containers and CI run as root, where Chromium's sandbox cannot start
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # the browser's own traffic (updates, sync, safe browsing) would leave the machine
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # /dev/shm is 64 MB in Docker: too small for page buffers
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The Chromium executable the tests drive: ``$WATCHKEEPER_CHROMIUM`` or Debian's."""
    return os.environ.get("WATCHKEEPER_CHROMIUM") or DEFAULT_CHROMIUM


def artefacts_folder() -> Path:
    """Where tests leave files for people to look at (screenshots)."""
    return Path(os.environ.get("WATCHKEEPER_TEST_ARTEFACTS") or REPOSITORY / "test-artefacts")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page PNG of ``page`` as ``screenshots/{name}.png``; returns its path."""
    path = artefacts_folder() / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


class Chromium:
    """The session's Playwright and Chromium, and the event loop they run on."""

    def __init__(self, executable: str) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self.browser = self._playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
        except BaseException:
            self._playwright.stop()
            raise
        self._loop = asyncio._get_running_loop()
        self.take_back()

    def lend(self) -> None:
        """Make Playwright's loop the running one again: every sync call needs it."""
        if self._loop is not None:
            asyncio._set_running_loop(self._loop)

    def take_back(self) -> None:
        """Leave the main thread without a running loop, as other tests expect."""
        if self._loop is not None and asyncio._get_running_loop() is self._loop:
            asyncio._set_running_loop(None)

    def close(self) -> None:
        self.lend()
        try:
            self.browser.close()
        finally:
            # stopping closes the loop and clears the running one
            self._playwright.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    """One headless Chromium for the session (tests use ``browser`` or ``page``)."""
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        pytest.skip(
            f"no Chromium at {executable}: install Debian's chromium package "
            "or point WATCHKEEPER_CHROMIUM at a Chromium executable"
        )
    running = Chromium(executable)
    yield running
    running.close()


@pytest.fixture
def browser(chromium: Chromium) -> Iterator[Any]:
    """The session's Chromium, as a Playwright ``Browser``, for the length of one test."""
    chromium.lend()
    try:
        yield chromium.browser
    finally:
        chromium.take_back()


@dataclass
class PageProblems:
    """Everything a page did that a working offline page does not do."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    errors_allowed: bool = False

    def failures(self) -> list[str]:
        """The problems that fail the test, one line each."""
        lines = [f"request outside 127.0.0.1: {request}" for request in self.outside_requests]
        if not self.errors_allowed:
            lines += [f"console error: {text}" for text in self.console_errors]
            lines += [f"page error: {text}" for text in self.page_errors]
        return lines

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            where = message.location or {}
            origin = f" ({where['url']}:{where.get('lineNumber', 0)})" if where.get("url") else ""
            self.console_errors.append(message.text + origin)

    def on_web_error(self, web_error: Any) -> None:
        error = web_error.error
        self.page_errors.append(f"{error.name or 'Error'}: {error.message}")

    def on_route(self, route: Any) -> None:
        request = route.request
        if _is_outside(request.url):
            self.outside_requests.append(f"{request.method} {request.url}")
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def on_web_socket(self, socket: Any) -> None:
        if _is_outside(socket.url):
            self.outside_requests.append(f"WebSocket {socket.url}")
            socket.close()
        else:
            socket.connect_to_server()


def _is_outside(url: str) -> bool:
    """Whether ``url`` goes over the network to another machine."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS


@pytest.fixture
def page_problems(request: pytest.FixtureRequest) -> PageProblems:
    """What the ``page`` fixture has seen go wrong so far."""
    allowed = request.node.get_closest_marker("allow_console_errors") is not None
    return PageProblems(errors_allowed=allowed)


@pytest.fixture
def page(browser: Any, page_problems: PageProblems) -> Iterator[Any]:
    """A new page in a context of its own; fails the test if the page misbehaved."""
    # service workers' requests bypass routing, so they are blocked outright
    context = browser.new_context(service_workers="block")
    try:
        context.route("**/*", page_problems.on_route)
        context.route_web_socket(re.compile(r".*"), page_problems.on_web_socket)
        context.on("console", page_problems.on_console)
        context.on("weberror", page_problems.on_web_error)
        yield context.new_page()
    finally:
        context.close()
    failures = page_problems.failures()
    if failures:
        pytest.fail("the page did not run clean:\n  " + "\n  ".join(failures), pytrace=False)
