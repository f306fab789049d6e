"""Each command imports only what it runs: a command's help loads no data libraries, and
profiling a file loads the readers it needs and none of the catalog, the servers, the
report pages or the statistics and model libraries.

The imports are those of a real `python -m watchkeeper ...` process, read from its
``sys.modules`` when the command has finished. Module sets are asserted, not times:
times depend on the machine's load (bench/startup.py measures them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

# Runs the command as `python -m watchkeeper` does, then writes the imported modules.
RUN_AND_LIST_MODULES = """
import json, runpy, sys
listing, sys.argv = sys.argv[1], ["watchkeeper", *sys.argv[2:]]
try:
    runpy.run_module("watchkeeper", run_name="__main__")
except SystemExit as exc:
    status = exc.code
else:
    status = 0
with open(listing, "w") as handle:
    json.dump(sorted(sys.modules), handle)
sys.exit(status)
"""

# What only some commands need: the catalog, the servers and their clients, templates
# and charts, statistics and models, remote storage, other engines.
SERVICES = {"sqlalchemy", "fastapi", "starlette", "uvicorn", "httpx", "apprise", "redis"}
PAGES = {"jinja2", "markupsafe", "plotly"}
MODELS = {"scipy", "sklearn", "shap", "xgboost", "onnxruntime", "statsmodels"}
ELSEWHERE = {"fsspec", "s3fs", "pyspark", "duckdb", "pandas", "polars", "yaml", "croniter"}
DATA = {"pyarrow", "numpy", "datasketches", "cloudpickle"}
# typer 0.29 coerces every option value through pydantic when a command runs (a quarter
# second of start-up); the typer the project allows does not, and nothing else may.
COERCION = {"pydantic", "pydantic_core"}

HELP_ONLY = SERVICES | PAGES | MODELS | ELSEWHERE | DATA | COERCION | {"asyncio"}
# Help needs the command tree and nothing of the library beneath it but these.
LIBRARY_FOR_HELP = {
    "watchkeeper",
    "watchkeeper.artifacts",
    "watchkeeper.catalog",
    "watchkeeper.catalog.times",
    "watchkeeper.errors",
    "watchkeeper.extras",
    "watchkeeper.io",
    "watchkeeper.io.messages",
    "watchkeeper.io.options",
    "watchkeeper.lazy",
    "watchkeeper.version",
}

COMMAND_HELP = [
    [],
    ["--help"],
    ["--version"],
    ["profile", "--help"],
    ["baseline", "--help"],
    ["check", "--help"],
    ["watch", "--help"],
    ["serve", "--help"],
    ["ui", "--help"],
    ["schedule", "--help"],
    ["schedule", "create", "--help"],
    ["scheduler", "--help"],
    ["monitor", "run", "--help"],
    ["executions", "--help"],
    ["datasets", "--help"],
    ["explain", "--help"],
    ["bias", "posttraining", "--help"],
    ["quality", "baseline", "--help"],
    ["groundtruth", "--help"],
    ["fs", "--help"],
    ["fs", "ingest", "--help"],
]


def run_listing(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the command in a fresh interpreter; its result and the modules it imported."""
    listing = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, str(listing), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1"},
        timeout=300,
        check=False,
    )
    return result, set(json.loads(listing.read_text()))


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def mixed_table(rows: int = 2_000) -> pa.Table:
    rng = np.random.default_rng(3)
    return pa.table(
        {
            "amount": np.round(rng.normal(100, 15, rows), 2),
            "items": rng.integers(1, 10, rows),
            "channel": rng.choice(["web", "store", "phone"], rows),
        }
    )


@pytest.mark.parametrize("args", COMMAND_HELP, ids=lambda args: " ".join(args) or "no-args")
def test_help_loads_the_command_tree_only(tmp_path, args):
    result, modules = run_listing(tmp_path, *args)
    assert result.returncode in (0, 2), result.stderr  # no arguments: usage, status 2
    assert "Usage" in result.stdout + result.stderr or "watchkeeper" in result.stdout
    assert sorted(packages(modules) & HELP_ONLY) == []
    library = {name for name in modules if name.split(".")[0] == "watchkeeper"}
    beneath = {name for name in library if not name.startswith("watchkeeper.cli")}
    assert sorted(beneath - LIBRARY_FOR_HELP) == []


