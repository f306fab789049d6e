"""The command line speaks to a person: its errors are one plain line in its own words."""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys

import pytest

from watchkeeper.cli import monitoring, serve, ui


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_the_encoding_advice_names_the_option(tmp_path):
    data = tmp_path / "latin.csv"
    data.write_bytes("city,amount\nS\u00e3o Paulo,3\n".encode("latin-1"))
    result = run_cli("profile", str(data), "-o", str(tmp_path / "p.wkp"))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {data}: not valid UTF-8")
    assert "--encoding latin-1" in line and "CsvOptions" not in line


def test_python_callers_keep_the_python_advice(tmp_path):
    import watchkeeper
    from watchkeeper.errors import InputError

    data = tmp_path / "latin.csv"
    data.write_bytes("city,amount\nS\u00e3o Paulo,3\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"CsvOptions\(encoding=\.\.\.\)"):
        watchkeeper.profile(data)


def test_each_server_has_its_own_default_port():
    def default(command) -> int:
        return inspect.signature(command).parameters["port"].default

    ports = {default(serve.command), default(ui.command), default(monitoring.scheduler)}
    assert len(ports) == 3


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", ["ui", "scheduler"])
def test_a_port_in_use_is_one_line_before_anything_is_served(tmp_path, taken_port, command):
    database = f"sqlite:///{tmp_path / 'catalog.db'}"
    result = run_cli(command, "--port", str(taken_port), "--database", database, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: --port {taken_port}: another program is listening on 127.0.0.1:{taken_port}; "
        "stop it or choose another port with --port"
    ]
    assert "http://" not in result.stdout  # it never said it was serving


def test_watch_once_reports_an_unreadable_file_once(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    (landing / "fine.csv").write_text("a,b\n1,2\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text("columns:\n  a: {max: 5}\n")
    result = run_cli(
        "watch", str(landing), "--rules", str(rules), "--once", "--in-process",
        "--database", f"sqlite:///{tmp_path / 'catalog.db'}",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    both = result.stdout + result.stderr
    assert both.count("ragged.csv") == 1, both
    assert "could not read" in result.stdout and "ok " in result.stdout
