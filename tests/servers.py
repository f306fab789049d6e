"""Real servers on 127.0.0.1 for tests that deliver over the network.

``WebhookServer`` is an HTTP server that records every POST and can be told to fail or
to go down; ``SmtpServer`` is an SMTP server that records every message. Both run in
threads of the test process, so tests exercise real sockets and real clients instead of
mocks. The ``webhook_server`` and ``smtp_server`` fixtures start one per test.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Post:
    """One POST the webhook server received."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON (raises if it is not JSON)."""
        return json.loads(self.body)


class WebhookServer:
    """An HTTP server on 127.0.0.1 that records POSTs and answers 200 ``ok``.

    ``fail(n)`` makes the next ``n`` POSTs answer HTTP 500 (they are still recorded in
    ``failures``, not in ``posts``); ``delay(s)`` makes it wait ``s`` seconds before
    answering; ``down()`` closes the port so that connections are refused, ``up()``
    opens it again on the same port.
    """

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.failures: list[Post] = []
        self._failures_left = 0
        self._delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.up()

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, to put in a URL."""
        return f"{HOST}:{self.port}"

    def fail(self, times: int) -> None:
        """Answer the next ``times`` POSTs with HTTP 500."""
        with self._lock:
            self._failures_left = times

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` before answering each POST (a slow or hung service)."""
        self._delay = seconds

    def up(self) -> None:
        """Listen (again) on the server's port, or on a free one the first time."""
        if self._server is not None:
            return
        self._server = ThreadingHTTPServer((HOST, self.port), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        # a short poll keeps down() and teardown quick (shutdown waits for one poll)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening: clients get "connection refused" until ``up()``."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = None

    def _received(self, post: Post) -> int:
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                self.failures.append(post)
                return 500
            self.posts.append(post)
            return 200

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                post = Post(self.path, dict(self.headers.items()), self.rfile.read(length))
                time.sleep(owner._delay)
                status = owner._received(post)
                reply = b"ok" if status == 200 else b"failing on purpose"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # a client that timed out has gone; that is what a delay is for

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet; the posts are recorded instead

        return Handler


@dataclass(frozen=True)
class Mail:
    """One message the SMTP server received."""

    sender: str
    recipients: list[str]
    subject: str
    body: str
    message: EmailMessage


class _MailHandler:
    """aiosmtpd handler: parses each message and hands it to the server's list."""

    def __init__(self, messages: list[Mail], lock: threading.Lock) -> None:
        self._messages = messages
        self._lock = lock

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        part = message.get_body(preferencelist=("plain", "html"))
        mail = Mail(
            sender=envelope.mail_from,
            recipients=list(envelope.rcpt_tos),
            subject=str(message["Subject"]),
            body=part.get_content() if part is not None else "",
            message=message,
        )
        with self._lock:
            self._messages.append(mail)
        return "250 Message accepted for delivery"


class SmtpServer:
    """A plain (no TLS, no login) SMTP server on 127.0.0.1 that records messages."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self.port = _free_port()
        handler = _MailHandler(self.messages, threading.Lock())
        self._controller = Controller(handler, hostname=HOST, port=self.port)
        self._controller.start()

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, to put in a URL."""
        return f"{HOST}:{self.port}"

    def stop(self) -> None:
        self._controller.stop()


def _free_port() -> int:
    # aiosmtpd's controller connects to its own port once started, so it needs a
    # concrete port rather than 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def closed_address() -> str:
    """``127.0.0.1:PORT`` of a port nothing listens on: connections are refused."""
    server = WebhookServer()
    server.down()
    return server.address


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    """A running ``WebhookServer``, stopped after the test."""
    server = WebhookServer()
    yield server
    server.down()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running ``SmtpServer``, stopped after the test."""
    server = SmtpServer()
    yield server
    server.stop()
