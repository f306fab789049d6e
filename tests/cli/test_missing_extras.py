"""A command run without the extra that installs its packages says which extra to
install, in one line, with exit status 2: never an ImportError's traceback.

A package is made missing the way Python itself records a failed import: ``None`` in
``sys.modules`` makes every later ``import`` of it raise ``ModuleNotFoundError``. The
clean installs of each Lambda extra (tests/install) show the same lines from real venvs.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from watchkeeper.cli import app
from watchkeeper.extras import EXTRA_OF_MODULE, missing_extra

runner = CliRunner()
PROJECT = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
SOURCE = Path(__file__).parents[2] / "src" / "watchkeeper"
# modules of the packages `pip install watchkeeper` installs
CORE = {"numpy", "pyarrow", "datasketches", "scipy", "fsspec", "typer", "rich", "plotly"}
CORE |= {"jinja2", "markupsafe", "yaml"}
# the capture middleware for a Flask app imports Flask from the app's own installation
CALLERS_OWN = {"flask"}


@pytest.mark.parametrize(
    ("missing", "arguments", "line"),
    [
        (
            "uvicorn",
            ["serve", "model.joblib"],
            "error: watchkeeper serve needs the 'server' extra: pip install 'watchkeeper[server]'",
        ),
        (
            "uvicorn",
            ["scheduler"],
            "error: watchkeeper scheduler needs the 'server' extra: "
            "pip install 'watchkeeper[server]'",
        ),
        (
            "pandas",
            ["fs", "list"],
            "error: watchkeeper fs needs the 'featurestore' extra: "
            "pip install 'watchkeeper[featurestore]'",
        ),
    ],
)
def test_a_command_without_its_extra_names_the_extra(monkeypatch, missing, arguments, line):
    monkeypatch.setitem(sys.modules, missing, None)
    if missing == "pandas":  # the feature store imports it when the package is first loaded
        for name in [name for name in sys.modules if name.startswith("watchkeeper.featurestore")]:
            monkeypatch.delitem(sys.modules, name)
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    assert result.output.splitlines() == [line]
    assert "Traceback" not in result.output


def test_an_s3_address_without_s3fs_names_the_s3_extra(tmp_path):
    # a process of its own: fsspec keeps the filesystem classes it has loaded, and the
    # S3 tests of the same run may have loaded s3fs's
    code = (
        "import sys; sys.modules['s3fs'] = None\n"
        "from watchkeeper.cli import main\n"
        "sys.argv = ['watchkeeper', 'profile', 's3://bucket/day.csv', '-o', sys.argv[1]]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "p")], capture_output=True, text=True
    )
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: s3://bucket/day.csv: ")
    assert line.endswith("; the 's3' extra installs it: pip install 'watchkeeper[s3]'")


def test_every_extra_the_table_names_is_declared():
    declared = set(PROJECT["project"]["optional-dependencies"])
    assert set(EXTRA_OF_MODULE.values()) <= declared


def test_every_package_the_source_imports_is_the_cores_or_has_its_extra():
    """A new optional import without its line in the table would end a command in an
    unexpected-error message instead of the advice to install an extra."""
    imported: dict[str, str] = {}
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                imported.setdefault(name.partition(".")[0], str(path.relative_to(SOURCE)))
    outside = {
        module: path
        for module, path in imported.items()
        if module not in sys.stdlib_module_names | CORE | CALLERS_OWN | {"watchkeeper"}
    }
    assert {module: path for module, path in outside.items() if module not in EXTRA_OF_MODULE} == {}
    # and what the test takes for the core is what pyproject.toml installs
    requirements = PROJECT["project"]["dependencies"]
    core = {re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0] for line in requirements}
    distributions = importlib.metadata.packages_distributions()
    for module in CORE - {"markupsafe"}:  # Jinja2's own dependency
        assert {name.lower() for name in distributions[module]} & core, module


def test_a_wrapped_import_error_is_traced_to_its_module():
    try:
        try:
            raise ModuleNotFoundError("No module named 'sqlalchemy.orm'", name="sqlalchemy.orm")
        except ImportError as exc:
            raise RuntimeError("the catalog cannot start") from exc
    except RuntimeError as wrapped:
        assert missing_extra(wrapped) == "server"
    assert missing_extra(ImportError("cannot import name 'x' from 'numpy'")) is None
