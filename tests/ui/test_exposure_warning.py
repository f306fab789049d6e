"""A server that listens beyond this machine without access control says so on stderr.

Each case starts the real command, waits for its banner on stdout (the warning, if any,
is written just after it, from the same thread), stops it and reads stderr.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from watchkeeper.cli.listening import is_loopback

WARNING = "with no access control"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_until_banner(args: list[str], banner: str, cwd: Path, **env: str) -> str:
    """Start ``watchkeeper ARGS``, wait for ``banner`` on stdout, stop it; its stderr."""
    environment = {k: v for k, v in os.environ.items() if k != "WATCHKEEPER_TOKEN"}
    environment.update(WATCHKEEPER_HOME=str(cwd / "home"), **env)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(cwd), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "watchkeeper", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        seen = ""
        while banner not in seen:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail(f"{args[0]} ended early: {process.stderr.read()}")
            seen += line
            assert time.monotonic() < deadline, f"no banner from {args[0]}: {seen}"
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return errors


def test_which_hosts_are_this_machine_only():
    assert [is_loopback(h) for h in ("127.0.0.2", "[::1]", "LOCALHOST")] == [True] * 3
    assert [is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.com")] == [
        False
    ] * 4


@pytest.mark.parametrize(
    ("host", "env", "warned"),
    [
        ("0.0.0.0", {}, True),
        ("127.0.0.1", {}, False),
        ("0.0.0.0", {"WATCHKEEPER_TOKEN": "a-long-enough-token"}, False),
    ],
)
def test_the_dashboard_warns_when_open_to_the_network(tmp_path, host, env, warned):
    args = ["ui", "--host", host, "--port", str(free_port())]
    errors = run_until_banner(args, "watchkeeper dashboard on", tmp_path, **env)
    if warned:
        assert (
            f"warning: the dashboard listens on {host} with no access control: anyone who "
            "can reach this port can read and change its datasets, monitors and schedules; "
            "set WATCHKEEPER_TOKEN, or listen on 127.0.0.1"
        ) in errors
    else:
        assert WARNING not in errors


RULE = textwrap.dedent(
    """
    import numpy as np


    class Rule:
        feature_names = ["x"]

        def predict(self, rows):
            return (np.asarray(rows, dtype=float)[:, 0] > 0).astype(int)


    rule = Rule()
    """
)


def test_the_prediction_api_warns_when_open_to_the_network(tmp_path):
    (tmp_path / "rules.py").write_text(RULE)
    args = ["serve", "rules:rule", "--host", "0.0.0.0", "--port", str(free_port())]
    errors = run_until_banner(args, "serving rule", tmp_path)
    assert "warning: the prediction API listens on 0.0.0.0 with no access control" in errors
    assert "can call the model" in errors


def test_the_scheduler_api_warns_when_open_to_the_network(tmp_path):
    args = ["scheduler", "--host", "0.0.0.0", "--port", str(free_port()), "--tick", "60"]
    errors = run_until_banner(args, "monitoring API and /metrics on", tmp_path)
    assert "warning: the monitoring API listens on 0.0.0.0 with no access control" in errors
