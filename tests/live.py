"""A real HTTP server for tests: ``uvicorn.Server`` on 127.0.0.1 in a thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import uvicorn

HOST = "127.0.0.1"


class LiveServer:
    """``uvicorn.Server`` serving an app on 127.0.0.1 from a thread of the test process."""

    def __init__(self, app: Any) -> None:
        self.app = app
        # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say
        # so, and without it every answer waits out a delayed ACK (about 40 ms)
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((HOST, 0))
        self._socket = listening
        self.port = listening.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [listening]}, daemon=True
        )

    def start(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Shut down as on SIGTERM: stop accepting, finish, run the lifespan shutdown."""
        self.server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()

    def client(self, **options: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **options)
