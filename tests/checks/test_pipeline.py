"""The check pipeline meets hostile files: each is checked and reported, or refused with
one plain line and exit status 2; output is written as one set or not at all."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import watchkeeper
from watchkeeper.checks.pipeline import run_check
from watchkeeper.errors import InputError, UsageError

RULES = "columns:\n  x:\n    min: 0\n"
CHECK_FILES = [
    "constraint_violations.json",
    "report.csv",
    "report.html",
    "report.json",
    "statistics.json",
]
BASELINE_FILES = [
    "constraints.json",
    "report.csv",
    "report.html",
    "report.json",
    "statistics.json",
    "watchkeeper-sample.parquet",
]


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def poison(folder, name: str):
    """The files that stopped a watcher: each crashed the process or raised a bug."""
    path = folder / name
    if name == "null.jsonl":
        path.write_text('null\n{"a":1}\n')
    elif name == "deep.jsonl":
        path.write_text("".join(f'{{"x": {i}, "doc": {nested(1500)}}}\n' for i in range(3)))
    elif name == "inf.csv":
        path.write_text("x,y\ninf,1\ninf,2\ninf,3\n")
    else:
        raw = pa.array([b"ok", b"\xff\xfe bad"], pa.binary())
        text = pa.Array.from_buffers(pa.string(), 2, raw.buffers())
        pq.write_table(pa.table({"x": [1, 2], "s": text}), path)
    return path


@pytest.fixture
def rules(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("null.jsonl", "null.jsonl: line 1 is not a JSON object (it is null)"),
        (
            "badutf8.parquet",
            "badutf8.parquet: column 's' holds text that is not valid UTF-8 (row 2)",
        ),
    ],
)
def test_invalid_files_are_refused_in_one_line_and_nothing_is_written(tmp_path, rules, name, says):
    path = poison(tmp_path, name)
    for args in (
        ["check", str(path), "--rules", str(rules), "-o", "out"],
        ["baseline", str(path), "-o", "out"],
        ["profile", str(path), "-o", "out/profile.json"],
    ):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert says in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert "unexpected" not in done.stderr and not done.stdout
        assert not (tmp_path / "out").exists()
    with pytest.raises(InputError, match=says.split(": ", 1)[1].split(" (")[0]):
        watchkeeper.check(path, rules=rules)


def test_a_column_of_infinities_is_checked_and_reported(tmp_path, rules):
    path = poison(tmp_path, "inf.csv")
    done = run("baseline", str(path), "-o", "baseline", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path / "baseline")) == BASELINE_FILES
    done = run(
        "check",
        str(path),
        "--rules",
        str(rules),
        "--baseline",
        "baseline",
        "-o",
        "out",
        cwd=tmp_path,
    )
    # inf is at least 0; the rules' default check finds a single distinct value
    assert done.returncode == 1, done.stderr
    assert "single_value_check" in done.stdout and "unexpected" not in done.stderr
    assert sorted(os.listdir(tmp_path / "out")) == CHECK_FILES
    page = (tmp_path / "out" / "report.html").read_text()
    assert "No chart: every value is infinite" in page
    row = json.loads((tmp_path / "out" / "report.json").read_text())[0]
    assert (row["feature"], row["type"], row["min"], row["max"]) == ("x", "Fractional", None, None)
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert statistics["features"][0]["numerical_statistics"]["max"] == math.inf  # "Infinity"


def test_values_nested_1500_levels_deep_are_checked_as_text(tmp_path, rules):
    path = poison(tmp_path, "deep.jsonl")
    done = run("check", str(path), "--rules", str(rules), "-o", "out", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["rows"], summary["columns"], summary["violations"]) == (3, 2, [])
    rows = {row["feature"]: row for row in json.loads((tmp_path / "out/report.json").read_text())}
    assert rows["doc"]["type"] == "String" and rows["doc"]["distinct"] == 1


@pytest.fixture
def break_page(monkeypatch):
    """Call it to make every report page fail to render from then on."""

    def fail(*args, **kwargs):
        raise RuntimeError("the page could not be rendered")

    return lambda: monkeypatch.setattr("watchkeeper.report.writer.render_html", fail)


def folder_state(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_check_whose_page_fails_leaves_the_output_as_it_was(tmp_path, rules, break_page):
    data = tmp_path / "data.csv"
    data.write_text("x\n1\n2\n")
    out = tmp_path / "out"
    run_check(data, rules=rules, output=out)
    before = folder_state(out)
    data.write_text("x\n-5\n7\n")
    break_page()
    with pytest.raises(RuntimeError):
        run_check(data, rules=rules, output=out)
    assert folder_state(out) == before  # statistics and violations of the old run kept
    with pytest.raises(RuntimeError):
        run_check(data, rules=rules, output=tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


def test_a_baseline_whose_page_fails_writes_nothing(tmp_path, break_page):
    break_page()
    data = tmp_path / "data.csv"
    data.write_text("x\n1\n2\n")
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "statistics.json").write_text("earlier")
    with pytest.raises(RuntimeError):
        watchkeeper.suggest_baseline(data, tmp_path / "baseline")
    assert folder_state(tmp_path / "baseline") == {"statistics.json": b"earlier"}


def test_numbers_near_the_float_limits_are_judged_for_drift(tmp_path):
    # their squares overflow: the tests that need them are not run, the others are
    data = tmp_path / "data.csv"
    data.write_text("x,n\n" + "".join(f"{sign}1.5e308,{i}\n" for i, sign in enumerate("+-+-+-")))
    baseline = watchkeeper.suggest_baseline(data)
    outcome = run_check(data, baseline=baseline, output=tmp_path / "out")
    assert outcome.profile.rows == 6 and (tmp_path / "out" / "report.html").exists()
    assert not any(v.constraint_check_type == "baseline_drift_check" for v in outcome.violations)


def test_whole_numbers_beyond_double_precision_with_gaps_are_profiled(tmp_path):
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"id": pa.array([2**53 + 1, None, -(2**63)], pa.int64())}), path)
    column = watchkeeper.profile(path).columns["id"]
    assert (column.inferred_type, column.present, column.max) == ("Integral", 2, 2.0**53)


def test_spreads_near_the_smallest_float_are_judged_for_drift(tmp_path):
    # their variance is the smallest float, and divided by the count it is zero
    data = tmp_path / "data.csv"
    data.write_text("x\n0\n3e-162\n0\n3e-162\n")
    outcome = run_check(data, baseline=watchkeeper.suggest_baseline(data))
    assert outcome.profile.rows == 4


def test_regex_rules_against_a_profile_are_refused_naming_the_columns(tmp_path):
    # A profile keeps no values, so a regex rule judged against it would pass unseen.
    path = tmp_path / "rules.yaml"
    path.write_text("columns:\n  email: {regex: '^[^@ ]+@[^@ ]+$'}\n  code: {max_missing: 0.5}\n")
    table = pa.table({"email": ["a@b.c", "not an address"], "code": ["x", None]})
    profile = watchkeeper.profile(table)
    with pytest.raises(UsageError, match=r"regex rules of email; check the data itself"):
        run_check(profile, rules=path)
    outcome = run_check(table, rules=path)  # the data itself: the bad address is found
    assert [(v.feature_name, v.constraint_check_type) for v in outcome.violations] == [
        ("email", "regex_check")
    ]
