"""The command line speaks to a person: its errors are one plain line in its own words."""

from __future__ import annotations

import inspect
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

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
    result = run_cli(command, "--port", str(taken_port), "--database", database)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: --port {taken_port}: another program is listening on 127.0.0.1:{taken_port}; "
        "stop it or choose another port with --port"
    ]
    assert "http://" not in result.stdout  # it never said it was serving


def test_serve_on_a_port_in_use_is_one_line_before_anything_is_served(taken_port, models):
    result = run_cli("serve", str(models["sklearn"]), "--port", str(taken_port))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        f"error: --port {taken_port}: another program is listening on 127.0.0.1:{taken_port}; "
        "stop it or choose another port with --port"
    ]
    assert "serving" not in result.stdout


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


def _training_file(path: Path) -> Path:
    path.write_text(
        "amount,channel,note\n"
        + "".join(f"{10 + i % 7},{('web', 'store', 'web')[i % 3]},{'' if i % 4 else 'x'}\n"
                  for i in range(200))
    )
    return path


def test_baseline_names_every_file_it_writes(tmp_path):
    data = _training_file(tmp_path / "train.csv")
    out = tmp_path / "baseline"
    result = run_cli("baseline", str(data), "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    written = sorted(line.removeprefix("wrote ") for line in lines if line.startswith("wrote "))
    assert written == sorted(str(path) for path in out.iterdir())


def test_the_baseline_report_lists_the_suggested_constraints_not_a_verdict(tmp_path):
    import watchkeeper

    data = _training_file(tmp_path / "train.csv")
    watchkeeper.suggest_baseline(data, tmp_path / "baseline")
    page = (tmp_path / "baseline" / "report.html").read_text()
    assert "every check passed" not in page and "No violations" not in page
    assert "Suggested constraints" in page and "nothing was checked" in page
    rows = [
        re.sub(r"<[^>]+>", "|", row).strip("|").replace("||", "|")
        for row in re.findall(r"<tr><td class=\"name\">.*?</tr>", page)
    ]
    assert rows == [
        "amount|Integral|at least 100%|not negative",
        "channel|String|at least 100%|one of web, store",
        "note|String|at least 25%|one of x",
    ]


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


def test_help_shows_flags_as_flags_and_names_every_kind():
    import typer
    from typer.testing import CliRunner

    from watchkeeper.cli import app
    from watchkeeper.monitor.kinds import REGISTRY

    runner = CliRunner()
    paths = [(), *_commands(typer.main.get_command(app))]
    assert len(paths) > 20
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path
    kinds = runner.invoke(app, ["schedule", "create", "--help"], env={"COLUMNS": "200"})
    assert all(kind in kinds.output for kind in REGISTRY)