def test_profiling_a_csv_file_loads_its_reader_only(tmp_path):
    data = tmp_path / "day.csv"
    pacsv.write_csv(mixed_table(), data)
    result, modules = run_listing(tmp_path, "profile", str(data), "-o", "day.profile.json")
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "day.profile.json").read_text())  # the profile is written
    assert {"pyarrow.csv", "pyarrow.compute", "numpy", "typer", "rich"} <= modules
    unused = SERVICES | PAGES | MODELS | ELSEWHERE | COERCION | {"asyncio", "ssl"}
    assert sorted(packages(modules) & unused) == []
    other_formats = {"pyarrow.parquet", "pyarrow.fs", "pyarrow.json", "watchkeeper.io.jsonl"}
    assert sorted(modules & other_formats) == []
    report_pages = {name for name in modules if name.startswith("watchkeeper.report.")}
    assert report_pages == {"watchkeeper.report.table"}


def test_profiling_a_parquet_file_loads_the_parquet_reader_not_the_csv_one(tmp_path):
    data = tmp_path / "day.parquet"
    pq.write_table(mixed_table(), data)
    # the binary profile file, what a name not ending in .json gets
    result, modules = run_listing(tmp_path, "profile", str(data), "-o", "day.wkp", "--json")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "day.wkp").read_bytes()[:4] == b"\x89WKP"
    assert json.loads(result.stdout)["rows"] == 2_000
    assert "rich" not in packages(modules)  # JSON output draws no terminal table
    assert "pyarrow.parquet" in modules
    assert sorted(modules & {"pyarrow.csv", "watchkeeper.io.csvfile"}) == []
    assert sorted(packages(modules) & (SERVICES | PAGES | MODELS | ELSEWHERE)) == []


def test_baseline_and_check_load_no_catalog_server_or_model_library(tmp_path):
    data = tmp_path / "train.csv"
    pacsv.write_csv(mixed_table(), data)
    result, modules = run_listing(tmp_path, "baseline", str(data), "-o", "baseline")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "baseline" / "constraints.json").is_file()
    rules_reader = {"yaml"}
    assert sorted(packages(modules) & (SERVICES | MODELS | (ELSEWHERE - rules_reader))) == []

    result, modules = run_listing(
        tmp_path, "check", str(data), "--baseline", "baseline", "-o", "checked"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "checked" / "constraint_violations.json").is_file()
    models = {"sklearn", "shap", "xgboost", "onnxruntime"}  # drift distances use scipy
    assert sorted(packages(modules) & (SERVICES | models | (ELSEWHERE - rules_reader))) == []


def test_the_listing_sees_what_a_command_imports(tmp_path):
    """The guard can fail: a command that does load the catalog shows it."""
    result, modules = run_listing(
        tmp_path, "executions", "list", "--database", f"sqlite:///{tmp_path / 'c.db'}"
    )
    assert result.returncode == 0, result.stderr
    assert "sqlalchemy" in packages(modules)
    assert "watchkeeper.catalog.store" in modules


# Importing the subpackage watchkeeper.profile, in any order, leaves the name the verb.
VERB_AFTER_SUBPACKAGE = """
import sys
import watchkeeper
loaded_by_import = sorted(m for m in ("pyarrow", "numpy", "sqlalchemy") if m in sys.modules)
import watchkeeper.profile.serialize
from watchkeeper.profile import DatasetProfile
import watchkeeper.profile as verb
from watchkeeper import profile
import pyarrow as pa
assert verb is profile is watchkeeper.profile is watchkeeper.api.profile, watchkeeper.profile
assert isinstance(profile(pa.table({"x": [1.0, 3.0]})), DatasetProfile)
assert watchkeeper.profile(pa.table({"x": [2.0]})).columns["x"].mean == 2.0
print(loaded_by_import)
"""


def test_import_watchkeeper_loads_no_data_library_and_profile_stays_the_verb():
    result = subprocess.run(
        [sys.executable, "-c", VERB_AFTER_SUBPACKAGE], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]"]


# The command line runs its start-up without the garbage collector; the command's work
# runs with it, the objects of the start-up set aside (frozen).
COLLECTOR_DURING_WORK = """
import gc, sys
from watchkeeper.cli import main
sys.argv = ["watchkeeper", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(gc.isenabled(), gc.get_freeze_count() > 10_000)
"""


def test_a_command_works_with_the_garbage_collector_on(tmp_path):
    data = tmp_path / "day.csv"
    pacsv.write_csv(mixed_table(), data)
    args = ["profile", str(data), "-o", str(tmp_path / "p.json")]
    result = subprocess.run(
        [sys.executable, "-c", COLLECTOR_DURING_WORK, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "True"]
