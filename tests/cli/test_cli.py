"""The command line: exit codes, outputs, one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest
from typer.testing import CliRunner

from sagemaker_fields import sagemaker_fields
from watchkeeper.cli import app

GOLDEN = Path(__file__).parents[1] / "data" / "sagemaker"
runner = CliRunner()


def write_table(path: Path, rows: int, seed: int, shift: float = 0.0) -> Path:
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "amount": np.round(rng.normal(100 + shift, 15, rows), 2),
            "items": rng.integers(1, 10, rows),
            "channel": rng.choice(["web", "store", "phone"], rows, p=[0.6, 0.3, 0.1]),
        }
    )
    pv.write_csv(table, path)
    return path


@pytest.fixture
def baseline_dir(tmp_path) -> Path:
    data = write_table(tmp_path / "train.csv", 5_000, seed=1)
    result = runner.invoke(app, ["baseline", str(data), "-o", str(tmp_path / "baseline")])
    assert result.exit_code == 0, result.output
    return tmp_path / "baseline"


def test_baseline_writes_its_files(baseline_dir):
    assert sorted(p.name for p in baseline_dir.iterdir()) == [
        "constraints.json",
        "report.csv",
        "report.html",
        "report.json",
        "statistics.json",
        "watchkeeper-sample.parquet",
    ]
    statistics = json.loads((baseline_dir / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 5_000


def test_check_clean_data_exits_zero(tmp_path, baseline_dir):
    data = write_table(tmp_path / "today.csv", 2_000, seed=2)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["check", str(data), "--baseline", str(baseline_dir), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "no violations" in result.output
    assert json.loads((out / "constraint_violations.json").read_text()) == {"violations": []}
    for name in ("statistics.json", "report.html", "report.csv", "report.json"):
        assert (out / name).exists()


def test_check_drifted_data_exits_one_and_json(tmp_path, baseline_dir):
    data = write_table(tmp_path / "today.csv", 2_000, seed=3, shift=20.0)
    result = runner.invoke(
        app,
        ["check", str(data), "--baseline", str(baseline_dir), "-o", str(tmp_path / "o"), "--json"],
    )
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["status"] == "CompletedWithViolations"
    checks = {(v["feature_name"], v["constraint_check_type"]) for v in summary["violations"]}
    # a shift of 20 in one column moves the rows off the baseline's components too
    assert checks == {
        ("amount", "baseline_drift_check"),
        ("amount, items, channel", "multivariate_drift_check"),
    }


def test_check_with_rules_only(tmp_path):
    data = write_table(tmp_path / "today.csv", 500, seed=4)
    rules = tmp_path / "rules.yaml"
    rules.write_text("columns:\n  items: {max: 5}\n")
    result = runner.invoke(app, ["check", str(data), "--rules", str(rules), "--json"])
    assert result.exit_code == 1
    [violation] = json.loads(result.stdout)["violations"]
    assert violation["constraint_check_type"] == "range_check"
    assert violation["observed"] == 9 and violation["threshold"] == 5


def test_check_needs_a_reference(tmp_path):
    data = write_table(tmp_path / "today.csv", 10, seed=5)
    result = runner.invoke(app, ["check", str(data)])
    assert result.exit_code == 2


def test_profile_command(tmp_path):
    data = write_table(tmp_path / "d.csv", 1_000, seed=6)
    result = runner.invoke(app, ["profile", str(data), "-o", str(tmp_path / "p.json"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 1_000
    assert [row["feature"] for row in summary["features"]] == ["amount", "items", "channel"]
    from watchkeeper import read_profile

    assert read_profile(tmp_path / "p.json").rows == 1_000
    # a name ending in .json gives JSON; any other name the binary form, read the same
    assert json.loads((tmp_path / "p.json").read_text())["format"] == "watchkeeper-profile"
    result = runner.invoke(app, ["profile", str(data), "-o", str(tmp_path / "p.wkp")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p.wkp").read_bytes().startswith(b"\x89WKP")
    assert len((tmp_path / "p.wkp").read_bytes()) < len((tmp_path / "p.json").read_bytes()) / 2
    assert read_profile(tmp_path / "p.wkp").rows == 1_000


def test_golden_baseline_through_the_cli(tmp_path):
    source = GOLDEN / "pipeline" / "quality_check_step" / "data_quality"
    result = runner.invoke(
        app, ["baseline", str(source / "baseline_dataset.csv"), "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    statistics = sagemaker_fields((tmp_path / "statistics.json").read_text())
    assert statistics == (source / "statistics.json").read_text()


# -- bad input -----------------------------------------------------------------------------

BAD_FILES = {
    "empty.csv": b"",
    "header_only.csv": b"amount,items,channel\n",
    "ragged.csv": b"amount,items,channel\n1,2,web\n3,4,store,extra\n",
    "latin1.csv": "amount,items,channel\n1,2,caf\u00e9\n".encode("latin-1"),
    "garbage.csv": bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
    "image.csv": b"\x89PNG\r\n\x1a\n" + bytes(200),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_data_gives_one_line_naming_the_file(tmp_path, baseline_dir, name):
    path = tmp_path / name
    path.write_bytes(BAD_FILES[name])
    out = tmp_path / "out"
    result = run_cli("check", str(path), "--baseline", str(baseline_dir), "-o", str(out))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert name in lines[0]
    assert not out.exists()  # nothing half-written


def test_corrupt_constraints_is_refused_before_reading(tmp_path, baseline_dir):
    (baseline_dir / "constraints.json").write_text(
        '{"features": [{"name": "amount", "inferred_type": "Decimal"}]}'
    )
    data = write_table(tmp_path / "today.csv", 100, seed=7)
    result = run_cli(
        "check", str(data), "--baseline", str(baseline_dir), "-o", str(tmp_path / "out")
    )
    assert result.returncode == 2
    assert "constraints.json" in result.stderr and "Decimal" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_truncated_constraints_json(tmp_path, baseline_dir):
    text = (baseline_dir / "constraints.json").read_text()
    (baseline_dir / "constraints.json").write_text(text[: len(text) // 2])
    data = write_table(tmp_path / "today.csv", 100, seed=8)
    result = run_cli("check", str(data), "--baseline", str(baseline_dir))
    assert result.returncode == 2
    assert "constraints.json: not valid JSON" in result.stderr


def test_baseline_of_another_schema_reports_violations(tmp_path, baseline_dir):
    path = tmp_path / "other.csv"
    pv.write_csv(pa.table({"x": [1, 2, 3], "y": ["a", "b", "c"]}), path)
    result = runner.invoke(app, ["check", str(path), "--baseline", str(baseline_dir), "--json"])
    assert result.exit_code == 1
    checks = {
        (v["feature_name"], v["constraint_check_type"])
        for v in json.loads(result.stdout)["violations"]
    }
    assert ("amount", "missing_column_check") in checks
    assert ("x", "extra_column_check") in checks


def test_all_null_column_and_mixed_types_are_violations_not_errors(tmp_path, baseline_dir):
    path = tmp_path / "odd.csv"
    path.write_text(
        "amount,items,channel\n"
        + "".join(f",{'x' if i % 50 == 0 else i % 9 + 1},web\n" for i in range(300))
    )
    result = runner.invoke(app, ["check", str(path), "--baseline", str(baseline_dir), "--json"])
    assert result.exit_code == 1, result.output
    checks = {
        (v["feature_name"], v["constraint_check_type"])
        for v in json.loads(result.stdout)["violations"]
    }
    assert ("amount", "completeness_check") in checks
    assert ("items", "data_type_check") in checks


def test_megabyte_strings(tmp_path):
    path = tmp_path / "big.csv"
    big = "x" * 1_000_000
    path.write_text(f"id,text\n1,{big}\n2,{big}y\n")
    result = runner.invoke(app, ["profile", str(path), "-o", str(tmp_path / "p.json"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["features"][1]["distinct"] == 2
    assert (tmp_path / "p.json").stat().st_size < 200_000  # bounded by the profile, not the data


def test_missing_file_and_bad_option(tmp_path, baseline_dir):
    result = run_cli("check", str(tmp_path / "nope.csv"), "--baseline", str(baseline_dir))
    assert result.returncode == 2
    assert "nope.csv" in result.stderr and "Traceback" not in result.stderr
    result = run_cli(
        "check", str(tmp_path / "nope.csv"), "--baseline", str(baseline_dir), "--drift", "magic"
    )
    assert result.returncode == 2


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_profiling_a_file_does_not_import_pandas_or_scipy(tmp_path):
    data = write_table(tmp_path / "d.csv", 1_000, seed=9)
    code = (
        "import sys, watchkeeper;"
        f"watchkeeper.profile({str(data)!r});"
        "print('pandas' in sys.modules, 'scipy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_error_text_is_printed_as_it_is_not_as_markup(tmp_path):
    folder = tmp_path / "landing" / "[archive]"
    folder.mkdir(parents=True)
    rules = tmp_path / "rules.yaml"
    rules.write_text("columns:\n  x: {min: 0}\n")
    result = run_cli("check", str(folder / "day.csv"), "--rules", str(rules), "-o", "out")
    assert result.returncode == 2
    assert f"{folder / 'day.csv'}: no files match" in result.stderr

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,y\n1,2\n1,[/x],3\n")  # the parser's message quotes the row
    result = run_cli("profile", str(ragged), "-o", str(tmp_path / "p.wkp"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"error: {ragged}: row 3 has 3 fields, expected 2: '1,[/x],3'"


def test_a_missing_reference_is_bad_arguments_not_a_bug(tmp_path):
    data = write_table(tmp_path / "d.csv", 10, seed=3)
    for command in ("check", "watch"):
        extra = ["-o", str(tmp_path / "out")] if command == "check" else ["--once"]
        result = run_cli(command, str(data if command == "check" else tmp_path), *extra)
        assert result.returncode == 2, (command, result.stderr)
        assert "or both" in result.stderr and "unexpected" not in result.stderr


def test_the_table_of_a_wide_profile_shows_the_first_features_and_says_so(tmp_path):
    data = tmp_path / "wide.csv"
    data.write_text(",".join(f"c{i}" for i in range(120)) + "\n" + ",".join(["1"] * 120) + "\n")
    result = run_cli("profile", str(data), "-o", str(tmp_path / "p.wkp"))
    assert result.returncode == 0, result.stderr
    shown = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("│ c")]
    assert shown == [f"c{i}" for i in range(50)]
    assert "the first 50 of 120 features; --json lists them all" in result.stdout
    result = run_cli("profile", str(data), "-o", str(tmp_path / "p.wkp"), "--json")
    assert len(json.loads(result.stdout)["features"]) == 120


def test_many_violations_are_listed_in_part_on_the_terminal(tmp_path):
    data = tmp_path / "wide.csv"
    data.write_text(",".join(f"c{i}" for i in range(60)) + "\n" + ",".join([""] * 60) + "\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text("defaults:\n  max_missing: 0%\n")
    result = run_cli("check", str(data), "--rules", str(rules), "-o", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    assert "60 violations" in result.stdout
    assert "the first 50; the report lists them all" in result.stdout
    assert sum(line.startswith("│ c") for line in result.stdout.splitlines()) == 50


@pytest.mark.parametrize("command", ["ui", "serve", "scheduler"])
def test_a_port_out_of_range_is_refused_before_anything_starts(tmp_path, command):
    extra = [str(tmp_path / "model.joblib")] if command == "serve" else []
    result = run_cli(command, *extra, "--port", "99999")
    assert result.returncode == 2
    assert "--port" in result.stderr and "65535" in result.stderr
    assert "Traceback" not in result.stderr
