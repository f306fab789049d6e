"""A real Redis server on 127.0.0.1 for the tests of the Redis online store.

``redis_server`` (session scope) starts Debian's ``redis-server`` on a free port, with
no persistence, and stops it at the end of the session; it yields the server's
``redis://`` URL. Without a ``redis-server`` executable the tests that use it are skipped
(``.ci/run`` installs it, so CI runs them).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[str]:
    """The URL of a Redis server started for this test session."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip(
            "no redis-server executable (Debian's redis-server package; .ci/run installs it)"
        )
    folder = tmp_path_factory.mktemp("redis")
    port = _free_port()
    process = subprocess.Popen(
        [
            executable,
            "--port",
            str(port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on {HOST}:{port} within 10 s")
            time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
