"""What the commands that run a server share: a port in use refused up front, the
warning when one listens beyond this machine unprotected, and a quiet exit after a
requested stop."""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket

import typer

from watchkeeper.errors import UsageError

LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address (or name) of this machine only.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.1.2.3")]
    [True, True, True, False, False]
    """
    if host.strip("[]").lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`UsageError` when ``host:port`` cannot be listened on, so the command
    says so in one line before it announces that it is serving (uvicorn would log the
    failure after the announcement and exit 1). Port 0 (any free port) always passes.

    >>> check_port_free("127.0.0.1", 0)
    """
    if not port:
        return
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # as uvicorn binds: a port left in TIME_WAIT by a stopped server is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"--port {port}: another program is listening on {host}:{port}; "
                "stop it or choose another port with --port"
            ) from None
        reason = exc.strerror or str(exc)
        raise UsageError(f"--host {host} --port {port}: cannot listen there: {reason}") from None


def warn_if_exposed(host: str, server: str, reach: str, remedy: str) -> bool:
    """Print a warning on stderr when ``server`` listens on ``host`` beyond this machine
    without access control; ``reach`` says what anyone who reaches it can do, ``remedy``
    what to do. Returns whether it warned."""
    if is_loopback(host):
        return False
    typer.echo(
        f"warning: {server} listens on {host} with no access control: anyone who can "
        f"reach this port can {reach}; {remedy}, or listen on 127.0.0.1",
        err=True,
    )
    return True


def exit_quietly_after_stop() -> None:
    """Exit with status 0 once uvicorn has stopped gracefully on SIGTERM or Ctrl-C.

    uvicorn finishes the requests in flight and runs the shutdown (which writes the
    last captured records), then raises the signal again for the handler that was there
    before it: this one, so that a requested stop is not reported as a failure.
    """

    def stopped(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
